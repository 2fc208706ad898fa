#include "common/hex.h"

#include <gtest/gtest.h>

namespace tt {
namespace {

TEST(HexTest, SpacedUpperCase) {
  EXPECT_EQ(HexSpaced(std::string("\xC8\x10\x00\xab", 4)), "C8 10 00 AB");
  EXPECT_EQ(HexSpaced(""), "");
}

TEST(HexTest, DecodeAcceptsSpacesBetweenBytes) {
  EXPECT_EQ(HexDecode("C8 10 00"), std::string("\xC8\x10\x00", 3));
  EXPECT_EQ(HexDecode("C8100000000100000001414200")->size(), 13u);
  EXPECT_EQ(HexDecode("c8"), std::string("\xC8"));
}

TEST(HexTest, DecodeRejectsOddDigitsAndGarbage) {
  EXPECT_FALSE(HexDecode("C8 1"));
  EXPECT_FALSE(HexDecode("ZZ"));
  EXPECT_FALSE(HexDecode("C 8"));
}

}  // namespace
}  // namespace tt
