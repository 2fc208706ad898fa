// The memcached text protocol, classic and meta commands, on one connection
// (memcached 1.6 protocol.txt), over mc:: operations (memcached_ops.h).
#pragma once

#include "ttserver/net/protocol_session.h"
#include "ttserver/server_context.h"

namespace tt {

class MemcachedTextSession : public ProtocolSession {
 public:
  // `context` must outlive the session; `fd` is the connection's socket.
  MemcachedTextSession(ServerContext* context, int fd);
  ~MemcachedTextSession() override;

  Result Process(std::string_view in, size_t* consumed, std::string* out) override;
  bool MidRequest() const override;
  DeferredWork TakeDeferred() override;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace tt
