// The original's key-value mapping over HTTP (memcached-and-http.md §2.2),
// with correct status codes where the original had none (405, 413, ...).
#include <utility>
#include <vector>

#include "common/commands.h"
#include "common/logging.h"
#include "engine/misc.h"
#include "ttserver/http/http_form.h"
#include "ttserver/http/http_handler.h"
#include "ttserver/stat_report.h"

namespace tt {

namespace {

constexpr std::string_view kOctetStream = "application/octet-stream";
constexpr std::string_view kFormType = "application/x-www-form-urlencoded";


// The key a request-target names: an absolute-form "http://host" prefix is
// dropped, then one leading '/', and the rest is percent-decoded ('+' is a
// space, so a key holding '+' is sent as %2B). The query string stays part
// of the key, as in the original (`/q?x=1` is the key "q?x=1"): keys written
// by its clients must keep their names. An invalid %-escape makes the
// request malformed (400), where the original silently cut the key short at
// it — writing to another key than the one meant is worse than refusing.
// Returns 0 or the error status.
int KeyOfTarget(std::string_view target, size_t max_key, std::string* key) {
  for (std::string_view scheme : {"http://", "https://"}) {
    if (StartsWithIgnoreCase(target, scheme)) {
      const size_t slash = target.find('/', scheme.size());
      target = slash == std::string_view::npos ? "/" : target.substr(slash);
      break;
    }
  }
  if (target.empty() || target.front() != '/') return 400;
  target.remove_prefix(1);
  key->clear();
  if (!PercentDecode(target, key)) return 400;
  return key->size() > max_key ? 414 : 0;
}

// The success or failure response of a misc call.
void AppendMiscResponse(std::string* out, const ResponseFraming& framing, const Status& s,
                        const std::vector<std::string>& result) {
  if (s.ok()) {
    AppendResponse(out, framing, 200, kFormType, EncodeFormResult(result));
  } else {
    AppendTextResponse(out, framing, 500);
  }
}

class KeyValueHandler : public HttpHandler {
 public:
  KeyValueHandler(ServerContext* context, int fd) : context_(context), fd_(fd) {}

  int Check(HttpRequest* request) override;
  ProtocolSession::DeferredWork Run(const HttpRequest& request, int verdict,
                                    const ResponseFraming& framing, std::string* out) override;

 private:
  // The binary command whose job `request` does, counted and masked as it;
  // 0 for a POST that names neither a misc function nor an extension.
  static uint8_t CommandOf(const HttpRequest& request);
  bool Forbidden(const HttpRequest& request) const;
  // "Allow: OPTIONS, GET, ...\r\n": the methods the mask lets through.
  std::string AllowHeader() const;
  // The original's fields of `stat` as X-TT-* header lines, for OPTIONS.
  std::string StatusHeaders() const;

  void Get(const HttpRequest& request, const ResponseFraming& framing, std::string* out);
  void Head(const HttpRequest& request, const ResponseFraming& framing, std::string* out);
  void Put(const HttpRequest& request, const ResponseFraming& framing, std::string* out);
  void Delete(const HttpRequest& request, const ResponseFraming& framing, std::string* out);
  ProtocolSession::DeferredWork Misc(const HttpRequest& request, const ResponseFraming& framing,
                                     std::string* out);

