#include "common/hex.h"

#include <gtest/gtest.h>

namespace tt {
namespace {

TEST(HexTest, DigitValueOfEitherCase) {
  EXPECT_EQ(HexDigitValue('0'), 0);
  EXPECT_EQ(HexDigitValue('9'), 9);
  EXPECT_EQ(HexDigitValue('a'), 10);
  EXPECT_EQ(HexDigitValue('F'), 15);
  EXPECT_EQ(HexDigitValue('g'), -1);
  EXPECT_EQ(HexDigitValue(' '), -1);
}

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
