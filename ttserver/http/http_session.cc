// HTTP/1.1 framing over Debian's http_parser (2.9): the parser keeps its
// state across Process() calls and is given each input byte once; the bytes
// of a request stay unconsumed in the connection's buffer until the request
// is whole, so the session records where its parts lie as offsets from the
// request's first byte (the buffer may move between calls) and reads them
// when the parser pauses — after the head, to decide on the body before it
// is read, and after the whole message, to answer it before the parser
// looks at the next one. So replies go out in request order, a slow request
// can stop the batch right after itself, and the requests behind it stay
// unconsumed.
#include "ttserver/http/http_session.h"

#include <http_parser.h>

#include <climits>
#include <optional>
#include <utility>
#include <vector>

#include "common/logging.h"
#include "ttserver/http/http_handler.h"
#include "ttserver/wire_protocol.h"

namespace tt {

namespace {

// Header lines of one request beyond this many bytes get 431. The library
// itself stops at 80 KiB for the request line and the headers together
// (HTTP_MAX_HEADER_SIZE), which also bounds a request-target, and so a key
// sent over HTTP, to a little under 80 KiB (414 beyond).
constexpr size_t kMaxHeaderBytes = 64 * 1024;
// Bytes a chunked body may spend on framing (chunk-size lines, extensions,
// trailers) beyond the size of its data: the library bounds each chunk-size
// line (80 KiB) but not their number, and all of it waits in the input
// buffer until the body is whole.
constexpr size_t kMaxChunkFraming = 64 * 1024;
// A request with more header lines than this does not keep their table's
// memory for the connection's next requests.
constexpr size_t kKeptHeaderSlots = 64;

constexpr std::string_view k100Continue = "HTTP/1.1 100 Continue\r\n\r\n";

// Bytes of the request being received, as offsets from its first byte.
struct Span {
  size_t begin = 0;
  size_t end = 0;
  std::string_view In(std::string_view request) const { return request.substr(begin, end - begin); }
};

struct HeaderSpans {
  Span name;
  Span value;
};

HttpMethod MethodOf(unsigned method) {
  switch (method) {
    case HTTP_GET:
      return HttpMethod::kGet;
    case HTTP_HEAD:
      return HttpMethod::kHead;
    case HTTP_PUT:
      return HttpMethod::kPut;
    case HTTP_POST:
      return HttpMethod::kPost;
    case HTTP_DELETE:
      return HttpMethod::kDelete;
    case HTTP_OPTIONS:
      return HttpMethod::kOptions;
    default:
      return HttpMethod::kOther;
  }
}

// The headers copied into HttpRequest.
constexpr std::pair<std::string_view, std::string HttpRequest::*> kRequestHeaders[] = {
    {"Content-Type", &HttpRequest::content_type},
    {"X-TT-PDMODE", &HttpRequest::pdmode},
    {"X-TT-MNAME", &HttpRequest::mname},
    {"X-TT-XNAME", &HttpRequest::xname},
};

}  // namespace

struct HttpSession::State {
  State(ServerContext* context, int fd, Mode mode);

  // The parser's callbacks (parser.data is the State). They only record
  // where things are; the decisions are taken when the parser pauses.
  static const http_parser_settings& Settings();
  static State& Of(http_parser* p) { return *static_cast<State*>(p->data); }
  static int OnMessageBegin(http_parser* p);
  static int OnUrl(http_parser* p, const char* at, size_t length);
  static int OnHeaderField(http_parser* p, const char* at, size_t length);
  static int OnHeaderValue(http_parser* p, const char* at, size_t length);
  static int OnHeadersComplete(http_parser* p);
  static int OnChunkHeader(http_parser* p);
  static int OnBody(http_parser* p, const char* at, size_t length);
  static int OnMessageComplete(http_parser* p);

  Span SpanOf(const char* at, size_t length) const {
    const auto begin = static_cast<size_t>(at - base);
    return {begin, begin + length};
  }

  // The head of the request has arrived; `received` is the input from the
  // request's first byte. Checks it and decides on its body. False when the
  // connection must close (the response is in *out).
  bool OnHead(std::string_view received, std::string* out);
  // The whole request has arrived: `request_bytes` are all of its bytes.
  Result OnComplete(std::string_view request_bytes, std::string* out);
  // The request is past the limits while it is being received.
  bool OverLimit(std::string* out);
  // The parser stopped on an error: answers it.
  void OnParseError(std::string* out);
  // Answers `status` and ends the connection: what follows cannot be read.
  void Refuse(int status, std::string_view why, std::string* out);
  ResponseFraming Framing(bool keep_alive) const;

