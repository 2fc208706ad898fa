// What an HttpSession serves: the original's key-value mapping on the data
// port, or the Prometheus page on the metrics port. A handler sees whole
// requests; the session deals with the framing (keep-alive, body encodings,
// size limits, 100-continue). Used by one session on its connection's thread.
#pragma once

#include <memory>
#include <string>

#include "ttserver/http/http_message.h"
#include "ttserver/net/protocol_session.h"
#include "ttserver/server_context.h"

namespace tt {

class HttpHandler {
 public:
  virtual ~HttpHandler() = default;

  // Called once per request, when its head has arrived and before its body
  // is read: 0 if the request can be served, else the status of the error
  // response it will get — so that the session neither asks for (100
  // Continue) nor keeps a body that will not be used. Fills request->key and
  // request->command.
  virtual int Check(HttpRequest* request) = 0;

  // Answers `request`, whose body has arrived (or is not wanted: `verdict`,
  // Check()'s result, is not 0 and only that error is answered), appending
  // the response to *out. A request that may take long is not answered:
  // the returned work (nullptr otherwise) computes its response off the
  // event loop (ProtocolSession::DeferredWork).
  virtual ProtocolSession::DeferredWork Run(const HttpRequest& request, int verdict,
                                            const ResponseFraming& framing, std::string* out) = 0;
};

// GET/HEAD/PUT/POST/DELETE/OPTIONS on /key (memcached-and-http.md §2).
// `fd` is the connection's socket (OPTIONS reports it). `context` must
// outlive the handler.
std::unique_ptr<HttpHandler> NewKeyValueHandler(ServerContext* context, int fd);

// GET (or HEAD) /metrics: the server's counters in the Prometheus text
// format; every other path is 404. `context` must outlive the handler.
std::unique_ptr<HttpHandler> NewMetricsHandler(ServerContext* context);

}  // namespace tt
