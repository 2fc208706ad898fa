// The Redis protocol (RESP2) on one connection: requests in the multibulk or
// inline form (resp_parser.h), run as Redis 7.0 runs them (resp_commands.h).
#pragma once

#include <string>
#include <string_view>

#include "ttserver/net/protocol_session.h"
#include "ttserver/resp/resp_commands.h"
#include "ttserver/resp/resp_parser.h"
#include "ttserver/server_context.h"

namespace tt {

class RespSession : public ProtocolSession {
 public:
  // `context` must outlive the session; `fd` is the connection's socket (for log lines).
  RespSession(ServerContext* context, int fd);

  Result Process(std::string_view in, size_t* consumed, std::string* out) override;
  DeferredWork TakeDeferred() override;
  bool MidRequest() const override { return mid_request_; }

 private:
  ServerContext* context_;
  int fd_;
  resp::RequestParser parser_;
  resp::Client client_;
  DeferredWork deferred_;  // of the request Process() stopped after (FLUSHALL)
  bool deferred_writes_ = false;  // that request writes: note its records at the next Process()
  bool mid_request_ = false;
};

}  // namespace tt
