// ProtocolSwitch over a real Engine: one connection's requests in every
// protocol, each answered by its protocol's session.
#include "ttserver/protocol_choice.h"

#include <gtest/gtest.h>

#include "common/coding.h"
#include "tests/ttserver/session_fixture.h"

namespace tt {
namespace {

using Result = ProtocolSession::Result;

// Tokyo Tyrant binary put and get of `key`.
std::string TtPut(std::string_view key, std::string_view value) {
  std::string out = "\xC8\x10";
  PutU32(&out, static_cast<uint32_t>(key.size()));
  PutU32(&out, static_cast<uint32_t>(value.size()));
  return out.append(key).append(value);
}
std::string TtGet(std::string_view key) {
  std::string out = "\xC8\x30";
  PutU32(&out, static_cast<uint32_t>(key.size()));
  return out.append(key);
}
std::string TtGetReply(std::string_view value) {
  std::string out(1, '\0');
  PutU32(&out, static_cast<uint32_t>(value.size()));
  return out.append(value);
}
const std::string kTtOk(1, '\0');

// A memcached binary noop request and its reply (opaque 7).
std::string McNoop(uint8_t magic) {
  std::string out;
  PutU8(&out, magic);
  PutU8(&out, 0x0a);
  out.append(6, '\0');
  PutU32(&out, 0);  // body length
  PutU32(&out, 7);  // opaque
  PutU64(&out, 0);  // cas
  return out;
}

std::string HttpPut(std::string_view key, std::string_view value) {
  return "PUT /" + std::string(key) +
         " HTTP/1.1\r\nContent-Length: " + std::to_string(value.size()) + "\r\n\r\n" +
         std::string(value);
}
const char kHttpCreated[] =
    "HTTP/1.1 201 Created\r\nContent-Type: text/plain\r\nContent-Length: 8\r\n\r\nCreated\n";
std::string HttpGetReply(std::string_view value) {
  return "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: " +
         std::to_string(value.size()) + "\r\n\r\n" + std::string(value);
}

class ProtocolSwitchTest : public tt::testing::SessionFixture {};

// The original's per-request choice: a binary put, a memcached set, an HTTP
// PUT and GET, a memcached binary noop and a binary get on one connection.
const std::string kMixedRequests = TtPut("a", "1") + "set b 0 0 5\r\nhello\r\n" +
                                   HttpPut("c", "xyz") + "GET /b HTTP/1.1\r\n\r\n" + McNoop(0x80) +
                                   TtGet("c") + "get a\r\n";
const std::string kMixedReplies = kTtOk + "STORED\r\n" + kHttpCreated + HttpGetReply("hello") +
                                  McNoop(0x81) + TtGetReply("xyz") + "VALUE a 0 1\r\n1\r\nEND\r\n";

TEST_F(ProtocolSwitchTest, EachRequestIsAnsweredInItsOwnProtocol) {
  ProtocolSwitch session(&context_, 5);
  Result result;
  size_t consumed = 0;
  EXPECT_EQ(Feed(session, kMixedRequests, &result, &consumed), kMixedReplies);
  EXPECT_EQ(result, Result::kContinue);
  EXPECT_EQ(consumed, kMixedRequests.size());
  EXPECT_FALSE(session.MidRequest());
}

TEST_F(ProtocolSwitchTest, RequestsArrivingByteByByteAreAnsweredTheSame) {
  ProtocolSwitch session(&context_, 5);
  EXPECT_EQ(FeedByteByByte(session, kMixedRequests), kMixedReplies);
}

TEST_F(ProtocolSwitchTest, AValueStartingWithAnotherProtocolsByteStaysPartOfItsRequest) {
  ProtocolSwitch session(&context_, 5);
  const std::string value = "\xC8\x80GET *";
  EXPECT_EQ(FeedByteByByte(session, "set k 0 0 7\r\n" + value + "\r\n" + TtGet("k")),
            "STORED\r\n" + TtGetReply(value));
  EXPECT_EQ(FeedByteByByte(session, TtPut("k2", "\x80PUT") + "get k2\r\n"),
            kTtOk + "VALUE k2 0 4\r\n\x80PUT\r\nEND\r\n");
}

TEST_F(ProtocolSwitchTest, BinaryIterationGoesOnAcrossRequestsOfOtherProtocols) {
  ProtocolSwitch session(&context_, 5);
  ASSERT_EQ(Feed(session, TtPut("x", "1") + TtPut("y", "2")), kTtOk + kTtOk);
  std::string iterinit = "\xC8\x50", iternext = "\xC8\x51";
  std::string first = Feed(session, iterinit + iternext);
  ASSERT_EQ(first.size(), 1 + 1 + 4 + 1) << "iterinit ok, then one key";
  std::string second = Feed(session, "get x\r\n" + McNoop(0x80) + iternext);
  const std::string memcached_part = "VALUE x 0 1\r\n1\r\nEND\r\n" + McNoop(0x81);
  ASSERT_EQ(second.substr(0, memcached_part.size()), memcached_part);
  // The second key of the iteration, not the first again.
  EXPECT_NE(second.substr(memcached_part.size()), first.substr(1));
  EXPECT_EQ(second.substr(memcached_part.size(), 1), kTtOk);
}

TEST_F(ProtocolSwitchTest, HttpKeepAliveEndsOnlyWhenTheClientAsksForIt) {
  ProtocolSwitch session(&context_, 5);
  Result result;
  std::string out = Feed(session,
                         HttpPut("k", "v") + "get k\r\n" +
                             "GET /k HTTP/1.1\r\nConnection: close\r\n\r\n" + "get k\r\n",
                         &result);
  EXPECT_EQ(out.substr(0, sizeof(kHttpCreated) - 1), kHttpCreated);
  EXPECT_NE(out.find("VALUE k 0 1\r\nv\r\nEND\r\n"), std::string::npos);
  EXPECT_NE(out.find("Connection: close\r\n"), std::string::npos);
  EXPECT_EQ(result, Result::kClose);
  EXPECT_EQ(out.find("END\r\n", out.find("Connection: close")), std::string::npos)
      << "nothing is answered after the response that closes";
}

TEST_F(ProtocolSwitchTest, AManyKeyGetPausedByAFullBatchGoesOnWithItsKeys) {
  // Values large enough that the replies of a get of all of them fill a batch
  // in the middle of its key list; the keys after the pause start with upper
  // case letters, which would start an HTTP request at a request boundary.
  const std::string big(1 << 20, 'v');
  std::string keys;
  ProtocolSwitch writer(&context_, 5);
  for (const char* key : {"a1", "a2", "a3", "a4", "A5", "A6"}) {
    ASSERT_EQ(Feed(writer, TtPut(key, big)), kTtOk);
    keys += std::string(" ") + key;
  }
  ProtocolSwitch session(&context_, 5);
  std::string out = Feed(session, "get" + keys + "\r\n");
  size_t values = 0;
  for (size_t at = out.find("VALUE "); at != std::string::npos; at = out.find("VALUE ", at + 1)) {
    ++values;
  }
  EXPECT_EQ(values, 6u);
  EXPECT_EQ(out.find("HTTP/"), std::string::npos);
  EXPECT_EQ(out.substr(out.size() - 5), "END\r\n");
}

// An upper-case line is HTTP only when it is an HTTP request line (as
// memcached and the original tell them); any other is a Redis inline command
// (memcached would answer ERROR: its commands are lower case).
TEST_F(ProtocolSwitchTest, AnUpperCaseLineIsHttpOnlyWhenItIsAnHttpRequestLine) {
  ProtocolSwitch session(&context_, 5);
  Result result;
  std::string out = FeedByteByByte(
      session, TtGet("none") + "GET k\r\nGET /none HTTP/1.1\r\n\r\nGET k\r\nversion\r\n", &result);
  EXPECT_EQ(result, Result::kContinue);
  const std::string miss =
      "\x01"
      "$-1\r\nHTTP/1.1 404 Not Found\r\n";
  EXPECT_EQ(out.substr(0, miss.size()), miss);
  EXPECT_TRUE(out.ends_with("Not Found\n$-1\r\nVERSION 1.6.18\r\n")) << out;
}

// The four text protocols on one connection: Redis multibulk and inline,
// memcached text, HTTP, each seeing the others' writes.
TEST_F(ProtocolSwitchTest, RedisRequestsTakeTheirTurnWithTheOtherProtocols) {
  ProtocolSwitch session(&context_, 5);
  const std::string requests = TtPut("a", "1") + "*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$2\r\n22\r\n" +
                               "get b\r\n" + "INCR a\r\n" + TtGet("b") + "GET /b HTTP/1.1\r\n\r\n" +
                               "APPEND b \"3 3\"\r\n\r\n" + "get b\r\n" + "QUIT\r\n" + "get b\r\n";
  const std::string replies = kTtOk + "+OK\r\n" + "VALUE b 0 2\r\n22\r\nEND\r\n" + ":2\r\n" +
                              TtGetReply("22") + HttpGetReply("22") + ":5\r\n" +
                              "VALUE b 0 5\r\n223 3\r\nEND\r\n" + "+OK\r\n";
  Result result;
  EXPECT_EQ(Feed(session, requests, &result), replies);
  EXPECT_EQ(result, Result::kClose);
  ProtocolSwitch slow(&context_, 6);
  ASSERT_EQ(Feed(slow, TtPut("a", "1") + "*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$2\r\n22\r\n"),
            kTtOk + "+OK\r\n");
  EXPECT_EQ(FeedByteByByte(slow, requests.substr(requests.find("get b"))),
            replies.substr(replies.find("VALUE")));
}

}  // namespace
}  // namespace tt
