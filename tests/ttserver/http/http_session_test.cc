// HttpSession over a real Engine (in-memory store): the original's mapping
// byte for byte (memcached-and-http.md §2) and the HTTP/1.1 framing.
#include "ttserver/http/http_session.h"

#include <gtest/gtest.h>

#include "common/commands.h"
#include "tests/ttserver/session_fixture.h"

namespace tt {
namespace {

using Result = ProtocolSession::Result;

// The short text/plain response of `status_line` ("404 Not Found") whose
// body is its reason phrase, with `extra` header lines before the blank line.
std::string Text(std::string_view status_line, std::string_view extra = "") {
  std::string reason(status_line.substr(4));
  return "HTTP/1.1 " + std::string(status_line) +
         "\r\nContent-Type: text/plain\r\nContent-Length: " + std::to_string(reason.size() + 1) +
         "\r\n" + std::string(extra) + "\r\n" + reason + "\n";
}

std::string Value(std::string_view value, std::string_view extra = "") {
  return "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: " +
         std::to_string(value.size()) + "\r\n" + std::string(extra) + "\r\n" + std::string(value);
}

std::string PutRequest(std::string_view key, std::string_view value, std::string_view extra = "") {
  return "PUT /" + std::string(key) +
         " HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(value.size()) + "\r\n" +
         std::string(extra) + "\r\n" + std::string(value);
}

std::string GetRequest(std::string_view key, std::string_view extra = "") {
  return "GET /" + std::string(key) + " HTTP/1.1\r\nHost: x\r\n" + std::string(extra) + "\r\n";
}

const std::string kCreated = Text("201 Created");
const std::string kNotFound = Text("404 Not Found");

class HttpSessionTest : public testing::SessionFixture {
 protected:
  // Feeds `in` to a fresh session; *result and *consumed as Feed's.
  std::string Run(std::string_view in, Result* result = nullptr, size_t* consumed = nullptr) {
    HttpSession session(&context_, 7);
    return Feed(session, in, result, consumed);
  }

  // Feeds `in` as a connection receiving it in reads of `segment` bytes:
  // unconsumed bytes stay at the front of the buffer for the next call.
  static std::string FeedInSegments(ProtocolSession& session, std::string_view in, size_t segment,
                                    Result* result = nullptr) {
    std::string out, buffer;
    Result r = Result::kContinue;
    for (size_t at = 0; at < in.size() && r != Result::kClose; at += segment) {
      buffer.append(in.substr(at, segment));
      size_t used = 0;
      out += Feed(session, buffer, &r, &used);
      buffer.erase(0, used);
    }
    if (result != nullptr) *result = r;
    return out;
  }

