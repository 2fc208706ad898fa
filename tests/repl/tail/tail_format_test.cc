// tttail's output lines (repl/tail/tail_format.h): the JSON object of every record
// kind, JSON escaping, the base64 fallback for bytes that are not UTF-8, and
// the TSV line of `ttulmgr export`.
#include "repl/tail/tail_format.h"

#include <gtest/gtest.h>

#include "tests/repl/tail/tail_test_bodies.h"

namespace tt::testing {
namespace {

std::string Json(const std::string& body, TailEncoding encoding = TailEncoding::kText) {
  return FormatTailLine(Record(7, body), TailFormat::kJson, encoding, 3);
}

std::string Base64(std::string_view bytes) {
  std::string out;
  AppendBase64(bytes, &out);
  return out;
}

TEST(TailFormatTest, Base64FollowsRfc4648) {
  EXPECT_EQ(Base64(""), "");
  EXPECT_EQ(Base64("f"), "Zg==");
  EXPECT_EQ(Base64("fo"), "Zm8=");
  EXPECT_EQ(Base64("foo"), "Zm9v");
  EXPECT_EQ(Base64("foobar"), "Zm9vYmFy");
  EXPECT_EQ(Base64(std::string("\xff\xfe\x00", 3)), "//4A");
}

TEST(TailFormatTest, Utf8ValidationRejectsMalformedSequences) {
  EXPECT_TRUE(IsValidUtf8("plain"));
  EXPECT_TRUE(IsValidUtf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
  EXPECT_FALSE(IsValidUtf8("\xff"));
  EXPECT_FALSE(IsValidUtf8("\xc3"));              // truncated
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));      // surrogate U+D800
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xe2\x28\xa1"));      // bad continuation
}

TEST(TailFormatTest, JsonEscapesQuotesBackslashesAndControlCharacters) {
  std::string out;
  AppendJsonString(std::string("a\"b\\c\n\r\t\x01\x1f\x7f\xc3\xa9", 13), &out);
  EXPECT_EQ(out, "\"a\\\"b\\\\c\\n\\r\\t\\u0001\\u001f\x7f\xc3\xa9\"");
}

TEST(TailFormatTest, PutIsOneJsonObjectPerLine) {
  EXPECT_EQ(Json(PutBody("foo", "bar")),
            "{\"ts\":7,\"sid\":1,\"op\":\"put\",\"ok\":true,\"key\":\"foo\",\"value\":\"bar\"}\n");
}

TEST(TailFormatTest, BytesThatAreNotUtf8GoToABase64Field) {
  std::string all_bytes;
  for (int b = 0; b < 256; ++b) all_bytes.push_back(static_cast<char>(b));
  EXPECT_EQ(Json(PutBody("k", all_bytes)),
            "{\"ts\":7,\"sid\":1,\"op\":\"put\",\"ok\":true,\"key\":\"k\",\"value_base64\":\"" +
                Base64(all_bytes) + "\"}\n");
}

TEST(TailFormatTest, Base64EncodingEncodesEveryKeyAndValue) {
  EXPECT_EQ(Json(PutBody("foo", "bar"), TailEncoding::kBase64),
            "{\"ts\":7,\"sid\":1,\"op\":\"put\",\"ok\":true,\"key_base64\":\"Zm9v\","
            "\"value_base64\":\"YmFy\"}\n");
}

TEST(TailFormatTest, EveryRecordKindHasItsFields) {
  using requests::KeyValue;
  EXPECT_EQ(Json(OutBody("k")), "{\"ts\":7,\"sid\":1,\"op\":\"out\",\"ok\":true,\"key\":\"k\"}\n");
  EXPECT_EQ(Json(Logged(KeyValue(kCmdPutKeep, "k", "v"), false)),
            "{\"ts\":7,\"sid\":1,\"op\":\"putkeep\",\"ok\":false,\"key\":\"k\",\"value\":\"v\"}\n");
  EXPECT_EQ(Json(Logged(KeyValue(kCmdPutCat, "k", "v"))),
            "{\"ts\":7,\"sid\":1,\"op\":\"putcat\",\"ok\":true,\"key\":\"k\",\"value\":\"v\"}\n");
  EXPECT_EQ(Json(Logged(requests::PutShl("k", "v", 4))),
            "{\"ts\":7,\"sid\":1,\"op\":\"putshl\",\"ok\":true,\"key\":\"k\",\"value\":\"v\","
            "\"width\":4}\n");
  EXPECT_EQ(Json(Logged(requests::AddInt("n", -5))),
            "{\"ts\":7,\"sid\":1,\"op\":\"addint\",\"ok\":true,\"key\":\"n\",\"delta\":-5}\n");
  EXPECT_EQ(Json(Logged(requests::AddDouble("d", 1.5))),
            "{\"ts\":7,\"sid\":1,\"op\":\"adddouble\",\"ok\":true,\"key\":\"d\",\"delta\":1.5}\n");
  EXPECT_EQ(Json(VanishBody()), "{\"ts\":7,\"sid\":1,\"op\":\"vanish\",\"ok\":true}\n");
  EXPECT_EQ(Json(SyncBody()), "{\"ts\":7,\"sid\":1,\"op\":\"sync\",\"ok\":true}\n");
  EXPECT_EQ(Json(OptimizeBody("bnum=9")),
            "{\"ts\":7,\"sid\":1,\"op\":\"optimize\",\"ok\":true,\"params\":\"bnum=9\"}\n");
}

TEST(TailFormatTest, PutMetaCarriesFlagsAndExpiry) {
  ValueMeta meta;
  meta.flags = 42;
  meta.expires_at = 1800000000;
  EXPECT_EQ(Json(PutMetaBody("k", "v", meta)),
            "{\"ts\":7,\"sid\":1,\"op\":\"putmeta\",\"ok\":true,\"key\":\"k\",\"value\":\"v\","
            "\"flags\":42,\"expires_at\":1800000000}\n");
}

TEST(TailFormatTest, MiscIsOneLineWithNameAndArguments) {
  EXPECT_EQ(Json(MiscBody("putlist", {"a", "1", "b", "2"})),
            "{\"ts\":7,\"sid\":1,\"op\":\"misc\",\"ok\":true,\"name\":\"putlist\","
            "\"args\":[\"a\",\"1\",\"b\",\"2\"]}\n");
  // One argument that is not UTF-8 turns the whole list into base64.
  EXPECT_EQ(Json(MiscBody("outlist", {"a", "\xff"})),
            "{\"ts\":7,\"sid\":1,\"op\":\"misc\",\"ok\":true,\"name\":\"outlist\","
            "\"args_base64\":[\"YQ==\",\"/w==\"]}\n");
}

TEST(TailFormatTest, UnparseableBodyIsPassedOnAsBase64) {
  EXPECT_EQ(Json(std::string("\xc8\x10\x00", 3)),
            "{\"ts\":7,\"sid\":1,\"op\":\"put\",\"ok\":null,\"body_base64\":\"yBAA\"}\n");
}

TEST(TailFormatTest, TsvIsTheExportLineWithTheMasterAsMid) {
  EXPECT_EQ(FormatTailLine(Record(1795252109520066, PutBody("foo", "bar"), 7), TailFormat::kTsv,
                           TailEncoding::kText, 3),
            "1795252109520066\t7:3\tput\tC8 10 00 00 00 03 00 00 00 03 66 6F 6F 62 61 72 00\n");
}

}  // namespace
}  // namespace tt::testing
