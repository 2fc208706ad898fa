#include "ttserver/protocol_choice.h"

#include "common/commands.h"
#include "ttserver/binary/binary_session.h"
#include "ttserver/http/http_session.h"
#include "ttserver/memcached/memcached_binary_session.h"
#include "ttserver/memcached/memcached_text_session.h"

namespace tt {

namespace {

constexpr uint8_t kMemcachedBinaryMagic = 0x80;
// Reserved for the RESP (Redis) protocol: not served by this build.
constexpr uint8_t kRespArrayMarker = '*';

}  // namespace

std::unique_ptr<ProtocolSession> NewProtocolSession(uint8_t first_byte, ServerContext* context,
                                                    int fd) {
  if (first_byte == kMagicRequest) return std::make_unique<BinarySession>(context, fd);
  if (first_byte == kMemcachedBinaryMagic) {
    return std::make_unique<MemcachedBinarySession>(context, fd);
  }
  // HTTP methods are upper case; memcached commands are lower case.
  if (first_byte >= 'A' && first_byte <= 'Z') return std::make_unique<HttpSession>(context, fd);
  if (first_byte == kRespArrayMarker) return nullptr;
  return std::make_unique<MemcachedTextSession>(context, fd);
}

}  // namespace tt