  std::string Stored(std::string_view key) {
    std::string value;
    Status s = engine_->Get(key, &value);
    if (s.IsNotFound()) return "<absent>";
    return s.ok() ? value : "<" + s.ToString() + ">";
  }
};

// ---- the original's observed exchanges, byte for byte ----

TEST_F(HttpSessionTest, ObservedPutThenGet) {
  Result result;
  EXPECT_EQ(Run("PUT /hkey HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello"
                "GET /hkey HTTP/1.1\r\n\r\n",
                &result),
            "HTTP/1.1 201 Created\r\nContent-Type: text/plain\r\nContent-Length: 8\r\n\r\nCreated\n"
            "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: 5\r\n\r\n"
            "hello");
  EXPECT_EQ(result, Result::kContinue);
}

TEST_F(HttpSessionTest, ObservedMiscGetlist) {
  ASSERT_TRUE(engine_->Put("k1", "v1").ok());
  EXPECT_EQ(Run("POST / HTTP/1.1\r\nX-TT-MNAME: getlist\r\nContent-Length: 11\r\n\r\nx=k1&y=k2+z"),
            "HTTP/1.1 200 OK\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            "Content-Length: 15\r\n\r\nres1=k1&res2=v1");
}

TEST_F(HttpSessionTest, MiscResultIsFormEncodedAndRepeatedNamesMerge) {
  EXPECT_EQ(Run("POST / HTTP/1.1\r\nX-TT-MNAME: putlist\r\nContent-Length: 17\r\n\r\n"
                "a=k&b=v+1&a=2&c=x"),
            "HTTP/1.1 200 OK\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            "Content-Length: 0\r\n\r\n");
  // a=k and a=2 became one argument "k\0002": the pairs (k\0002, v 1), then x alone.
  EXPECT_EQ(Stored(std::string("k\0"
                               "2",
                               3)),
            "v 1");
  ASSERT_TRUE(engine_->Put("a b/&", "\x01=").ok());
  EXPECT_EQ(
      Run("POST / HTTP/1.1\r\nX-TT-MNAME: get\r\nContent-Length: 15\r\n\r\nk=a%20b%2F%26\r\n"),
      Text("500 Internal Server Error"));  // "k=...\r\n": the key ends in CRLF, absent
  EXPECT_EQ(Run("POST / HTTP/1.1\r\nX-TT-MNAME: get\r\nContent-Length: 13\r\n\r\nk=a%20b%2F%26"),
            "HTTP/1.1 200 OK\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            "Content-Length: 11\r\n\r\nres1=%01%3D");
}

TEST_F(HttpSessionTest, MiscTakesMultipartForms) {
  ASSERT_TRUE(engine_->Put("mk", "mv").ok());
  const std::string body =
      "preamble\r\n--XyZ\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\nmk\r\n"
      "--XyZ--\r\n";
  EXPECT_EQ(Run("POST / HTTP/1.1\r\nX-TT-MNAME: get\r\n"
                "Content-Type: multipart/form-data; boundary=XyZ\r\nContent-Length: " +
                std::to_string(body.size()) + "\r\n\r\n" + body),
            "HTTP/1.1 200 OK\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            "Content-Length: 7\r\n\r\nres1=mv");
}

TEST_F(HttpSessionTest, GetAndDeleteOfAbsentKeyAre404) {
  EXPECT_EQ(Run(GetRequest("none")), kNotFound);
  EXPECT_EQ(stats_.get_miss.load(), 1u);
  EXPECT_EQ(Run("DELETE /none HTTP/1.1\r\n\r\n"), kNotFound);
  EXPECT_EQ(stats_.out_miss.load(), 1u);
}

TEST_F(HttpSessionTest, DeleteRemovesTheKey) {
  ASSERT_TRUE(engine_->Put("d", "1").ok());
  EXPECT_EQ(Run("DELETE /d HTTP/1.1\r\n\r\n"), Text("200 OK"));
  EXPECT_EQ(Stored("d"), "<absent>");
}

TEST_F(HttpSessionTest, HeadSendsTheHeadersOfGetWithoutBody) {
  ASSERT_TRUE(engine_->Put("h", "12345").ok());
  EXPECT_EQ(
      Run("HEAD /h HTTP/1.1\r\n\r\n"),
      "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: 5\r\n\r\n");
  EXPECT_EQ(Run("HEAD /none HTTP/1.1\r\n\r\n"),
            "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 10\r\n\r\n");
}

TEST_F(HttpSessionTest, PdmodeOneIsPutKeepAndTwoIsPutCat) {
  EXPECT_EQ(Run(PutRequest("k", "a", "X-TT-PDMODE: 1\r\n")), kCreated);
  EXPECT_EQ(Run(PutRequest("k", "b", "X-TT-PDMODE: 1\r\n")), Text("409 Conflict"));
  EXPECT_EQ(stats_.put_miss.load(), 1u);
  EXPECT_EQ(Run(PutRequest("k", "c", "x-tt-pdmode: 2\r\n")), kCreated);
  EXPECT_EQ(Stored("k"), "ac");
  EXPECT_EQ(Run(PutRequest("k", "d", "X-TT-PDMODE: 7\r\n")), kCreated);
  EXPECT_EQ(Stored("k"), "d");
  EXPECT_EQ(stats_.CommandCount(kCmdPutKeep), 2u);
  EXPECT_EQ(stats_.CommandCount(kCmdPutCat), 1u);
  EXPECT_EQ(stats_.CommandCount(kCmdPut), 1u);
}

// ---- keys ----

TEST_F(HttpSessionTest, KeyIsThePercentDecodedPathWithItsQuery) {
  EXPECT_EQ(Run(PutRequest("a%20b+c%2b?x=1", "v")), kCreated);
  EXPECT_EQ(Stored("a b c+?x=1"), "v");
  EXPECT_EQ(Run("PUT http://example.org/abs HTTP/1.1\r\nContent-Length: 1\r\n\r\nw"), kCreated);
  EXPECT_EQ(Stored("abs"), "w");
  EXPECT_EQ(Run(PutRequest("", "empty")), kCreated);
  EXPECT_EQ(Stored(""), "empty");
}

TEST_F(HttpSessionTest, InvalidEscapeIs400AndTheConnectionGoesOn) {
  Result result;
  EXPECT_EQ(Run(GetRequest("ab%ZZcd") + GetRequest("ab%2") + GetRequest("none"), &result),
            Text("400 Bad Request") + Text("400 Bad Request") + kNotFound);
  EXPECT_EQ(result, Result::kContinue);
}

TEST_F(HttpSessionTest, KeyAboveMaxKeyIs414) {
  context_.limits.max_key = 4;
  EXPECT_EQ(Run(GetRequest("abcd") + GetRequest("a%20cde")), kNotFound + Text("414 URI Too Long"));
}

TEST_F(HttpSessionTest, TargetBeyondTheParsersHeadLimitIs414AndCloses) {
  Result result;
  EXPECT_EQ(Run(GetRequest(std::string(100 * 1024, 'k')), &result),
            Text("414 URI Too Long", "Connection: close\r\n"));
  EXPECT_EQ(result, Result::kClose);
}

// ---- connection handling ----

TEST_F(HttpSessionTest, PipelinedRequestsAreAnsweredInOrder) {
  const std::string in =
      PutRequest("p", "one") + GetRequest("p") + "DELETE /p HTTP/1.1\r\n\r\n" + GetRequest("p");
  Result result;
  size_t consumed = 0;
  EXPECT_EQ(Run(in, &result, &consumed), kCreated + Value("one") + Text("200 OK") + kNotFound);
  EXPECT_EQ(result, Result::kContinue);
  EXPECT_EQ(consumed, in.size());
}

TEST_F(HttpSessionTest, PartialRequestStaysUnconsumed) {
  HttpSession session(&context_, 7);
  const std::string in = GetRequest("x") + "PUT /y HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc";
  size_t consumed = 0;
  EXPECT_EQ(Feed(session, in, nullptr, &consumed), kNotFound);
  EXPECT_EQ(consumed, GetRequest("x").size());
  EXPECT_TRUE(session.MidRequest());
  // The connection presents the unconsumed bytes again, with what followed.
  EXPECT_EQ(Feed(session, in.substr(consumed) + "defghij", nullptr, &consumed), kCreated);
  EXPECT_FALSE(session.MidRequest());
  EXPECT_EQ(Stored("y"), "abcdefghij");
}

TEST_F(HttpSessionTest, BlankLinesBetweenRequestsAreSkipped) {
  size_t consumed = 0;
  HttpSession session(&context_, 7);
  EXPECT_EQ(Feed(session, GetRequest("a") + "\r\n\r\n", nullptr, &consumed), kNotFound);
  EXPECT_EQ(consumed, GetRequest("a").size() + 4);
  EXPECT_FALSE(session.MidRequest());
}

TEST_F(HttpSessionTest, Http10ClosesUnlessKeepAlive) {
  Result result;
  EXPECT_EQ(Run("GET /a HTTP/1.0\r\n\r\nGET /a HTTP/1.0\r\n\r\n", &result),
            Text("404 Not Found", "Connection: close\r\n"));
  EXPECT_EQ(result, Result::kClose);
  EXPECT_EQ(Run("GET /a HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", &result),
            Text("404 Not Found", "Connection: keep-alive\r\n"));
  EXPECT_EQ(result, Result::kContinue);
}

TEST_F(HttpSessionTest, ConnectionCloseIsHonoured) {
  Result result;
  EXPECT_EQ(Run(GetRequest("a", "Connection: close\r\n") + GetRequest("b"), &result),
            Text("404 Not Found", "Connection: close\r\n"));
  EXPECT_EQ(result, Result::kClose);
}

TEST_F(HttpSessionTest, RequestFedOneByteAtATimeGetsTheSameAnswers) {
  const std::string in = PutRequest("b", "bytes") + GetRequest("b") +
                         "PUT /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                         "3\r\nabc\r\n2;ext=1\r\nde\r\n0\r\nTrailer: t\r\n\r\n" +
                         GetRequest("c", "Connection: close\r\n");
  HttpSession session(&context_, 7);
  Result result;
  EXPECT_EQ(FeedByteByByte(session, in, &result),
            kCreated + Value("bytes") + kCreated + Value("abcde", "Connection: close\r\n"));
  EXPECT_EQ(result, Result::kClose);
}

TEST_F(HttpSessionTest, GarbageIs400ThenClose) {
  Result result;
  EXPECT_EQ(Run(std::string("GET /\x01\x02 nonsense HTTP/1.1\r\n\r\n") + GetRequest("a"), &result),
            Text("400 Bad Request", "Connection: close\r\n"));
  EXPECT_EQ(result, Result::kClose);
  EXPECT_EQ(Run("GET /a HTTP/1.1\r\nno colon here\r\n\r\n", &result),
            Text("400 Bad Request", "Connection: close\r\n"));
  EXPECT_EQ(result, Result::kClose);
  EXPECT_EQ(Run("FOO /a HTTP/1.1\r\n\r\n", &result),
            Text("400 Bad Request", "Connection: close\r\n"));
  EXPECT_EQ(Run("GET /a HTTP/2.0\r\n\r\n", &result),
            Text("505 HTTP Version Not Supported", "Connection: close\r\n"));
  EXPECT_EQ(result, Result::kClose);
}

TEST_F(HttpSessionTest, UpgradeIsIgnoredButConnectEndsTheConnection) {
  Result result;
  EXPECT_EQ(
      Run(GetRequest("a", "Connection: Upgrade\r\nUpgrade: h2c\r\n") + GetRequest("b"), &result),
      kNotFound + kNotFound);
  EXPECT_EQ(result, Result::kContinue);
  EXPECT_EQ(Run("CONNECT example.org:443 HTTP/1.1\r\n\r\n" + GetRequest("b"), &result),
            Text("405 Method Not Allowed",
                 "Allow: OPTIONS, GET, HEAD, PUT, POST, DELETE\r\nConnection: close\r\n"));
  EXPECT_EQ(result, Result::kClose);
}

TEST_F(HttpSessionTest, UnsupportedMethodIs405WithAllow) {
  EXPECT_EQ(Run("PATCH /a HTTP/1.1\r\nContent-Length: 2\r\n\r\nxx" + GetRequest("a")),
            Text("405 Method Not Allowed", "Allow: OPTIONS, GET, HEAD, PUT, POST, DELETE\r\n") +
                kNotFound);
  context_.mask.Apply("allwrite", true);
  EXPECT_EQ(Run("PATCH /a HTTP/1.1\r\n\r\n"),
            Text("405 Method Not Allowed", "Allow: OPTIONS, GET, HEAD\r\n"));
}

TEST_F(HttpSessionTest, MaskedOperationsAre403) {
  context_.mask.Apply("get,put", true);
  EXPECT_EQ(Run(GetRequest("a") + PutRequest("a", "v") + "HEAD /a HTTP/1.1\r\n\r\n"),
            Text("403 Forbidden") + Text("403 Forbidden") +
                "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 10\r\n\r\n");
  EXPECT_EQ(stats_.CommandCount(kCmdGet), 1u);  // refused requests are counted
  context_.mask = CommandMask();
  context_.mask.Apply("allhttp", true);
  EXPECT_EQ(Run("DELETE /a HTTP/1.1\r\n\r\n"), Text("403 Forbidden"));
}

TEST_F(HttpSessionTest, PostWithoutFunctionIs400AndExtensionsAre500) {
  EXPECT_EQ(Run("POST /a HTTP/1.1\r\nContent-Length: 1\r\n\r\nx"), Text("400 Bad Request"));
  EXPECT_EQ(Run("POST /a HTTP/1.1\r\nX-TT-XNAME: echo\r\nContent-Length: 1\r\n\r\nx"),
            Text("500 Internal Server Error"));
  EXPECT_EQ(Run("POST / HTTP/1.1\r\nX-TT-MNAME: nosuchfunction\r\n\r\n"),
            Text("500 Internal Server Error"));
}

TEST_F(HttpSessionTest, OptionsListsMethodsAndStatus) {
  const std::string out = Run("OPTIONS * HTTP/1.1\r\n\r\n");
  EXPECT_TRUE(
      out.starts_with("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n"
                      "Allow: OPTIONS, GET, HEAD, PUT, POST, DELETE\r\n"
                      "X-TT-VERSION: 1.1.41\r\nX-TT-LIBVER: 324\r\n"))
      << out;
  EXPECT_NE(out.find("\r\nX-TT-SID: 1\r\n"), std::string::npos) << out;
  EXPECT_NE(out.find("\r\nX-TT-FD: 7\r\n"), std::string::npos) << out;
  EXPECT_TRUE(out.ends_with("\r\n\r\n"));
  EXPECT_EQ(out.find("CNT_"), std::string::npos) << out;
  EXPECT_EQ(stats_.CommandCount(kCmdStat), 1u);
  context_.mask.Apply("allread", true);
  EXPECT_EQ(Run("OPTIONS * HTTP/1.1\r\n\r\n"), Text("403 Forbidden"));
}

// ---- bodies ----

TEST_F(HttpSessionTest, ChunkedBodyIsJoined) {
  EXPECT_EQ(Run("PUT /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                "5\r\nhello\r\n1;name=value\r\n \r\nA\r\n0123456789\r\n0\r\n\r\n" +
                GetRequest("c")),
            kCreated + Value("hello 0123456789"));
}

TEST_F(HttpSessionTest, ExpectContinueAsksForTheBodyOnce) {
  HttpSession session(&context_, 7);
  const std::string head = "PUT /e HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n";
  size_t consumed = 0;
  EXPECT_EQ(Feed(session, head, nullptr, &consumed), "HTTP/1.1 100 Continue\r\n\r\n");
  EXPECT_EQ(consumed, 0u);
  EXPECT_EQ(Feed(session, head + "body", nullptr, &consumed), kCreated);
  EXPECT_EQ(consumed, head.size() + 4);
  EXPECT_EQ(Stored("e"), "body");
  // A peer that sent the body right away is not asked for it.
  EXPECT_EQ(Feed(session, head + "more"), kCreated);
  // Nor is an HTTP/1.0 peer.
  EXPECT_EQ(Feed(session,
                 "PUT /e HTTP/1.0\r\nConnection: keep-alive\r\nExpect: 100-continue\r\n"
                 "Content-Length: 1\r\n\r\n"),
            "");
}

TEST_F(HttpSessionTest, ExpectContinueForARefusedRequestGetsTheRefusalAndCloses) {
  context_.mask.Apply("put", true);
  Result result;
  EXPECT_EQ(Run("PUT /e HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n", &result),
            Text("403 Forbidden", "Connection: close\r\n"));
  EXPECT_EQ(result, Result::kClose);
  context_.limits.max_value = 3;
  EXPECT_EQ(Run("POST /e HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n", &result),
            Text("413 Payload Too Large", "Connection: close\r\n"));
  EXPECT_EQ(result, Result::kClose);
}

TEST_F(HttpSessionTest, RefusedRequestsBodyIsReadAndDropped) {
  context_.mask.Apply("put", true);
  EXPECT_EQ(Run(PutRequest("r", "dropped") + GetRequest("r")), Text("403 Forbidden") + kNotFound);
}

TEST_F(HttpSessionTest, BodyAboveMaxValueIs413WithoutReadingIt) {
  context_.limits.max_value = 8;
  Result result;
  size_t consumed = 0;
  EXPECT_EQ(Run("PUT /big HTTP/1.1\r\nContent-Length: 9\r\n\r\n", &result, &consumed),
            Text("413 Payload Too Large", "Connection: close\r\n"));
  EXPECT_EQ(result, Result::kClose);
  EXPECT_EQ(Run(PutRequest("fits", "12345678")), kCreated);
  EXPECT_EQ(Run("PUT /big HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n", &result),
            Text("400 Bad Request", "Connection: close\r\n"));
  EXPECT_EQ(
      Run("PUT /big HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabcde\r\n4\r\n", &result),
      Text("413 Payload Too Large", "Connection: close\r\n"));
  EXPECT_EQ(result, Result::kClose);
  EXPECT_EQ(Stored("big"), "<absent>");
}

TEST_F(HttpSessionTest, ChunkFramingOutweighingItsDataIs413) {
  std::string in = "PUT /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 20000; ++i) in += "1\r\nx\r\n";
  Result result;
  EXPECT_EQ(Run(in, &result), Text("413 Payload Too Large", "Connection: close\r\n"));
  EXPECT_EQ(result, Result::kClose);
  // One endless chunk-size line: the library's own bound.
  EXPECT_EQ(
      Run("PUT /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1;" + std::string(90 * 1024, 'e'),
          &result),
      Text("413 Payload Too Large", "Connection: close\r\n"));
  EXPECT_EQ(result, Result::kClose);
}

TEST_F(HttpSessionTest, HeadersAbove64KiBAre431) {
  Result result;
  // Two lines of 34 KiB: past our limit, within the library's 80 KiB.
  const std::string big(34 * 1024, 'v');
  EXPECT_EQ(Run(GetRequest("a", "X-A: " + big + "\r\nX-B: " + big + "\r\n"), &result),
            Text("431 Request Header Fields Too Large", "Connection: close\r\n"));
  EXPECT_EQ(result, Result::kClose);
  // Also while they are still arriving.
  HttpSession session(&context_, 7);
  EXPECT_EQ(Feed(session, GetRequest("a", "X-A: " + big + "\r\nX-B: " + big), &result),
            Text("431 Request Header Fields Too Large", "Connection: close\r\n"));
  EXPECT_EQ(result, Result::kClose);
  EXPECT_EQ(Run(GetRequest("a", "X-A: " + big + "\r\n")), kNotFound);
}

TEST_F(HttpSessionTest, TenMiBBodyArrivingInReads) {
  std::string value(10 << 20, '\0');
  for (size_t i = 0; i < value.size(); ++i) value[i] = static_cast<char>(i * 7 + i / 4096);
  HttpSession session(&context_, 7);
  Result result;
  EXPECT_EQ(
      FeedInSegments(session, PutRequest("ten", value) + GetRequest("ten"), 64 * 1024, &result),
      kCreated + Value(value));
  EXPECT_EQ(result, Result::kContinue);
  // Chunked, in chunks of the sizes curl sends.
  std::string chunked = "PUT /ten2 HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (size_t at = 0; at < value.size(); at += 65536) {
    chunked += "10000\r\n" + value.substr(at, 65536) + "\r\n";
  }
  chunked += "0\r\n\r\n";
  EXPECT_EQ(FeedInSegments(session, chunked, 16384), kCreated);
  EXPECT_TRUE(Stored("ten2") == value);
}

// ---- scheduling ----

TEST_F(HttpSessionTest, SlowMiscIsDeferredAndLaterRequestsWait) {
  ASSERT_TRUE(engine_->Put("v", "1").ok());
  HttpSession session(&context_, 7);
  const std::string vanish = "POST / HTTP/1.1\r\nX-TT-MNAME: vanish\r\n\r\n";
  const std::string in = GetRequest("v") + vanish + GetRequest("v");
  std::string out;
  size_t consumed = 0;
  EXPECT_EQ(session.Process(in, &consumed, &out), Result::kDeferred);
  EXPECT_EQ(out, Value("1"));
  EXPECT_EQ(consumed, GetRequest("v").size() + vanish.size());
  ProtocolSession::DeferredWork work = session.TakeDeferred();
  ASSERT_TRUE(work);
  EXPECT_EQ(Stored("v"), "1");  // not run yet
  EXPECT_EQ(work(),
            "HTTP/1.1 200 OK\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            "Content-Length: 0\r\n\r\n");
  EXPECT_EQ(Feed(session, std::string_view(in).substr(consumed)), kNotFound);
}

TEST_F(HttpSessionTest, DeferredRequestThatEndsTheConnectionClosesAfterItsResponse) {
  HttpSession session(&context_, 7);
  Result result;
  EXPECT_EQ(Feed(session, "POST / HTTP/1.0\r\nX-TT-MNAME: sync\r\n\r\n", &result),
            "HTTP/1.1 200 OK\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            "Content-Length: 0\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(result, Result::kClose);
}

TEST_F(HttpSessionTest, StopsAfterABatchOfReplies) {
  ASSERT_TRUE(engine_->Put("m", std::string(1 << 20, 'm')).ok());
  std::string in;
  for (int i = 0; i < 6; ++i) in += GetRequest("m");
  HttpSession session(&context_, 7);
  std::string out;
  size_t consumed = 0;
  EXPECT_EQ(session.Process(in, &consumed, &out), Result::kContinue);
  EXPECT_EQ(consumed, 4 * GetRequest("m").size());
  EXPECT_FALSE(session.MidRequest());
  EXPECT_EQ(Feed(session, std::string_view(in).substr(consumed)).size(), out.size() / 2);
}

TEST_F(HttpSessionTest, MiscIterationBelongsToTheConnection) {
  ASSERT_TRUE(engine_->Put("only", "one").ok());
  const std::string iterinit = "POST / HTTP/1.1\r\nX-TT-MNAME: iterinit\r\n\r\n";
  const std::string iternext = "POST / HTTP/1.1\r\nX-TT-MNAME: iternext\r\n\r\n";
  const std::string empty_ok =
      "HTTP/1.1 200 OK\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: "
      "0\r\n\r\n";
  EXPECT_EQ(Run(iterinit + iternext + iternext),
            empty_ok +
                "HTTP/1.1 200 OK\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                "Content-Length: 18\r\n\r\nres1=only&res2=one" +
                Text("500 Internal Server Error"));
}

TEST_F(HttpSessionTest, OperationsCountIntoTheSharedCounters) {
  Run(PutRequest("s", "v") + GetRequest("s") + GetRequest("none") + "DELETE /s HTTP/1.1\r\n\r\n" +
      "POST / HTTP/1.1\r\nX-TT-MNAME: size\r\n\r\n" + "HEAD /s HTTP/1.1\r\n\r\n");
  EXPECT_EQ(stats_.CommandCount(kCmdPut), 1u);
  EXPECT_EQ(stats_.CommandCount(kCmdGet), 2u);
  EXPECT_EQ(stats_.get_miss.load(), 1u);
  EXPECT_EQ(stats_.CommandCount(kCmdOut), 1u);
  EXPECT_EQ(stats_.CommandCount(kCmdMisc), 1u);
  EXPECT_EQ(stats_.CommandCount(kCmdVsiz), 1u);
}

// ---- the metrics port ----

TEST_F(HttpSessionTest, MetricsModeServesOnlyMetrics) {
  HttpSession session(&context_, 7, HttpSession::Mode::kMetrics);
  Result result;
  const std::string head =
      "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: ";
  const std::string out = Feed(session, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", &result);
  ASSERT_TRUE(out.starts_with(head)) << out;
  const size_t body = out.find("\r\n\r\n") + 4;
  EXPECT_EQ(std::stoul(out.substr(head.size())), out.size() - body);
  EXPECT_NE(out.find("# TYPE", body), std::string::npos) << out;
  EXPECT_EQ(result, Result::kContinue);
  const std::string more =
      Feed(session,
           GetRequest("hkey") + "PUT /metrics HTTP/1.1\r\nContent-Length: 1\r\n\r\nx" +
               "HEAD /metrics?format=text HTTP/1.1\r\nConnection: close\r\n\r\n",
           &result);
  const std::string refusals = kNotFound + Text("405 Method Not Allowed", "Allow: GET, HEAD\r\n");
  ASSERT_TRUE(more.starts_with(refusals + head)) << more;
  EXPECT_TRUE(more.ends_with("\r\nConnection: close\r\n\r\n")) << more;  // HEAD: no body
  EXPECT_EQ(result, Result::kClose);
}

}  // namespace
}  // namespace tt
