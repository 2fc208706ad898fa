#include "partition/partition_hash.h"

namespace tt {

uint32_t PartitionOf(std::string_view key, uint32_t partition_count) {
  // Tokyo Tyrant's tcadbmulidx(): seed 20090810, bytes from last to first.
  uint32_t h = 20090810;
  for (auto it = key.rbegin(); it != key.rend(); ++it) {
    h = (h * 29) ^ static_cast<unsigned char>(*it);
  }
  return h % partition_count;
}

}  // namespace tt
