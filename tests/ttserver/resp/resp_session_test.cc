// RespSession over a real Engine (session_fixture.h). Expected bytes are
// those Debian's redis-server 7.0.15 sends for the same requests, except
// where a test says otherwise (expiry is kept in whole seconds here).
#include "ttserver/resp/resp_session.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <ctime>
#include <initializer_list>
#include <string>

#include "common/clock.h"
#include "common/commands.h"
#include "tests/support/temp_dir.h"
#include "tests/ttserver/session_fixture.h"
#include "ttserver/memcached/memcached_ops.h"
#include "ttserver/resp/resp_commands.h"
#include "ulog/ulog_reader.h"

namespace tt {
namespace {

using ::testing::MatchesRegex;
using Result = ProtocolSession::Result;

// A multibulk request of `words`.
std::string Cmd(std::initializer_list<std::string_view> words) {
  std::string out = "*" + std::to_string(words.size()) + "\r\n";
  for (std::string_view word : words) {
    out += "$" + std::to_string(word.size()) + "\r\n" + std::string(word) + "\r\n";
  }
  return out;
}

std::string Bulk(std::string_view value) {
  return "$" + std::to_string(value.size()) + "\r\n" + std::string(value) + "\r\n";
}

const std::string kOk = "+OK\r\n";
const std::string kNull = "$-1\r\n";

class RespSessionTest : public testing::SessionFixture {
 protected:
  void SetUp() override {
    SessionFixture::SetUp();
    session_ = std::make_unique<RespSession>(&context_, -1);
  }

  // Sends `in` whole on this test's connection; returns the replies.
  std::string Send(std::string_view in, Result* result = nullptr, size_t* consumed = nullptr) {
    return Feed(*session_, in, result, consumed);
  }
  std::string Run(std::initializer_list<std::string_view> words) { return Send(Cmd(words)); }

  // The value's envelope meta as the store holds it.
  ValueMeta MetaOf(std::string_view key) {
    std::string payload;
    ValueMeta meta;
    EXPECT_TRUE(engine_->Get(key, &payload, &meta).ok()) << key;
    return meta;
  }