  ServerContext* context_;
  int fd_;
  IteratorState iterator_;  // misc iterinit/iternext: the connection's own walk
};

uint8_t KeyValueHandler::CommandOf(const HttpRequest& request) {
  switch (request.method) {
    case HttpMethod::kGet:
      return kCmdGet;
    case HttpMethod::kHead:
      return kCmdVsiz;
    case HttpMethod::kPut:
      if (request.pdmode == "1") return kCmdPutKeep;
      if (request.pdmode == "2") return kCmdPutCat;
      return kCmdPut;
    case HttpMethod::kDelete:
      return kCmdOut;
    case HttpMethod::kPost:
      if (!request.xname.empty()) return kCmdExt;
      if (!request.mname.empty()) return kCmdMisc;
      return 0;
    case HttpMethod::kOptions:
      return kCmdStat;
    case HttpMethod::kOther:
      return 0;
  }
  return 0;
}

bool KeyValueHandler::Forbidden(const HttpRequest& request) const {
  const CommandMask& mask = context_->mask;
  switch (request.command) {
    // The original masks OPTIONS as the binary stat (allorg too, not allhttp)
    // and every PUT by the put bit, whatever X-TT-PDMODE says.
    case kCmdStat:
      return mask.Forbids(kCmdStat);
    case kCmdPutKeep:
    case kCmdPutCat:
      return mask.ForbidsVia(kCmdPut, kMaskAllHttp);
    default:
      return mask.ForbidsVia(request.command, kMaskAllHttp);
  }
}

std::string KeyValueHandler::AllowHeader() const {
  static constexpr std::pair<uint8_t, std::string_view> kMethods[] = {{kCmdGet, "GET"},
                                                                      {kCmdVsiz, "HEAD"},
                                                                      {kCmdPut, "PUT"},
                                                                      {kCmdMisc, "POST"},
                                                                      {kCmdOut, "DELETE"}};
  std::string allow = "Allow: OPTIONS";
  for (const auto& [command, method] : kMethods) {
    if (!context_->mask.ForbidsVia(command, kMaskAllHttp)) allow.append(", ").append(method);
  }
  return allow + "\r\n";
}

std::string KeyValueHandler::StatusHeaders() const {
  const std::string report = BuildStatReport(*context_, fd_, /*counters_only=*/false);
  std::string headers;
  std::string_view rest = report;
  while (!rest.empty()) {
    const size_t end = rest.find('\n');
    const std::string_view line = rest.substr(0, end);
    rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 1);
    const size_t tab = line.find('\t');
    if (tab == std::string_view::npos) continue;
    const std::string_view name = line.substr(0, tab);
    // The counters and our own fields follow the original's fields.
    if (name.starts_with("cnt_")) break;
    if (tab + 1 == line.size()) continue;  // e.g. no path for an in-memory database
    headers.append("X-TT-");
    for (char c : name)
      headers.push_back(c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c);
    headers.append(": ").append(line.substr(tab + 1)).append("\r\n");
  }
  return headers;
}

int KeyValueHandler::Check(HttpRequest* request) {
  if (request->method == HttpMethod::kOther) return 405;
  // OPTIONS is about the server (its target is usually "*"), not a key.
  if (request->method != HttpMethod::kOptions) {
    if (int status = KeyOfTarget(request->target, context_->limits.max_key, &request->key)) {
      return status;
    }
  }
  request->command = CommandOf(*request);
  if (request->command == 0) return 400;
  if (Forbidden(*request)) return 403;
  if (request->command == kCmdExt) return 500;  // no scripting in this server, as without -ext
  return 0;
}

ProtocolSession::DeferredWork KeyValueHandler::Run(const HttpRequest& request, int verdict,
                                                   const ResponseFraming& framing,
                                                   std::string* out) {
  // Refused requests count too, as the binary protocol counts them.
  if (request.command != 0) context_->stats->CountCommand(request.command);
  if (verdict != 0) {
    AppendTextResponse(out, framing, verdict, verdict == 405 ? AllowHeader() : "");
    return nullptr;
  }
  switch (request.method) {
    case HttpMethod::kGet:
      Get(request, framing, out);
      break;
    case HttpMethod::kHead:
      Head(request, framing, out);
      break;
    case HttpMethod::kPut:
      Put(request, framing, out);
      break;
    case HttpMethod::kDelete:
      Delete(request, framing, out);
      break;
    case HttpMethod::kPost:
      return Misc(request, framing, out);
    case HttpMethod::kOptions:
      AppendResponseHead(out, framing, 200, "", 0, AllowHeader() + StatusHeaders());
      break;
    case HttpMethod::kOther:  // refused by Check
      break;
  }
  return nullptr;
}

void KeyValueHandler::Get(const HttpRequest& request, const ResponseFraming& framing,
                          std::string* out) {
  // The value goes from the store straight into the response.
  Status s = context_->engine->Read(request.key, [&](std::string_view value, const ValueMeta&) {
    AppendResponse(out, framing, 200, kOctetStream, value);
  });
  if (s.ok()) return;
  context_->stats->get_miss.fetch_add(1, std::memory_order_relaxed);
  if (!s.IsNotFound()) LogError("HTTP GET failed: ", s.ToString());
  AppendTextResponse(out, framing, s.IsNotFound() ? 404 : 500);
}

void KeyValueHandler::Head(const HttpRequest& request, const ResponseFraming& framing,
                           std::string* out) {
  uint64_t size = 0;
  Status s = context_->engine->ValueSize(request.key, &size);
  if (s.ok()) {
    AppendResponseHead(out, framing, 200, kOctetStream, size);
  } else {
    AppendTextResponse(out, framing, s.IsNotFound() ? 404 : 500);
  }
}

void KeyValueHandler::Put(const HttpRequest& request, const ResponseFraming& framing,
                          std::string* out) {
  Engine& engine = *context_->engine;
  Status s;
  switch (request.command) {
    case kCmdPutKeep:
      s = engine.PutKeep(request.key, request.body);
      break;
    case kCmdPutCat:
      s = engine.PutCat(request.key, request.body);
      break;
    default:
      s = engine.Put(request.key, request.body);
      break;
  }
  if (s.ok()) return AppendTextResponse(out, framing, 201);
  context_->stats->put_miss.fetch_add(1, std::memory_order_relaxed);
  if (s.code() == Status::Code::kExists) return AppendTextResponse(out, framing, 409);
  LogError("HTTP PUT (", CommandName(request.command), ") failed: ", s.ToString());
  AppendTextResponse(out, framing, 500);
}

void KeyValueHandler::Delete(const HttpRequest& request, const ResponseFraming& framing,
                             std::string* out) {
  Status s = context_->engine->Out(request.key);
  if (s.ok()) return AppendTextResponse(out, framing, 200);
  context_->stats->out_miss.fetch_add(1, std::memory_order_relaxed);
  if (!s.IsNotFound()) LogError("HTTP DELETE failed: ", s.ToString());
  AppendTextResponse(out, framing, s.IsNotFound() ? 404 : 500);
}

ProtocolSession::DeferredWork KeyValueHandler::Misc(const HttpRequest& request,
                                                    const ResponseFraming& framing,
                                                    std::string* out) {
  std::vector<std::string> args;
  if (!ParseFormValues(request.body, request.content_type, &args)) {
    AppendTextResponse(out, framing, 400);
    return nullptr;
  }
  if (IsSlowMisc(request.mname)) {
    // The work owns its arguments: the request's bytes go with the input buffer.
    return [engine = context_->engine, name = request.mname, args = std::move(args), framing] {
      const std::vector<std::string_view> views(args.begin(), args.end());
      // None of these functions iterates: the connection's walk stays untouched.
      IteratorState unused;
      std::vector<std::string> result;
      Status s = RunMisc(*engine, name, views, &unused, &result);
      std::string response;
      AppendMiscResponse(&response, framing, s, result);
      return response;
    };
  }
  const std::vector<std::string_view> views(args.begin(), args.end());
  std::vector<std::string> result;
  Status s = RunMisc(*context_->engine, request.mname, views, &iterator_, &result, Origin{},
                     context_->limits.max_value);
  AppendMiscResponse(out, framing, s, result);
  return nullptr;
}

}  // namespace

std::unique_ptr<HttpHandler> NewKeyValueHandler(ServerContext* context, int fd) {
  return std::make_unique<KeyValueHandler>(context, fd);
}

}  // namespace tt
