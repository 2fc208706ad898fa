// The choice of protocol by the first byte of each request, as the original
// makes it: the session of every connection (the factory the server gives its
// workers, net/worker.h SessionFactory) is a ProtocolSwitch.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>

#include "ttserver/net/protocol_session.h"
#include "ttserver/server_context.h"
#include "ttserver/wire_protocol.h"

namespace tt {

// A connection's session that hands each request to the session of its
// protocol (wire_protocol.h), so that one connection may send a Tokyo Tyrant
// binary put, then a memcached set, then an HTTP PUT, then a Redis GET, and
// have each answered.
// Each protocol's session is created when its first request arrives and kept
// for the connection's lifetime, with its state (binary iterators, HTTP
// keep-alive, meta `mn` sequencing). The protocol changes only at a request
// boundary: never while a request is partly received, its deferred work
// runs, a memcached retrieval or discarded data block is under way, or after
// a replication stream took the socket.
class ProtocolSwitch : public ProtocolSession {
 public:
  // `context` must outlive the session; `fd` is the connection's socket (for
  // log lines and replication hand-off).
  ProtocolSwitch(ServerContext* context, int fd);

  Result Process(std::string_view in, size_t* consumed, std::string* out) override;
  DeferredWork TakeDeferred() override;
  HandOff TakeHandOff() override;
  bool MidRequest() const override;

 private:
  // The session of `protocol`, created on first use.
  ProtocolSession* SessionOf(WireProtocol protocol);

  ServerContext* context_;
  int fd_;
  std::array<std::unique_ptr<ProtocolSession>, 5> sessions_;
  ProtocolSession* current_ = nullptr;  // the session of the last request
  // The next request's protocol waits for more of its bytes (the end of an
  // upper-case line): it is partly received.
  bool undecided_ = false;
};

// The session of a new connection whose first byte is `first_byte` (not
// needed for the choice, which is made again for every request).
std::unique_ptr<ProtocolSession> NewProtocolSession(uint8_t first_byte, ServerContext* context,
                                                    int fd);

}  // namespace tt