  std::unique_ptr<RespSession> session_;
};

// ---- the protocol ----

const std::string kPipeline = Cmd({"SET", "k", "v"}) + "GET k\r\n" + "\r\n" + Cmd({"PING"}) +
                              "*0\r\n" + "ECHO \"a b\"\n" + Cmd({"INCR", "n"}) + Cmd({"GET", "k"});
const std::string kPipelineReplies =
    kOk + Bulk("v") + "+PONG\r\n" + Bulk("a b") + ":1\r\n" + Bulk("v");

TEST_F(RespSessionTest, PipelinedRequestsAreAnsweredInOrder) {
  Result result;
  size_t consumed = 0;
  EXPECT_EQ(Send(kPipeline, &result, &consumed), kPipelineReplies);
  EXPECT_EQ(result, Result::kContinue);
  EXPECT_EQ(consumed, kPipeline.size());
  EXPECT_FALSE(session_->MidRequest());
}

TEST_F(RespSessionTest, RequestsArrivingByteByByteAreAnsweredTheSame) {
  EXPECT_EQ(FeedByteByByte(*session_, kPipeline), kPipelineReplies);
  EXPECT_FALSE(session_->MidRequest());
}

TEST_F(RespSessionTest, APartialRequestIsMidRequest) {
  size_t consumed = 0;
  EXPECT_EQ(Send(Cmd({"PING"}) + "*2\r\n$3\r\nGET", nullptr, &consumed), "+PONG\r\n");
  EXPECT_EQ(consumed, Cmd({"PING"}).size());
  EXPECT_TRUE(session_->MidRequest());
}

TEST_F(RespSessionTest, GarbageGetsAProtocolErrorAndCloses) {
  Result result;
  EXPECT_EQ(Send(Cmd({"PING"}) + "*1\r\nfoo\r\n" + Cmd({"PING"}), &result),
            "+PONG\r\n-ERR Protocol error: expected '$', got 'f'\r\n");
  EXPECT_EQ(result, Result::kClose);
  // Another connection is served as before.
  RespSession other(&context_, -1);
  EXPECT_EQ(Feed(other, Cmd({"PING"})), "+PONG\r\n");
}

TEST_F(RespSessionTest, HugeAnnouncedLengthsAreRefusedAndClose) {
  for (const char* request : {"*1048577\r\n", "*1\r\n$2147483648\r\n"}) {
    RespSession session(&context_, -1);
    Result result;
    EXPECT_THAT(Feed(session, request, &result),
                MatchesRegex("-ERR Protocol error: invalid (multi)?bulk length\r\n"));
    EXPECT_EQ(result, Result::kClose);
  }
  // A bulk longer than any key or value accepted.
  context_.limits.max_key = 100;
  context_.limits.max_value = 5000;
  RespSession small(&context_, -1);
  EXPECT_EQ(Feed(small, "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5001\r\n"),
            "-ERR Protocol error: invalid bulk length\r\n");
}

TEST_F(RespSessionTest, QuitRepliesAndCloses) {
  Result result;
  EXPECT_EQ(Send(Cmd({"QUIT"}) + Cmd({"PING"}), &result), kOk);
  EXPECT_EQ(result, Result::kClose);
}

TEST_F(RespSessionTest, StopsBeforeAnotherProtocolsRequest) {
  size_t consumed = 0;
  EXPECT_EQ(Send(Cmd({"PING"}) + "get k\r\n", nullptr, &consumed), "+PONG\r\n");
  EXPECT_EQ(consumed, Cmd({"PING"}).size());
  EXPECT_EQ(Send("GET /k HTTP/1.1\r\n\r\n", nullptr, &consumed), "");
  EXPECT_EQ(consumed, 0u);
  EXPECT_FALSE(session_->MidRequest());
  // An upper-case line waits for its newline: it may still be HTTP's.
  EXPECT_EQ(Send("GET /k", nullptr, &consumed), "");
  EXPECT_TRUE(session_->MidRequest());
}

TEST_F(RespSessionTest, UnknownCommandsAndWrongArityGetRedisErrors) {
  EXPECT_EQ(Run({"LPUSH", "l", "a"}),
            "-ERR unknown command 'LPUSH', with args beginning with: 'l' 'a' \r\n");
  EXPECT_EQ(Run({"f\r\noo", "a\nb"}),
            "-ERR unknown command 'f  oo', with args beginning with: 'a b' \r\n");
  const std::string long_arg(200, 'a');
  EXPECT_EQ(Run({"FOO", long_arg, "b"}), "-ERR unknown command 'FOO', with args beginning with: '" +
                                             std::string(128, 'a') + "' \r\n");
  EXPECT_EQ(Run({"get"}), "-ERR wrong number of arguments for 'get' command\r\n");
  EXPECT_EQ(Run({"GeT", "a", "b"}), "-ERR wrong number of arguments for 'get' command\r\n");
  EXPECT_EQ(Run({"MSET", "a", "1", "b"}), "-ERR wrong number of arguments for 'mset' command\r\n");
  EXPECT_EQ(Run({"COMMAND", "COUNT", "x"}),
            "-ERR wrong number of arguments for 'command|count' command\r\n");
}

// ---- strings ----

TEST_F(RespSessionTest, SetOptionsFollowRedis) {
  EXPECT_EQ(Run({"SET", "k", "v", "NX"}), kOk);
  EXPECT_EQ(Run({"SET", "k", "w", "NX"}), kNull);
  EXPECT_EQ(Run({"SET", "k", "w", "XX", "GET"}), Bulk("v"));
  EXPECT_EQ(Run({"SET", "none", "w", "XX"}), kNull);
  EXPECT_EQ(Run({"SET", "k", "x", "NX", "GET"}), Bulk("w"));  // Redis 7.0: NX with GET
  EXPECT_EQ(Run({"GET", "k"}), Bulk("w"));
  EXPECT_EQ(Run({"SET", "k", "v", "NX", "XX"}), "-ERR syntax error\r\n");
  EXPECT_EQ(Run({"SET", "k", "v", "EX", "10", "PX", "100"}), "-ERR syntax error\r\n");
  EXPECT_EQ(Run({"SET", "k", "v", "KEEPTTL", "EX", "5"}), "-ERR syntax error\r\n");
  EXPECT_EQ(Run({"SET", "k", "v", "EX"}), "-ERR syntax error\r\n");
  EXPECT_EQ(Run({"SET", "k", "v", "EX", "abc", "foo"}), "-ERR syntax error\r\n");
  EXPECT_EQ(Run({"SET", "k", "v", "EX", "abc"}),
            "-ERR value is not an integer or out of range\r\n");
  for (const char* time : {"0", "-1", "9223372036854775"}) {
    EXPECT_EQ(Run({"SET", "k", "v", "EX", time}), "-ERR invalid expire time in 'set' command\r\n");
  }
  EXPECT_EQ(Run({"SETEX", "k", "0", "v"}), "-ERR invalid expire time in 'setex' command\r\n");
  EXPECT_EQ(Run({"PSETEX", "k", "-5", "v"}), "-ERR invalid expire time in 'psetex' command\r\n");
  // TTLs here: whole seconds of an expiry rounded up to a second, rounded
  // down (Redis, which keeps milliseconds, would say 20).
  EXPECT_EQ(Run({"SET", "k", "v", "ex", "10", "ex", "20"}), kOk);
  EXPECT_THAT(Run({"TTL", "k"}), MatchesRegex(":(19|20)\r\n"));
  EXPECT_EQ(Run({"SET", "k", "v2", "KEEPTTL"}), kOk);
  EXPECT_THAT(Run({"TTL", "k"}), MatchesRegex(":(19|20)\r\n"));
  EXPECT_EQ(Run({"SET", "k", "v3"}), kOk);
  EXPECT_EQ(Run({"TTL", "k"}), ":-1\r\n");
  // A time already past stores nothing and removes the key.
  EXPECT_EQ(Run({"SET", "k", "v", "EXAT", "1"}), kOk);
  EXPECT_EQ(Run({"EXISTS", "k"}), ":0\r\n");
}

TEST_F(RespSessionTest, StringCommandsAnswerAsRedis) {
  EXPECT_EQ(Run({"SETNX", "a", "1"}), ":1\r\n");
  EXPECT_EQ(Run({"SETNX", "a", "2"}), ":0\r\n");
  EXPECT_EQ(Run({"GETSET", "a", "3"}), Bulk("1"));
  EXPECT_EQ(Run({"GETSET", "b", "4"}), kNull);
  EXPECT_EQ(Run({"GETDEL", "b"}), Bulk("4"));
  EXPECT_EQ(Run({"GETDEL", "b"}), kNull);
  EXPECT_EQ(Run({"MSET", "x", "1", "y", "2"}), kOk);
  EXPECT_EQ(Run({"MGET", "x", "none", "y", "x"}),
            "*4\r\n" + Bulk("1") + kNull + Bulk("2") + Bulk("1"));
  EXPECT_EQ(Run({"MSETNX", "x", "9", "z", "9"}), ":0\r\n");
  EXPECT_EQ(Run({"EXISTS", "z"}), ":0\r\n") << "MSETNX sets none when one key exists";
  EXPECT_EQ(Run({"MSETNX", "z", "9", "w", "8"}), ":1\r\n");
  EXPECT_EQ(Run({"APPEND", "z", "xyz"}), ":4\r\n");
  EXPECT_EQ(Run({"APPEND", "new", "xyz"}), ":3\r\n");
  EXPECT_EQ(Run({"STRLEN", "z"}), ":4\r\n");
  EXPECT_EQ(Run({"STRLEN", "none"}), ":0\r\n");
  EXPECT_EQ(Run({"DEL", "z", "w", "none", "z"}), ":2\r\n");
  EXPECT_EQ(Run({"UNLINK", "x", "y"}), ":2\r\n");
  EXPECT_EQ(Run({"EXISTS", "a", "a", "none"}), ":2\r\n");
  EXPECT_EQ(Run({"DBSIZE"}), ":2\r\n");  // a, new
}

TEST_F(RespSessionTest, CountersAnswerAsRedis) {
  EXPECT_EQ(Run({"INCR", "n"}), ":1\r\n");
  EXPECT_EQ(Run({"INCRBY", "n", "41"}), ":42\r\n");
  EXPECT_EQ(Run({"DECR", "n"}), ":41\r\n");
  EXPECT_EQ(Run({"DECRBY", "n", "-9"}), ":50\r\n");
  EXPECT_EQ(Run({"INCRBY", "n", "x"}), "-ERR value is not an integer or out of range\r\n");
  EXPECT_EQ(Run({"SET", "big", "9223372036854775807"}), kOk);
  EXPECT_EQ(Run({"INCR", "big"}), "-ERR increment or decrement would overflow\r\n");
  EXPECT_EQ(Run({"DECRBY", "n", "-9223372036854775808"}), "-ERR decrement would overflow\r\n");
  for (const char* stored : {"010", " 1", "1.5", ""}) {
    EXPECT_EQ(Run({"SET", "s", stored}), kOk);
    EXPECT_EQ(Run({"INCR", "s"}), "-ERR value is not an integer or out of range\r\n") << stored;
  }
  EXPECT_EQ(Run({"SET", "f", "10.5"}), kOk);
  EXPECT_EQ(Run({"INCRBYFLOAT", "f", "0.1"}), Bulk("10.6"));
  EXPECT_EQ(Run({"INCRBYFLOAT", "f", "5.0e3"}), Bulk("5010.60000000000000009"));
  EXPECT_EQ(Run({"INCRBYFLOAT", "f", "0x10"}), Bulk("5026.60000000000000009"));
  EXPECT_EQ(Run({"INCRBYFLOAT", "f", "abc"}), "-ERR value is not a valid float\r\n");
  EXPECT_EQ(Run({"INCRBYFLOAT", "f", " 1"}), "-ERR value is not a valid float\r\n");
  EXPECT_EQ(Run({"INCRBYFLOAT", "f", "nan"}), "-ERR value is not a valid float\r\n");
  EXPECT_EQ(Run({"INCRBYFLOAT", "f", "1e5000"}), "-ERR value is not a valid float\r\n");
  EXPECT_EQ(Run({"INCRBYFLOAT", "f", "inf"}), "-ERR increment would produce NaN or Infinity\r\n");
  EXPECT_EQ(Run({"INCRBYFLOAT", "g", "2"}), Bulk("2"));
  EXPECT_EQ(Run({"SET", "z", "-0"}), kOk);
  EXPECT_EQ(Run({"INCRBYFLOAT", "z", "-0"}), Bulk("0"));
}

TEST_F(RespSessionTest, LongDoublesAreFormattedAsRedisFormatsThem) {
  EXPECT_EQ(resp::FormatLongDouble(4), "4");
  EXPECT_EQ(resp::FormatLongDouble(-2.5L), "-2.5");
  EXPECT_EQ(resp::FormatLongDouble(-0.0L), "0");
  EXPECT_EQ(resp::FormatLongDouble(1e20L), "100000000000000000000");
}

TEST_F(RespSessionTest, KeysAndValuesOverTheLimitsAreRefused) {
  context_.limits.max_key = 4;
  context_.limits.max_value = 8;
  RespSession session(&context_, -1);
  EXPECT_EQ(Feed(session, Cmd({"SET", "toolong", "v"})),
            "-ERR key exceeds maximum allowed size (--max-key)\r\n");
  EXPECT_EQ(Feed(session, Cmd({"SET", "k", "123456789"})),
            "-ERR string exceeds maximum allowed size (--max-value)\r\n");
  EXPECT_EQ(Feed(session, Cmd({"MSET", "a", "1", "b", "123456789"})),
            "-ERR string exceeds maximum allowed size (--max-value)\r\n");
  EXPECT_EQ(Feed(session, Cmd({"EXISTS", "a"})), ":0\r\n") << "MSET checks before it writes";
  EXPECT_EQ(Feed(session, Cmd({"SET", "k", "12345"})), kOk);
  EXPECT_EQ(Feed(session, Cmd({"APPEND", "k", "6789"})),
            "-ERR string exceeds maximum allowed size (--max-value)\r\n");
  // An MGET reply stops at --max-value bytes.
  EXPECT_EQ(Feed(session, Cmd({"MGET", "k", "k"})),
            "-ERR reply exceeds maximum allowed size (--max-value): ask for fewer keys\r\n");
}

// ---- expiry ----

TEST_F(RespSessionTest, ExpiriesAreKeptInWholeSecondsRoundedUp) {
  const int64_t before = static_cast<int64_t>(NowMicros() / 1000);
  EXPECT_EQ(Run({"SET", "k", "v", "PX", "1"}), kOk);
  const int64_t after = static_cast<int64_t>(NowMicros() / 1000);
  const int64_t expires_at = MetaOf("k").expires_at;
  EXPECT_GE(expires_at * 1000, before + 1);
  EXPECT_LE(expires_at * 1000, after + 1 + 999);
  EXPECT_EQ(Run({"PEXPIREAT", "k", "4000000000001"}), ":1\r\n");
  EXPECT_EQ(MetaOf("k").expires_at, 4000000001);
  EXPECT_EQ(Run({"EXPIREAT", "k", "4000000000"}), ":1\r\n");
  EXPECT_EQ(MetaOf("k").expires_at, 4000000000);
  EXPECT_EQ(resp::ExpiresAtOf(1000), 1);
  EXPECT_EQ(resp::ExpiresAtOf(1001), 2);
  EXPECT_EQ(resp::ExpiresAtOf(INT64_MAX), INT64_MAX / 1000 + 1);
  EXPECT_EQ(resp::RemainingMs(INT64_MAX / 1000 + 1, 5), INT64_MAX - 5);
}

TEST_F(RespSessionTest, ExpireOptionsFollowRedis) {
  EXPECT_EQ(Run({"SET", "a", "1"}), kOk);
  EXPECT_EQ(Run({"EXPIRE", "a", "100", "GT"}), ":0\r\n") << "no expiry counts as infinite";
  EXPECT_EQ(Run({"EXPIRE", "a", "100", "XX"}), ":0\r\n");
  EXPECT_EQ(Run({"EXPIRE", "a", "100", "NX"}), ":1\r\n");
  EXPECT_EQ(Run({"EXPIRE", "a", "50", "GT"}), ":0\r\n");
  EXPECT_EQ(Run({"EXPIRE", "a", "200", "GT"}), ":1\r\n");
  EXPECT_EQ(Run({"EXPIRE", "a", "300", "LT"}), ":0\r\n");
  EXPECT_EQ(Run({"EXPIRE", "a", "10", "lt"}), ":1\r\n");
  EXPECT_THAT(Run({"TTL", "a"}), MatchesRegex(":(9|10)\r\n"));
  EXPECT_THAT(Run({"PTTL", "a"}), MatchesRegex(":(9|10)[0-9][0-9][0-9]\r\n"));
  EXPECT_EQ(Run({"EXPIRE", "a", "20", "NX", "XX"}),
            "-ERR NX and XX, GT or LT options at the same time are not compatible\r\n");
  EXPECT_EQ(Run({"EXPIRE", "a", "20", "GT", "LT"}),
            "-ERR GT and LT options at the same time are not compatible\r\n");
  EXPECT_EQ(Run({"EXPIRE", "a", "abc", "FOO"}), "-ERR Unsupported option FOO\r\n");
  EXPECT_EQ(Run({"EXPIRE", "a", "abc"}), "-ERR value is not an integer or out of range\r\n");
  EXPECT_EQ(Run({"EXPIRE", "a", "9223372036854775"}),
            "-ERR invalid expire time in 'expire' command\r\n");
  EXPECT_EQ(Run({"PEXPIRE", "a", "9223372036854775807"}),
            "-ERR invalid expire time in 'pexpire' command\r\n");
  EXPECT_EQ(Run({"PERSIST", "a"}), ":1\r\n");
  EXPECT_EQ(Run({"PERSIST", "a"}), ":0\r\n");
  EXPECT_EQ(Run({"TTL", "a"}), ":-1\r\n");
  EXPECT_EQ(Run({"TTL", "none"}), ":-2\r\n");
  EXPECT_EQ(Run({"PTTL", "none"}), ":-2\r\n");
  EXPECT_EQ(Run({"EXPIRE", "none", "10"}), ":0\r\n");
  // A time in the past removes the key (unless GT keeps it).
  EXPECT_EQ(Run({"EXPIRE", "a", "10"}), ":1\r\n");
  EXPECT_EQ(Run({"EXPIRE", "a", "-1", "GT"}), ":0\r\n");
  EXPECT_EQ(Run({"EXPIRE", "a", "-1", "LT"}), ":1\r\n");
  EXPECT_EQ(Run({"EXISTS", "a"}), ":0\r\n");
  EXPECT_EQ(Run({"SET", "b", "1"}), kOk);
  EXPECT_EQ(Run({"PEXPIREAT", "b", "-9223372036854775808"}), ":1\r\n");
  EXPECT_EQ(Run({"EXISTS", "b"}), ":0\r\n");
}

TEST_F(RespSessionTest, TheTtlIsTheMemcachedExpiry) {
  // A memcached set with flags and an exptime, read through RESP.
  mc::StoreRequest set{.key = "m", .value = "hello", .flags = 7, .exptime = 100};
  ASSERT_EQ(mc::Store(context_, set), mc::Result::kStored);
  EXPECT_EQ(Run({"GET", "m"}), Bulk("hello"));
  EXPECT_THAT(Run({"TTL", "m"}), MatchesRegex(":(99|100)\r\n"));
  // APPEND, INCR and EXPIRE keep the memcached flags; SET writes a plain value.
  EXPECT_EQ(Run({"APPEND", "m", "!"}), ":6\r\n");
  EXPECT_EQ(Run({"EXPIRE", "m", "50"}), ":1\r\n");
  mc::Item item;
  ASSERT_EQ(mc::Get(context_, "m", &item), mc::Result::kStored);
  EXPECT_EQ(item.value, "hello!");
  EXPECT_EQ(item.meta.flags, 7u);
  EXPECT_LE(item.meta.expires_at, time(nullptr) + 51);
  EXPECT_EQ(Run({"SET", "m", "5", "KEEPTTL"}), kOk);
  EXPECT_EQ(Run({"INCR", "m"}), ":6\r\n");
  ASSERT_EQ(mc::Get(context_, "m", &item), mc::Result::kStored);
  EXPECT_EQ(item.meta.flags, 0u);
  EXPECT_NE(item.meta.expires_at, 0);
}

// ---- connection and database ----

TEST_F(RespSessionTest, ConnectionCommandsAnswerAsRedis) {
  EXPECT_EQ(Run({"PING", "hi"}), Bulk("hi"));
  EXPECT_EQ(Run({"PING", "a", "b"}), "-ERR wrong number of arguments for 'ping' command\r\n");
  EXPECT_EQ(Run({"ECHO", "x"}), Bulk("x"));
  EXPECT_EQ(Run({"SELECT", "0"}), kOk);
  EXPECT_EQ(Run({"SELECT", "1"}), "-ERR DB index is out of range\r\n");
  EXPECT_EQ(Run({"SELECT", "00"}), "-ERR value is not an integer or out of range\r\n");
  EXPECT_THAT(Run({"HELLO"}), MatchesRegex("\\*14\r\n\\$6\r\nserver\r\n\\$5\r\nredis\r\n"
                                           "\\$7\r\nversion\r\n\\$6\r\n7\\.0\\.15\r\n"
                                           "\\$5\r\nproto\r\n:2\r\n\\$2\r\nid\r\n:[0-9]+\r\n"
                                           "\\$4\r\nmode\r\n\\$10\r\nstandalone\r\n"
                                           "\\$4\r\nrole\r\n\\$6\r\nmaster\r\n"
                                           "\\$7\r\nmodules\r\n\\*0\r\n"));
  EXPECT_THAT(Run({"HELLO", "2", "AUTH", "default", "x", "SETNAME", "me"}),
              MatchesRegex("\\*14\r\n.*"));
  EXPECT_EQ(Run({"HELLO", "3"}), "-NOPROTO unsupported protocol version\r\n");
  EXPECT_EQ(Run({"HELLO", "x"}), "-ERR Protocol version is not an integer or out of range\r\n");
  EXPECT_EQ(Run({"HELLO", "2", "AUTH", "a", "b"}),
            "-WRONGPASS invalid username-password pair or user is disabled.\r\n");
  EXPECT_EQ(Run({"HELLO", "2", "SETNAME"}), "-ERR Syntax error in HELLO option 'SETNAME'\r\n");
  EXPECT_EQ(Run({"HELLO", "2", "SETNAME", "a b"}),
            "-ERR Client names cannot contain spaces, newlines or special characters.\r\n");
  EXPECT_EQ(Run({"COMMAND", "COUNT"}), ":" + std::to_string(resp::CommandCount()) + "\r\n");
  EXPECT_EQ(Run({"COMMAND", "DOCS"}), "*0\r\n");
  EXPECT_EQ(Run({"COMMAND", "FOO"}), "-ERR unknown subcommand 'FOO'. Try COMMAND HELP.\r\n");
}

TEST_F(RespSessionTest, FlushRunsOffTheEventLoop) {
  ASSERT_EQ(Run({"MSET", "a", "1", "b", "2"}), kOk);
  size_t consumed = 0;
  std::string out;
  const std::string requests = Cmd({"FLUSHALL"}) + Cmd({"DBSIZE"});
  EXPECT_EQ(session_->Process(requests, &consumed, &out), Result::kDeferred);
  EXPECT_EQ(consumed, Cmd({"FLUSHALL"}).size());
  EXPECT_EQ(out, "");
  EXPECT_EQ(session_->TakeDeferred()(), kOk);
  EXPECT_EQ(Send(requests.substr(consumed)), ":0\r\n");
  EXPECT_EQ(Run({"FLUSHDB", "ASYNC"}), kOk);
  EXPECT_EQ(Run({"FLUSHDB", "x"}), "-ERR syntax error\r\n");
}

TEST_F(RespSessionTest, TheCommandMaskRefusesAsRedisRefusesWhatAUserMayNotRun) {
  context_.mask.Apply("allwrite", true);
  EXPECT_EQ(Run({"SET", "k", "v"}),
            "-NOPERM this user has no permissions to run the 'set' command\r\n");
  EXPECT_EQ(Run({"GET", "k"}), kNull);
  context_.mask.Apply("allwrite", false);
  context_.mask.Apply("allresp", true);
  EXPECT_EQ(Run({"GET", "k"}), "-NOPERM this user has no permissions to run the 'get' command\r\n");
  EXPECT_EQ(Run({"PING"}), "+PONG\r\n");
}

TEST_F(RespSessionTest, CommandsCountIntoTheSharedCounters) {
  Run({"SET", "k", "v"});
  Run({"GET", "k"});
  Run({"MGET", "k", "none"});
  Run({"DEL", "none"});
  Run({"FLUSHALL"});
  EXPECT_EQ(stats_.CommandCount(kCmdPut), 1u);
  EXPECT_EQ(stats_.CommandCount(kCmdGet), 3u);
  EXPECT_EQ(stats_.get_miss.load(), 1u);
  EXPECT_EQ(stats_.CommandCount(kCmdOut), 1u);
  EXPECT_EQ(stats_.out_miss.load(), 1u);
  EXPECT_EQ(stats_.CommandCount(kCmdVanish), 1u);
}

class RespLoggedTest : public RespSessionTest {
 protected:
  void SetUp() override {
    Open("*", dir_.path());
    session_ = std::make_unique<RespSession>(&context_, -1);
  }
  testing::TempDir dir_;
};

TEST_F(RespLoggedTest, EveryWriteIsLoggedAndNothingElse) {
  Run({"SET", "a", "1"});
  Run({"SET", "a", "2", "NX"});  // changes nothing
  Run({"MSET", "b", "1", "c", "2"});
  Run({"INCR", "a"});
  Run({"EXPIRE", "b", "100"});
  Run({"DEL", "c", "none"});
  Run({"GET", "a"});
  std::unique_ptr<UlogReader> reader;
  ASSERT_TRUE(UlogReader::Open(dir_.path(), 0, &reader).ok());
  UlogRecord record;
  int records = 0;
  while (reader->Next(&record).ok()) ++records;
  EXPECT_EQ(records, 6);  // set, two of mset, incr, expire, del
}

}  // namespace
}  // namespace tt
