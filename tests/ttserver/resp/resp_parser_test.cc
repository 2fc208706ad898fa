// The RESP2 request parser: multibulk and inline requests whole, byte by
// byte and pipelined, Redis's protocol errors, and the limits checked before
// anything is allocated.
#include "ttserver/resp/resp_parser.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tt::resp {
namespace {

using Step = RequestParser::Step;

constexpr size_t kBulkLimit = 1 << 20;

std::vector<std::string> Args(const RequestParser& parser) {
  return std::vector<std::string>(parser.args().begin(), parser.args().end());
}

// Parses every request of `in` at once: the arguments of each, in order.
// Stops at the first step that is not kComplete, into *last.
std::vector<std::vector<std::string>> ParseAll(std::string_view in, Step* last = nullptr,
                                               std::string* error = nullptr) {
  RequestParser parser(kBulkLimit);
  std::vector<std::vector<std::string>> requests;
  Step step = Step::kNeedMore;
  while (!in.empty()) {
    size_t used = 0;
    step = parser.Parse(in, &used);
    if (step != Step::kComplete) break;
    requests.push_back(Args(parser));
    in.remove_prefix(used);
  }
  if (last != nullptr) *last = step;
  if (error != nullptr) *error = parser.error();
  return requests;
}

// Gives the parser `in` one more byte at a time, as a connection that keeps
// the unconsumed bytes does.
std::vector<std::vector<std::string>> ParseByteByByte(std::string_view in) {
  RequestParser parser(kBulkLimit);
  std::vector<std::vector<std::string>> requests;
  std::string buffer;
  for (char c : in) {
    buffer.push_back(c);
    size_t used = 0;
    const Step step = parser.Parse(buffer, &used);
    EXPECT_NE(step, Step::kError) << parser.error();
    if (step == Step::kComplete) {
      requests.push_back(Args(parser));
      buffer.erase(0, used);
    } else {
      EXPECT_TRUE(parser.MidRequest());
    }
  }
  EXPECT_TRUE(buffer.empty());
  EXPECT_FALSE(parser.MidRequest());
  return requests;
}

using Requests = std::vector<std::vector<std::string>>;

const std::string kPipeline = std::string("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\na\r\nb\0\r\n", 31) +
                              "GET k\r\n*0\r\n*-1\r\n" + "*2\r\n$4\r\nECHO\r\n$0\r\n\r\n" +
                              "ECHO \"x y\"  'z'\n";
const Requests kPipelineArgs = {{"SET", "k", std::string("a\r\nb\0", 5)},
                                {"GET", "k"},
                                {},
                                {},
                                {"ECHO", ""},
                                {"ECHO", "x y", "z"}};

TEST(RespParserTest, PipelinedRequestsAreParsedOneAtATime) {
  Step last;
  EXPECT_EQ(ParseAll(kPipeline, &last), kPipelineArgs);
  EXPECT_EQ(last, Step::kComplete);
}

TEST(RespParserTest, RequestsArrivingByteByByteGiveTheSameArguments) {
  EXPECT_EQ(ParseByteByByte(kPipeline), kPipelineArgs);
}

TEST(RespParserTest, AZeroOrNegativeCountIsARequestWithoutArguments) {
  EXPECT_EQ(ParseAll("*0\r\n*-1\r\n*-1048577\r\n"), (Requests{{}, {}, {}}));
}

TEST(RespParserTest, TheBytesAfterCarriageReturnsAndBulksAreNotChecked) {
  // As Redis reads them: "\r" and any byte end a count line, and any two
  // bytes end a bulk.
  EXPECT_EQ(ParseAll("*1\rx$4\r\nPINGxx"), (Requests{{"PING"}}));
}

TEST(RespParserTest, InlineWordsAreSplitAsRedisSplitsThem) {
  std::vector<std::string> words;
  ASSERT_TRUE(SplitInlineWords("  SET  a\t\"hello world\" ", &words));
  EXPECT_EQ(words, (std::vector<std::string>{"SET", "a", "hello world"}));
  ASSERT_TRUE(SplitInlineWords(R"("\x41\x4a\x4" "\n\r\t\b\a\z\"" 'it\'s' 'a\"b' "")", &words));
  EXPECT_EQ(words, (std::vector<std::string>{"AJx4", "\n\r\t\b\az\"", "it's", "a\\\"b", ""}));
  ASSERT_TRUE(SplitInlineWords("a\"b c\"", &words));  // a quote may open mid-word
  EXPECT_EQ(words, (std::vector<std::string>{"ab c"}));
  ASSERT_TRUE(SplitInlineWords(std::string_view("GET a\0b", 7), &words));
  EXPECT_EQ(words, (std::vector<std::string>{"GET", "a"}));
  ASSERT_TRUE(SplitInlineWords("   ", &words));
  EXPECT_TRUE(words.empty());
  for (const char* unbalanced :
       {"SET a \"b", "a\"b c\"d", "SET a \"b\"c", "SET a 'b", "SET a 'b'c", "\"\\\""}) {
    EXPECT_FALSE(SplitInlineWords(unbalanced, &words)) << unbalanced;
  }
}

TEST(RespParserTest, IntegersAreReadStrictlyAsRedisReadsThem) {
  int64_t value = 0;
  for (const auto& [text, expected] :
       std::vector<std::pair<std::string, int64_t>>{{"0", 0},
                                                    {"7", 7},
                                                    {"-12", -12},
                                                    {"9223372036854775807", INT64_MAX},
                                                    {"-9223372036854775808", INT64_MIN}}) {
    ASSERT_TRUE(ParseInteger(text, &value)) << text;
    EXPECT_EQ(value, expected);
  }
  for (const char* bad : {"", "-", "-0", "01", "+1", " 1", "1 ", "1.0", "9223372036854775808",
                          "-9223372036854775809", "99999999999999999999999"}) {
    EXPECT_FALSE(ParseInteger(bad, &value)) << bad;
  }
}

// The request `in` is refused with Redis's reply `error`.
void ExpectProtocolError(std::string_view in, const std::string& error,
                         size_t max_bulk = kBulkLimit) {
  RequestParser parser(max_bulk);
  size_t used = 0;
  EXPECT_EQ(parser.Parse(in, &used), Step::kError) << in;
  EXPECT_EQ(parser.error(), "-ERR Protocol error: " + error + "\r\n") << in;
  EXPECT_FALSE(parser.MidRequest());
}

TEST(RespParserTest, MalformedRequestsGetRedisProtocolErrors) {
  ExpectProtocolError("*abc\r\n", "invalid multibulk length");
  ExpectProtocolError("*01\r\n", "invalid multibulk length");
  ExpectProtocolError("*-0\r\n", "invalid multibulk length");
  ExpectProtocolError("*\r\n", "invalid multibulk length");
  ExpectProtocolError("*1\r\n$abc\r\n", "invalid bulk length");
  ExpectProtocolError("*1\r\n$-1\r\n", "invalid bulk length");
  ExpectProtocolError("*1\r\n$\r\n", "invalid bulk length");
  ExpectProtocolError("*1\r\nfoo\r\n", "expected '$', got 'f'");
  // An error reply stays on one line.
  ExpectProtocolError("*2\r\n$1\r\na\r\n\n$1\r\n", "expected '$', got ' '");
  ExpectProtocolError("SET a \"b\r\n", "unbalanced quotes in request");
}

TEST(RespParserTest, HugeAnnouncedLengthsAreRefusedBeforeTheirBytesArrive) {
  ExpectProtocolError("*1048577\r\n", "invalid multibulk length");
  ExpectProtocolError("*2147483648\r\n", "invalid multibulk length");
  ExpectProtocolError("*1\r\n$2147483648\r\n", "invalid bulk length");
  ExpectProtocolError("*1\r\n$1025\r\n", "invalid bulk length", 1024);
  ExpectProtocolError("*1\r\n$536870913\r\n", "invalid bulk length", SIZE_MAX);
  // At the limits: the parser waits for the bytes.
  RequestParser parser(1024);
  size_t used = 0;
  EXPECT_EQ(parser.Parse("*1048576\r\n", &used), Step::kNeedMore);
  RequestParser bulk(1024);
  EXPECT_EQ(bulk.Parse("*1\r\n$1024\r\n", &used), Step::kNeedMore);
}

TEST(RespParserTest, LinesWithoutTheirEndAreRefusedPastRedisLimit) {
  const std::string digits(kMaxLineBytes, '1');
  RequestParser parser(kBulkLimit);
  size_t used = 0;
  // 64 KiB of a count line may still end; one byte more may not.
  EXPECT_EQ(parser.Parse("*" + digits.substr(1), &used), Step::kNeedMore);
  ExpectProtocolError("*" + digits, "too big mbulk count string");
  ExpectProtocolError("*1\r\n$" + digits, "too big bulk count string");
  ExpectProtocolError("SET a " + digits, "too big inline request");
}

}  // namespace
}  // namespace tt::resp
