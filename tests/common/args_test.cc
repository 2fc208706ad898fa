#include "common/args.h"

#include <gtest/gtest.h>

namespace tt {
namespace {

TEST(NormalizeLegacyFlagsTest, RewritesKnownSingleDashNames) {
  const char* argv[] = {"ttserver", "-port", "1978", "-sid", "2", "-x", "--host", "h", "db.kch"};
  auto out = NormalizeLegacyFlags(9, argv, {"port", "sid", "host"});
  std::vector<std::string> expected = {"ttserver", "--port", "1978", "--sid", "2",
                                       "-x",       "--host", "h",    "db.kch"};
  EXPECT_EQ(out, expected);
}

TEST(NormalizeLegacyFlagsTest, LeavesArgumentsAfterDoubleDash) {
  const char* argv[] = {"tool", "--", "-port"};
  auto out = NormalizeLegacyFlags(3, argv, {"port"});
  EXPECT_EQ(out[2], "-port");
}

TEST(ParseDecimalPrefixTest, ParsesLikeTcatoi) {
  EXPECT_EQ(ParseDecimalPrefix("  42abc"), 42);
  EXPECT_EQ(ParseDecimalPrefix("-7"), -7);
  EXPECT_EQ(ParseDecimalPrefix("+5"), 5);
  EXPECT_EQ(ParseDecimalPrefix("garbage"), 0);
  EXPECT_EQ(ParseDecimalPrefix("99999999999999999999999"), 999999999999999999);
}

TEST(ParseWholeIntTest, AcceptsASignedDecimalNumber) {
  EXPECT_EQ(ParseWholeInt("0"), 0);
  EXPECT_EQ(ParseWholeInt("1978"), 1978);
  EXPECT_EQ(ParseWholeInt("+5"), 5);
  EXPECT_EQ(ParseWholeInt("-7"), -7);
  EXPECT_EQ(ParseWholeInt("9223372036854775807"), INT64_MAX);
  EXPECT_EQ(ParseWholeInt("-9223372036854775808"), INT64_MIN);
}

TEST(ParseWholeIntTest, RejectsAnythingButTheNumber) {
  EXPECT_FALSE(ParseWholeInt(""));
  EXPECT_FALSE(ParseWholeInt("+"));
  EXPECT_FALSE(ParseWholeInt("-"));
  EXPECT_FALSE(ParseWholeInt("12abc"));
  EXPECT_FALSE(ParseWholeInt(" 12"));
  EXPECT_FALSE(ParseWholeInt("12 "));
  EXPECT_FALSE(ParseWholeInt("+-5"));
  EXPECT_FALSE(ParseWholeInt("1.5"));
  EXPECT_FALSE(ParseWholeInt("9223372036854775808"));  // overflow, not saturation
}

TEST(ParseSizeWithSuffixTest, AcceptsBinarySuffixesAndFractions) {
  EXPECT_EQ(ParseSizeWithSuffix("1024"), 1024u);
  EXPECT_EQ(ParseSizeWithSuffix("1k"), 1024u);
  EXPECT_EQ(ParseSizeWithSuffix("1K"), 1024u);
  EXPECT_EQ(ParseSizeWithSuffix("1.5m"), 1572864u);
  EXPECT_EQ(ParseSizeWithSuffix("2g"), 2147483648u);
}

TEST(ParseSizeWithSuffixTest, RejectsGarbage) {
  EXPECT_FALSE(ParseSizeWithSuffix(""));
  EXPECT_FALSE(ParseSizeWithSuffix("k"));
  EXPECT_FALSE(ParseSizeWithSuffix("12x"));
  EXPECT_FALSE(ParseSizeWithSuffix("-1"));
  EXPECT_FALSE(ParseSizeWithSuffix("1kk"));
}

TEST(ParseTimestampArgTest, NowAndNegativeMeanCurrentTime) {
  EXPECT_EQ(ParseTimestampArg("123"), 123u);
  EXPECT_GT(*ParseTimestampArg("now"), 1700000000000000u);
  EXPECT_GT(*ParseTimestampArg("-1"), 1700000000000000u);
  EXPECT_FALSE(ParseTimestampArg("12a"));
}

}  // namespace
}  // namespace tt
