// HTTP/1.1 on one connection: the original's key-value mapping
// (memcached-and-http.md §2) done right, and the Prometheus metrics page.
#pragma once

#include "ttserver/net/protocol_session.h"
#include "ttserver/server_context.h"

namespace tt {

class HttpSession : public ProtocolSession {
 public:
  enum class Mode {
    kKeyValue,  // the data port: GET/HEAD/PUT/POST/DELETE/OPTIONS on /key
    kMetrics,   // the --metrics-port: GET /metrics only
  };
  // `context` must outlive the session; `fd` is the connection's socket.
  HttpSession(ServerContext* context, int fd, Mode mode = Mode::kKeyValue);
  ~HttpSession() override;

  Result Process(std::string_view in, size_t* consumed, std::string* out) override;
  bool MidRequest() const override;
  DeferredWork TakeDeferred() override;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace tt