  ServerContext* context;
  int fd;
  // On the data port, where a request of another protocol may follow; the
  // metrics port speaks only HTTP.
  bool shares_port;
  std::unique_ptr<HttpHandler> handler;
  http_parser parser;
  const char* base = nullptr;  // the request's first byte in this Process() call's input
  size_t fed = 0;              // bytes of the request the parser has seen
  enum class Pause { kNone, kHead, kMessage } pause = Pause::kNone;
  int refusal = 0;  // the status of a callback that stopped the parser

  // The request being received.
  bool deciding = false;  // its first line, HTTP's or not, has not ended yet
  bool in_message = false;
  bool head_done = false;
  bool last_was_name = false;  // the last header callback was for a name
  Span url;
  std::vector<HeaderSpans> headers;
  bool expect_continue = false;
  size_t body_begin = 0;
  uint64_t body_length = 0;  // Content-Length, when not chunked
  uint64_t chunk_total = 0;  // chunk sizes announced so far
  uint64_t body_received = 0;
  std::string chunked_body;   // the data of a chunked body, joined
  bool discard_body = false;  // the request is refused: its body is read but not kept
  HttpRequest request;
  int verdict = 0;

  // The deferred request's response ends the connection: the next Process() call says so.
  bool close_pending = false;
  DeferredWork deferred;
};

HttpSession::State::State(ServerContext* context, int fd, Mode mode)
    : context(context),
      fd(fd),
      shares_port(mode == Mode::kKeyValue),
      handler(mode == Mode::kMetrics ? NewMetricsHandler(context)
                                     : NewKeyValueHandler(context, fd)) {
  http_parser_init(&parser, HTTP_REQUEST);
  parser.data = this;
}

const http_parser_settings& HttpSession::State::Settings() {
  static const http_parser_settings settings = [] {
    http_parser_settings s;
    http_parser_settings_init(&s);
    s.on_message_begin = &OnMessageBegin;
    s.on_url = &OnUrl;
    s.on_header_field = &OnHeaderField;
    s.on_header_value = &OnHeaderValue;
    s.on_headers_complete = &OnHeadersComplete;
    s.on_chunk_header = &OnChunkHeader;
    s.on_body = &OnBody;
    s.on_message_complete = &OnMessageComplete;
    return s;
  }();
  return settings;
}

int HttpSession::State::OnMessageBegin(http_parser* p) {
  State& s = Of(p);
  s.in_message = true;
  s.head_done = false;
  s.last_was_name = false;
  s.url = {};
  if (s.headers.capacity() > kKeptHeaderSlots) s.headers = {};
  s.headers.clear();
  s.expect_continue = false;
  s.body_begin = 0;
  s.body_length = 0;
  s.chunk_total = 0;
  s.body_received = 0;
  s.discard_body = false;
  s.request = HttpRequest();
  s.verdict = 0;
  return 0;
}

int HttpSession::State::OnUrl(http_parser* p, const char* at, size_t length) {
  State& s = Of(p);
  const Span piece = s.SpanOf(at, length);
  // The target arrives in pieces when it spans several reads.
  if (s.url.end == 0) {
    s.url = piece;
  } else {
    s.url.end = piece.end;
  }
  return 0;
}

int HttpSession::State::OnHeaderField(http_parser* p, const char* at, size_t length) {
  State& s = Of(p);
  if (s.head_done) return 0;  // a trailer of a chunked body: nothing reads those
  const Span piece = s.SpanOf(at, length);
  if (s.last_was_name && s.headers.back().name.end == piece.begin) {
    s.headers.back().name.end = piece.end;
  } else {
    // Either a new line, or the one before had an empty value.
    s.headers.push_back({piece, Span{piece.end, piece.end}});
  }
  s.last_was_name = true;
  return 0;
}

int HttpSession::State::OnHeaderValue(http_parser* p, const char* at, size_t length) {
  State& s = Of(p);
  if (s.head_done || s.headers.empty()) return 0;
  const Span piece = s.SpanOf(at, length);
  HeaderSpans& header = s.headers.back();
  if (s.last_was_name) {
    header.value = piece;
  } else {
    header.value.end = piece.end;
  }
  s.last_was_name = false;
  return 0;
}

int HttpSession::State::OnHeadersComplete(http_parser* p) {
  Of(p).pause = Pause::kHead;
  http_parser_pause(p, 1);
  return 0;
}

int HttpSession::State::OnChunkHeader(http_parser* p) {
  State& s = Of(p);
  // Refused as soon as announced, before the data is buffered.
  if (p->content_length > s.context->limits.max_value - s.chunk_total) {
    s.refusal = 413;
    return 1;
  }
  s.chunk_total += p->content_length;
  return 0;
}

int HttpSession::State::OnBody(http_parser* p, const char* at, size_t length) {
  State& s = Of(p);
  s.body_received += length;
  // A Content-Length body is read in place once whole; chunks are joined here.
  if ((p->flags & F_CHUNKED) != 0 && !s.discard_body) s.chunked_body.append(at, length);
  return 0;
}

int HttpSession::State::OnMessageComplete(http_parser* p) {
  Of(p).pause = Pause::kMessage;
  http_parser_pause(p, 1);
  return 0;
}

ResponseFraming HttpSession::State::Framing(bool keep_alive) const {
  ResponseFraming framing;
  framing.head_only = request.method == HttpMethod::kHead;
  if (!keep_alive) {
    framing.connection = ResponseFraming::Connection::kClose;
  } else if (parser.http_minor == 0) {
    framing.connection = ResponseFraming::Connection::kKeepAlive;
  }
  return framing;
}

void HttpSession::State::Refuse(int status, std::string_view why, std::string* out) {
  LogInfo("closing connection fd ", fd, ": HTTP ", status, ", ", why);
  AppendTextResponse(out, Framing(false), status);
}

bool HttpSession::State::OnHead(std::string_view received, std::string* out) {
  head_done = true;
  body_begin = fed + 1;  // the parser paused on the head's final LF
  request.method = MethodOf(parser.method);
  if (body_begin - url.end > kMaxHeaderBytes) {
    Refuse(431, "header lines too long", out);
    return false;
  }
  request.target = url.In(received);
  for (const HeaderSpans& header : headers) {
    const std::string_view name = header.name.In(received);
    const std::string_view value = TrimBlanks(header.value.In(received));
    if (EqualsIgnoreCase(name, "Expect")) {
      expect_continue = EqualsIgnoreCase(value, "100-continue");
      continue;
    }
    for (const auto& [known, field] : kRequestHeaders) {
      if (EqualsIgnoreCase(name, known) && (request.*field).empty()) request.*field = value;
    }
  }
  if (parser.http_major != 1) {
    Refuse(505, "not HTTP/1.x", out);
    return false;
  }
  const bool chunked = (parser.flags & F_CHUNKED) != 0;
  const bool has_length = parser.content_length != ULLONG_MAX && parser.content_length > 0;
  if (!chunked && has_length) {
    // Refused before a byte of it is buffered.
    if (parser.content_length > context->limits.max_value) {
      Refuse(413, "body larger than --max-value", out);
      return false;
    }
    body_length = parser.content_length;
  }
  verdict = handler->Check(&request);
  if (!chunked && !has_length) return true;
  if (verdict != 0) {
    // A peer waiting for 100 Continue gets the final status instead; as it
    // may still send the body, the connection cannot carry another request
    // (RFC 7231 §5.1.1).
    if (expect_continue) {
      handler->Run(request, verdict, Framing(false), out);
      return false;
    }
    // The body is on its way: read it, without keeping it, to stay in step
    // with the peer.
    discard_body = true;
    return true;
  }
  // Only a peer that has not begun to send the body waits for this, and
  // HTTP/1.0 peers do not know it.
  if (expect_continue && parser.http_minor >= 1 && body_begin >= received.size()) {
    out->append(k100Continue);
  }
  return true;
}

ProtocolSession::Result HttpSession::State::OnComplete(std::string_view request_bytes,
                                                       std::string* out) {
  in_message = false;
  // A CONNECT peer would take the connection for a tunnel after any answer.
  const bool keep_alive = http_should_keep_alive(&parser) != 0 && parser.method != HTTP_CONNECT;
  if (!discard_body) {
    request.body = (parser.flags & F_CHUNKED) != 0 ? std::string_view(chunked_body)
                                                   : request_bytes.substr(body_begin, body_length);
  }
  DeferredWork work = handler->Run(request, verdict, Framing(keep_alive), out);
  std::string().swap(chunked_body);
  if (work) {
    deferred = std::move(work);
    close_pending = !keep_alive;
    return Result::kDeferred;
  }
  return keep_alive ? Result::kContinue : Result::kClose;
}

bool HttpSession::State::OverLimit(std::string* out) {
  if (!head_done) {
    // url.end trails the bytes received while the target itself is arriving.
    if (fed - url.end <= kMaxHeaderBytes) return false;
    Refuse(431, "header lines too long", out);
    return true;
  }
  if ((parser.flags & F_CHUNKED) == 0) return false;
  const uint64_t framing = fed - body_begin - body_received;
  if (framing <= kMaxChunkFraming + body_received) return false;
  Refuse(413, "chunked body framing larger than its data", out);
  return true;
}

void HttpSession::State::OnParseError(std::string* out) {
  const auto error = static_cast<http_errno>(parser.http_errno);
  int status = 400;
  if (refusal != 0) {
    status = refusal;
  } else if (error == HPE_HEADER_OVERFLOW) {
    // The library's 80 KiB bound on the head, and on each chunk-size line
    // and the trailers of a body.
    if (head_done) {
      status = 413;
    } else {
      status = headers.empty() ? 414 : 431;  // before the first header line: the target
    }
  }
  Refuse(status, http_errno_description(error), out);
}

HttpSession::HttpSession(ServerContext* context, int fd, Mode mode)
    : state_(std::make_unique<State>(context, fd, mode)) {}

HttpSession::~HttpSession() = default;

ProtocolSession::Result HttpSession::Process(std::string_view in, size_t* consumed,
                                             std::string* out) {
  State& s = *state_;
  *consumed = 0;
  if (s.close_pending) return Result::kClose;
  const size_t out_at_entry = out->size();
  for (;;) {
    const size_t start = *consumed + s.fed;
    if (start == in.size()) return Result::kContinue;
    // Another protocol's request (on the data port; blank lines between
    // requests are HTTP's): the connection's ProtocolSwitch takes it on. An
    // upper-case line is HTTP's or a RESP inline command: its newline tells.
    if (s.shares_port && start == *consumed && !s.in_message && in[start] != '\r' &&
        in[start] != '\n') {
      const std::optional<WireProtocol> protocol = RequestProtocol(in.substr(start));
      s.deciding = !protocol.has_value();
      if (protocol != WireProtocol::kHttp) return Result::kContinue;
    }
    if (!s.in_message && out->size() - out_at_entry >= kReplyBatchBytes) {
      return Result::kContinue;
    }
    s.base = in.data() + *consumed;
    s.pause = State::Pause::kNone;
    // Never called with 0 bytes: that would tell the parser the stream ended.
    s.fed +=
        http_parser_execute(&s.parser, &State::Settings(), in.data() + start, in.size() - start);
    const std::string_view received = in.substr(*consumed);
    switch (HTTP_PARSER_ERRNO(&s.parser)) {
      case HPE_OK:
        // Every byte taken; the rest of the request is still to come.
        if (!s.in_message) {
          *consumed += s.fed;  // blank lines between requests
          s.fed = 0;
          return Result::kContinue;
        }
        return s.OverLimit(out) ? Result::kClose : Result::kContinue;
      case HPE_PAUSED: {
        http_parser_pause(&s.parser, 0);
        if (s.pause == State::Pause::kHead) {
          if (!s.OnHead(received, out)) return Result::kClose;
          continue;
        }
        const Result result = s.OnComplete(received.substr(0, s.fed), out);
        *consumed += s.fed;
        s.fed = 0;
        if (result != Result::kContinue) return result;
        continue;
      }
      default:
        s.OnParseError(out);
        return Result::kClose;
    }
  }
}

bool HttpSession::MidRequest() const { return state_->in_message || state_->deciding; }

ProtocolSession::DeferredWork HttpSession::TakeDeferred() {
  return std::exchange(state_->deferred, nullptr);
}

}  // namespace tt
