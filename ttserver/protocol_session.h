// The seam between a connection (bytes in, bytes out, owned by one worker
// thread) and a protocol (bytes ⇄ requests ⇄ Engine). A connection creates its
// session from the first byte it receives and then feeds it every byte that
// arrives, in order.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace tt {

struct ServerContext;

class ProtocolSession {
 public:
  enum class Result {
    kContinue,  // keep the connection; call again when more bytes arrive
    kClose,     // send what is in `out`, then close the connection
  };
  virtual ~ProtocolSession() = default;

  // Handles every whole request at the front of `in`, appending the replies
  // to `out` in request order, and sets *consumed to the bytes used (a partial
  // request at the end is left unconsumed). Never blocks on the network.
  virtual Result Process(std::string_view in, size_t* consumed, std::string* out) = 0;

  // True while a request is partly received (for the -tout request deadline,
  // as opposed to the idle timeout between requests).
  virtual bool MidRequest() const = 0;
};

// The protocol of a connection whose first byte is `first_byte`: 0xC8 = Tokyo
// Tyrant binary. nullptr when no protocol of this build starts with that byte
// (the connection is then closed).
std::unique_ptr<ProtocolSession> NewProtocolSession(uint8_t first_byte, ServerContext* context,
                                                    int fd);

}  // namespace tt
