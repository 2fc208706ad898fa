// The original's `-mul` partition hash (server-options.md §3), so that a key
// lands in the same partition as it does in Tokyo Tyrant.
#pragma once

#include <cstdint>
#include <string_view>

namespace tt {

// h = 20090810; for each key byte b from the last to the first: h = h*29 ^ b
// (mod 2^32). Returns h mod partition_count (0-based).
// REQUIRES: partition_count >= 1.
uint32_t PartitionOf(std::string_view key, uint32_t partition_count);

}  // namespace tt
