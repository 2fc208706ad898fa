// The metrics port: GET /metrics in the Prometheus text format 0.0.4.
#include "ttserver/http/http_handler.h"
#include "ttserver/metrics.h"

namespace tt {

namespace {

class MetricsHandler : public HttpHandler {
 public:
  explicit MetricsHandler(ServerContext* context) : context_(context) {}

  int Check(HttpRequest* request) override {
    // Scrapers may add query parameters; they select nothing here.
    const std::string_view path =
        std::string_view(request->target).substr(0, request->target.find('?'));
    if (path != "/metrics") return 404;
    if (request->method != HttpMethod::kGet && request->method != HttpMethod::kHead) return 405;
    return 0;
  }

  ProtocolSession::DeferredWork Run(const HttpRequest&, int verdict, const ResponseFraming& framing,
                                    std::string* out) override {
    if (verdict != 0) {
      AppendTextResponse(out, framing, verdict, verdict == 405 ? "Allow: GET, HEAD\r\n" : "");
    } else {
      AppendResponse(out, framing, 200, "text/plain; version=0.0.4", RenderPrometheus(*context_));
    }
    return nullptr;
  }

 private:
  ServerContext* context_;
};

}  // namespace

std::unique_ptr<HttpHandler> NewMetricsHandler(ServerContext* context) {
  return std::make_unique<MetricsHandler>(context);
}

}  // namespace tt
