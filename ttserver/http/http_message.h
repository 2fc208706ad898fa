// An HTTP request as HttpSession's handlers see it (its framing — keep-alive,
// body encoding, limits — already dealt with by the session), and the
// encoding of responses: always "HTTP/1.1", always a Content-Length, no Date
// or Server header (memcached-and-http.md §2.2).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tt {

enum class HttpMethod { kGet, kHead, kPut, kPost, kDelete, kOptions, kOther };

// One request whose head has arrived.
struct HttpRequest {
  HttpMethod method = HttpMethod::kOther;
  std::string target;  // the request-target as sent, e.g. "/a%20b?x=1"
  // The values of the headers the key-value mapping reads (empty when
  // absent; the first one counts when a header is repeated).
  std::string content_type;
  std::string pdmode;  // X-TT-PDMODE
  std::string mname;   // X-TT-MNAME
  std::string xname;   // X-TT-XNAME
  // Set by HttpHandler::Check: the key the target names and the binary
  // command the request does the job of (stats.h), 0 if none.
  std::string key;
  uint8_t command = 0;
  // The whole body, once it has arrived; valid during HttpHandler::Run only.
  std::string_view body;
};

// What every response to one request shares.
struct ResponseFraming {
  enum class Connection {
    kDefault,    // HTTP/1.1 keep-alive: no header needed
    kKeepAlive,  // an HTTP/1.0 peer asked to keep the connection: say that it is kept
    kClose,      // the server closes the connection after this response
  };
  bool head_only = false;  // HEAD: the headers GET would send, never a body
  Connection connection = Connection::kDefault;
};

// Appends a status line and headers: Content-Type (omitted when empty),
// Content-Length, `extra_headers` (whole lines, each ending in "\r\n"), the
// Connection header `framing` asks for, and the blank line.
void AppendResponseHead(std::string* out, const ResponseFraming& framing, int status,
                        std::string_view content_type, uint64_t content_length,
                        std::string_view extra_headers = {});
// Appends a whole response: the head, then `body` unless framing.head_only.
void AppendResponse(std::string* out, const ResponseFraming& framing, int status,
                    std::string_view content_type, std::string_view body,
                    std::string_view extra_headers = {});
// Appends the short text/plain response of `status`, whose body is the
// reason phrase and a newline ("Not Found\n"), as the original answers.
void AppendTextResponse(std::string* out, const ResponseFraming& framing, int status,
                        std::string_view extra_headers = {});

// ASCII case-insensitive comparisons, for header names and the tokens of
// header values.
bool EqualsIgnoreCase(std::string_view a, std::string_view b);
bool StartsWithIgnoreCase(std::string_view text, std::string_view prefix);
// `text` without the spaces and tabs at either end (optional whitespace
// around header values and parameters).
std::string_view TrimBlanks(std::string_view text);

}  // namespace tt
