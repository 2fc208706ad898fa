#include "ttserver/memcached_text_command.h"

#include <climits>

#include "common/commands.h"
#include "common/logging.h"

namespace tt::mctext {

bool IsValidDataLength(int64_t length) { return length >= 0 && length <= INT_MAX - 2; }

BlockStatus TakeDataBlock(std::string_view after, size_t length, std::string_view* data) {
  if (after.size() < length + 2) return BlockStatus::kNeedMore;
  if (after.substr(length, 2) != "\r\n") return BlockStatus::kBad;
  *data = after.substr(0, length);
  return BlockStatus::kGood;
}

bool Forbidden(const ServerContext& context, uint8_t command) {
  return context.mask.ForbidsVia(command, kMaskAllMc);
}

uint8_t StoreMaskCommand(mc::StoreMode mode) {
  switch (mode) {
    case mc::StoreMode::kAdd:
      return kCmdPutKeep;
    case mc::StoreMode::kAppend:
      return kCmdPutCat;
    default:
      return kCmdPut;
  }
}

}  // namespace tt::mctext
