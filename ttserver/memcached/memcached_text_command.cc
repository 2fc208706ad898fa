#include "ttserver/memcached/memcached_text_command.h"

#include <climits>

namespace tt::mctext {

bool IsValidDataLength(int64_t length) { return length >= 0 && length <= INT_MAX - 2; }

BlockStatus TakeDataBlock(std::string_view after, size_t length, std::string_view* data) {
  if (after.size() < length + 2) return BlockStatus::kNeedMore;
  if (after.substr(length, 2) != "\r\n") return BlockStatus::kBad;
  *data = after.substr(0, length);
  return BlockStatus::kGood;
}

}  // namespace tt::mctext
