#include "common/tt_double.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace tt {
namespace {

// Vectors captured from the original (spec/binary-protocol.md §3.11, spec/README.md).
TEST(TtDoubleTest, EncodesCapturedVectors) {
  EXPECT_EQ(EncodeTtDouble(3.75).integ, 3);
  EXPECT_EQ(EncodeTtDouble(3.75).fract, 750000000000);
  EXPECT_EQ(EncodeTtDouble(1.5).fract, 500000000000);
  EXPECT_EQ(EncodeTtDouble(-0.25).integ, 0);
  EXPECT_EQ(EncodeTtDouble(-0.25).fract, -250000000000);
  EXPECT_EQ(EncodeTtDouble(-5.5).integ, -5);
  EXPECT_EQ(EncodeTtDouble(-5.5).fract, -500000000000);
  EXPECT_EQ(EncodeTtDouble(-1.75).integ, -1);
  EXPECT_EQ(static_cast<uint64_t>(EncodeTtDouble(-1.75).fract), 0xFFFFFF5160843400ull);
}

TEST(TtDoubleTest, SpecialValuesRoundTrip) {
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  TtDouble nan = EncodeTtDouble(std::nan(""));
  EXPECT_EQ(nan.integ, kMin);
  EXPECT_EQ(nan.fract, kMin);
  EXPECT_TRUE(std::isnan(DecodeTtDouble(nan)));
  EXPECT_EQ(EncodeTtDouble(INFINITY).integ, kMax);
  EXPECT_EQ(DecodeTtDouble({kMax, 0}), INFINITY);
  EXPECT_EQ(DecodeTtDouble({kMin, 0}), -INFINITY);
}

TEST(TtDoubleTest, DecodesWithTwelveDecimals) {
  EXPECT_DOUBLE_EQ(DecodeTtDouble({3, 750000000000}), 3.75);
  EXPECT_DOUBLE_EQ(DecodeTtDouble({-5, -500000000000}), -5.5);
}

}  // namespace
}  // namespace tt
