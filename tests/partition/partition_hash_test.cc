#include "partition/partition_hash.h"

#include <gtest/gtest.h>

#include <string_view>

namespace tt {
namespace {

// Vectors observed with the original (server-options.md §3): file number - 1.
TEST(PartitionHashTest, MatchesTheOriginalsPartitionsForThree) {
  EXPECT_EQ(PartitionOf("a", 3), 2u);
  EXPECT_EQ(PartitionOf("b", 3), 2u);
  EXPECT_EQ(PartitionOf("hello", 3), 2u);
  EXPECT_EQ(PartitionOf("", 3), 2u);
  EXPECT_EQ(PartitionOf("key1", 3), 0u);
  EXPECT_EQ(PartitionOf(std::string_view("\xFF\x00z", 3), 3), 0u);
  EXPECT_EQ(PartitionOf("partition-test", 3), 1u);
}

TEST(PartitionHashTest, EmptyKeyIsTheSeedModuloCount) {
  EXPECT_EQ(PartitionOf("", 1000), 20090810u % 1000);
}

TEST(PartitionHashTest, WalksBytesFromLastToFirstAsUnsigned) {
  // "ab": h = ((seed*29) ^ 'b')*29 ^ 'a', all mod 2^32.
  uint32_t h = 20090810;
  h = h * 29 ^ 'b';
  h = h * 29 ^ 'a';
  EXPECT_EQ(PartitionOf("ab", 127), h % 127);
  uint32_t high = 20090810u * 29 ^ 0xFFu;
  EXPECT_EQ(PartitionOf("\xFF", 127), high % 127);
}

TEST(PartitionHashTest, OnePartitionTakesEveryKey) {
  for (std::string_view key : {"", "a", "zzz", "partition-test"})
    EXPECT_EQ(PartitionOf(key, 1), 0u);
}

}  // namespace
}  // namespace tt
