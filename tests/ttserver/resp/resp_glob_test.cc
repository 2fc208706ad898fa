#include "ttserver/resp/resp_glob.h"

#include <gtest/gtest.h>

#include <string>

namespace tt::resp {
namespace {

TEST(RespGlobTest, StarAndQuestionMark) {
  EXPECT_TRUE(GlobMatch("*", ""));
  EXPECT_TRUE(GlobMatch("*", "anything"));
  EXPECT_TRUE(GlobMatch("h?llo", "hello"));
  EXPECT_FALSE(GlobMatch("h?llo", "hllo"));
  EXPECT_TRUE(GlobMatch("h*llo", "hllo"));
  EXPECT_TRUE(GlobMatch("h*llo", "heeeello"));
  EXPECT_TRUE(GlobMatch("*a*b*", "xxaxxbxx"));
  EXPECT_FALSE(GlobMatch("*a*b", "xxaxxbxx"));
  EXPECT_FALSE(GlobMatch("user:*", "user"));
  EXPECT_TRUE(GlobMatch("user:**", "user:"));
}

TEST(RespGlobTest, SetsRangesAndNegation) {
  EXPECT_TRUE(GlobMatch("h[ae]llo", "hallo"));
  EXPECT_FALSE(GlobMatch("h[ae]llo", "hillo"));
  EXPECT_TRUE(GlobMatch("h[^e]llo", "hallo"));
  EXPECT_FALSE(GlobMatch("h[^e]llo", "hello"));
  EXPECT_TRUE(GlobMatch("h[a-b]llo", "hbllo"));
  EXPECT_TRUE(GlobMatch("h[b-a]llo", "hallo")) << "a reversed range";
  EXPECT_FALSE(GlobMatch("h[a-b]llo", "hcllo"));
  EXPECT_TRUE(GlobMatch("[a-]", "-")) << "a dash before ] is itself";
  EXPECT_TRUE(GlobMatch("x[abc", "xc")) << "an open set ends with the pattern";
}

TEST(RespGlobTest, EscapesMatchTheByteItself) {
  EXPECT_TRUE(GlobMatch("a\\*b", "a*b"));
  EXPECT_FALSE(GlobMatch("a\\*b", "axb"));
  EXPECT_TRUE(GlobMatch("\\?", "?"));
  EXPECT_TRUE(GlobMatch("[\\]]", "]"));
  EXPECT_TRUE(GlobMatch("[\\-]", "-"));
}

TEST(RespGlobTest, EveryByteAndLongInputsStayLinear) {
  std::string key = "k";
  key.push_back('\0');
  key.push_back('\xff');
  EXPECT_TRUE(GlobMatch("k?\xff", key));
  EXPECT_TRUE(GlobMatch("k[\x01-\xff]?", "k\x80z")) << "ranges compare bytes unsigned";
  // Many stars over a long text that does not match: finishes (no
  // exponential backtracking).
  const std::string text(20000, 'a');
  EXPECT_FALSE(GlobMatch("*a*a*a*a*a*a*a*a*a*a*b", text));
}

}  // namespace
}  // namespace tt::resp
