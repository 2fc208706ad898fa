// The memcached binary protocol (magic 0x80) on one connection, over mc::
// operations (memcached_ops.h).
#pragma once

#include "ttserver/net/protocol_session.h"
#include "ttserver/server_context.h"

namespace tt {

class MemcachedBinarySession : public ProtocolSession {
 public:
  // `context` must outlive the session; `fd` is the connection's socket.
  MemcachedBinarySession(ServerContext* context, int fd);
  ~MemcachedBinarySession() override;

  Result Process(std::string_view in, size_t* consumed, std::string* out) override;
  bool MidRequest() const override;
  DeferredWork TakeDeferred() override;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace tt
