#include "ttserver/protocol_session.h"

#include "common/commands.h"
#include "ttserver/binary_session.h"

namespace tt {

std::unique_ptr<ProtocolSession> NewProtocolSession(uint8_t first_byte, ServerContext* context,
                                                    int fd) {
  if (first_byte == kMagicRequest) return std::make_unique<BinarySession>(context, fd);
  return nullptr;
}

}  // namespace tt
