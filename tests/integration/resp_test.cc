// The Redis protocol on the data port, driven by real clients (redis-cli,
// Debian's python3-redis) and by raw bytes. With TT_TEST_REFERENCE=redis the
// RESP-only tests run against Debian's redis-server instead (the others
// skip): see protocol_support.h. Expiry is checked within ranges: ttserver
// keeps it in whole seconds.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "client/remote_db.h"
#include "tests/integration/protocol_support.h"
#include "tests/integration/repl_support.h"
#include "tests/integration/resp_fixture.h"

namespace tt::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;

TEST_F(RespTest, RedisCliRunsCommands) {
  EXPECT_EQ(Cli({"PING"}), "PONG\n");
  EXPECT_EQ(Cli({"SET", "greeting", "hello world"}), "OK\n");
  EXPECT_EQ(Cli({"GET", "greeting"}), "hello world\n");
  EXPECT_EQ(Cli({"GET", "nothing"}), "\n");
  EXPECT_EQ(Cli({"INCR", "n"}), "1\n");
  EXPECT_EQ(Cli({"INCRBYFLOAT", "n", "1.5"}), "2.5\n");
  EXPECT_EQ(Cli({"MSET", "a", "1", "b", "2"}), "OK\n");
  EXPECT_EQ(Cli({"MGET", "a", "nope", "b"}), "1\n\n2\n");
  EXPECT_EQ(Cli({"SETEX", "t", "100", "v"}), "OK\n");
  EXPECT_THAT(Cli({"TTL", "t"}), MatchesRegex("(98|99|100)\n"));
  EXPECT_EQ(Cli({"DEL", "a", "b", "nope"}), "2\n");
  EXPECT_EQ(Cli({"EXISTS", "a", "greeting"}), "1\n");
  EXPECT_EQ(Cli({"DBSIZE"}), "3\n");
  EXPECT_EQ(Cli({"NOSUCHCMD", "x"}),
            "ERR unknown command 'NOSUCHCMD', with args beginning with: 'x' \n\n");
  EXPECT_EQ(Cli({"GET"}), "ERR wrong number of arguments for 'get' command\n\n");
  // Commands on its standard input, one per line.
  EXPECT_EQ(Cli({}, "PING\nECHO hi\nFLUSHALL\nDBSIZE\n"), "PONG\nhi\nOK\n0\n");
}

// redis-cli --pipe: the mass insertion Redis documents, 10,000 SETs in the
// protocol's own form, and the replies counted.
TEST_F(RespTest, RedisCliPipeInsertsTenThousandKeys) {
  std::string input;
  for (int i = 0; i < 10000; ++i) {
    input += RespCommand({"SET", "key:" + std::to_string(i), "value:" + std::to_string(i)});
  }
  const std::string out = Cli({"--pipe"}, input);
  EXPECT_THAT(out, HasSubstr("errors: 0, replies: 10000")) << out;
  EXPECT_EQ(Cli({"DBSIZE"}), "10000\n");
  EXPECT_EQ(Cli({"GET", "key:9999"}), "value:9999\n");
  // Inline commands, with a blank line, are a pipe's input too.
  const std::string inline_out = Cli({"--pipe"}, "SET inline \"a b\"\r\n\r\nINCR counter\r\n");
  EXPECT_THAT(inline_out, HasSubstr("errors: 0, replies: 2")) << inline_out;
  EXPECT_EQ(Cli({"GET", "inline"}), "a b\n");
}

TEST_F(RespTest, RedisCliRepeatsACommand) {
  const std::string out = Cli({"-r", "50", "INCR", "counter"});
  EXPECT_TRUE(out.ends_with("\n49\n50\n")) << out;
  EXPECT_EQ(Cli({"GET", "counter"}), "50\n");
}

TEST_F(RespTest, RedisPy) {
  std::string output;
  EXPECT_EQ(RunClientScript("redis_py_client.py", server_->port(), &output), 0) << output;
  EXPECT_TRUE(StillRunning(*server_));
}

TEST_F(RespTest, PipelinedRequestsInOneWriteAreAnsweredInOrder) {
  RawConnection conn(server_->port());
  std::string requests, replies;
  for (int i = 1; i <= 1000; ++i) {
    requests += RespCommand({"INCR", "n"});
    replies += ":" + std::to_string(i) + "\r\n";
  }
  requests += "GET n\r\n";
  replies += "$4\r\n1000\r\n";
  Exchange(conn, requests, replies);
}

TEST_F(RespTest, InlineCommandsAreSplitAsRedisSplitsThem) {
  RawConnection conn(server_->port());
  Exchange(conn, "SET k \"a\\x41 \\\"b\\\"\"\r\nGET k\r\n", "+OK\r\n$6\r\naA \"b\"\r\n");
  Exchange(conn, "ECHO 'it\\'s'\n", "$4\r\nit's\r\n");
  Exchange(conn, "SET k \"unbalanced\r\n", "-ERR Protocol error: unbalanced quotes in request\r\n");
  EXPECT_TRUE(conn.ClosedByPeer());
}

TEST_F(RespTest, ProtocolErrorsCloseAfterTheirReplyAndOthersAreServed) {
  RawConnection other(server_->port());
  for (const auto& [request, reply] : std::vector<std::pair<std::string, std::string>>{
           {"*1\r\nfoo\r\n", "-ERR Protocol error: expected '$', got 'f'\r\n"},
           {"*abc\r\n", "-ERR Protocol error: invalid multibulk length\r\n"},
           {"*1\r\n$-5\r\n", "-ERR Protocol error: invalid bulk length\r\n"},
           {"*1\r\n$2147483648\r\n", "-ERR Protocol error: invalid bulk length\r\n"},
       }) {
    RawConnection conn(server_->port());
    Exchange(conn, RespCommand({"PING"}) + request, "+PONG\r\n" + reply);
    EXPECT_TRUE(conn.ClosedByPeer()) << request;
    Exchange(other, RespCommand({"PING"}), "+PONG\r\n");
  }
}

// Redis 7.0 accepts up to 2^31 - 1 bulks; ttserver refuses more than
// 1048576 (as Redis did before 7.0), which bounds a request's argument list.
TEST_F(RespTest, AHugeMultibulkCountIsRefused) {
  SKIP_UNLESS_TTSERVER();
  RawConnection conn(server_->port());
  Exchange(conn, "*1048577\r\n", "-ERR Protocol error: invalid multibulk length\r\n");
  EXPECT_TRUE(conn.ClosedByPeer());
}

// The server's virtual memory size, in KiB (0 if unknown).
long VmSizeKiB(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with("VmSize:")) return std::stol(line.substr(7));
  }
  return 0;
}

// Announced lengths are not allocated: 16 connections each announcing a bulk
// of 256 MiB (the largest value accepted) grow the server by far less than
// the 4 GiB announced, and it keeps serving. (redis-server reserves such
// bulks at once, which is why this is not a reference test.)
TEST_F(RespTest, HugeAnnouncedLengthsCostNoMemory) {
  SKIP_UNLESS_TTSERVER();
  const long before = VmSizeKiB(server_->pid());
  ASSERT_GT(before, 0);
  std::vector<std::unique_ptr<RawConnection>> announcers;
  for (int i = 0; i < 16; ++i) {
    announcers.push_back(std::make_unique<RawConnection>(server_->port()));
    ASSERT_TRUE(announcers.back()->Send("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$268435456\r\nabc"));
  }
  RawConnection conn(server_->port());
  Exchange(conn, RespCommand({"PING"}), "+PONG\r\n");
  const long after = VmSizeKiB(server_->pid());
  EXPECT_LT(after - before, 512 * 1024) << "KiB: " << before << " -> " << after;
}

TEST_F(RespTest, EveryRespWriteIsLoggedAndReachesASlave) {
  SKIP_UNLESS_TTSERVER();
  TempDir dir;
  auto master = StartTtserver(dir, UlogArgs(dir));
  ASSERT_TRUE(master->started());
  std::filesystem::create_directories(dir.Join("slave-ulog"));
  auto slave = std::make_unique<ServerProcess>(
      std::vector<std::string>{"-log", dir.Join("slave.log"), "-ulog", dir.Join("slave-ulog"),
                               "-sid", "2", "-mhost", "127.0.0.1", "-mport",
                               std::to_string(master->port()), "-rts", dir.Join("slave.rts")},
      dir.Join("slave.kch"));
  ASSERT_TRUE(slave->started());
  RawConnection conn(master->port());
  Exchange(conn, RespCommand({"SET", "doomed", "x"}), "+OK\r\n");
  Exchange(conn, RespCommand({"FLUSHALL"}), "+OK\r\n");
  Exchange(conn, RespCommand({"SET", "s", "v", "EX", "1000"}), "+OK\r\n");
  Exchange(conn, RespCommand({"MSET", "a", "1", "b", "2", "c", "3"}), "+OK\r\n");
  Exchange(conn, RespCommand({"INCRBY", "a", "41"}), ":42\r\n");
  Exchange(conn, RespCommand({"APPEND", "b", "x"}), ":2\r\n");
  Exchange(conn, RespCommand({"DEL", "c"}), ":1\r\n");
  Exchange(conn, RespCommand({"EXPIRE", "b", "500"}), ":1\r\n");
  const Contents want = {{"a", "42"}, {"b", "2x"}, {"s", "v"}};
  EXPECT_EQ(Dump(master->port()), want);
  EXPECT_TRUE(Eventually(15, [&] { return Dump(slave->port()) == want; }))
      << Difference(want, Dump(slave->port()));
  // The expiry travels with the value.
  RawConnection on_slave(slave->port());
  ASSERT_TRUE(on_slave.Send(RespCommand({"TTL", "b"})));
  EXPECT_THAT(on_slave.ReceiveUntil("\r\n"), MatchesRegex(":(4[0-9][0-9]|500)\r\n"));
}

// ---- one data model behind every protocol ----

// `mg key t` over memcached meta: the seconds memcached says are left.
std::string McTtl(RawConnection& conn, const std::string& key) {
  return TextExchange(conn, "mg " + key + " t\r\n");
}

TEST_F(RespTest, TtlsAgreeBetweenRespAndMemcached) {
  SKIP_UNLESS_TTSERVER();
  RawConnection conn(server_->port());
  // RESP's expiry, in whole seconds rounded up, as memcached reads it.
  Exchange(conn, RespCommand({"SET", "r", "v", "EX", "100"}), "+OK\r\n");
  EXPECT_THAT(McTtl(conn, "r"), MatchesRegex("HD t(99|100|101)\r\n"));
  Exchange(conn, RespCommand({"PEXPIRE", "r", "1500"}), ":1\r\n");
  EXPECT_THAT(McTtl(conn, "r"), MatchesRegex("HD t(1|2|3)\r\n"));
  Exchange(conn, RespCommand({"PERSIST", "r"}), ":1\r\n");
  EXPECT_EQ(McTtl(conn, "r"), "HD t-1\r\n");
  // memcached's exptime, as RESP reads it.
  EXPECT_EQ(TextExchange(conn, "set m 5 100 2\r\nhi\r\n"), "STORED\r\n");
  ASSERT_TRUE(conn.Send(RespCommand({"TTL", "m"})));
  EXPECT_THAT(conn.ReceiveUntil("\r\n"), MatchesRegex(":(98|99|100)\r\n"));
  EXPECT_EQ(TextExchange(conn, "touch m 0\r\n"), "TOUCHED\r\n");
  Exchange(conn, RespCommand({"TTL", "m"}), ":-1\r\n");
  EXPECT_EQ(TextExchange(conn, "set gone 0 -1 2\r\nhi\r\n"), "STORED\r\n");
  Exchange(conn, RespCommand({"TTL", "gone"}), ":-2\r\n");
}

TEST_F(RespTest, ValuesCrossBetweenRespAndTheOtherProtocols) {
  SKIP_UNLESS_TTSERVER();
  std::string every_byte;
  for (int c = 0; c < 256; ++c) every_byte.push_back(static_cast<char>(c));
  RawConnection conn(server_->port());
  RemoteDB db;
  ASSERT_TRUE(db.Open("127.0.0.1", server_->port(), 10).ok());
  // RESP -> Tokyo Tyrant binary, memcached, HTTP.
  Exchange(conn, RespCommand({"SET", "r", every_byte}), "+OK\r\n");
  std::string value;
  ASSERT_TRUE(db.Get("r", &value).ok());
  EXPECT_TRUE(value == every_byte);
  EXPECT_EQ(TextExchange(conn, "get r\r\n", "END\r\n"),
            "VALUE r 0 256\r\n" + every_byte + "\r\nEND\r\n");
  std::string body;
  EXPECT_EQ(CurlStatus({}, Url(server_->port(), "/r"), dir_.Join("body"), &body), 200);
  EXPECT_TRUE(body == every_byte);
  // Tokyo Tyrant binary, memcached, HTTP -> RESP.
  ASSERT_TRUE(db.Put("t", "41").ok());
  Exchange(conn, RespCommand({"INCR", "t"}), ":42\r\n");
  ASSERT_TRUE(db.Get("t", &value).ok());
  EXPECT_EQ(value, "42");
  EXPECT_EQ(TextExchange(conn, "set m 7 0 3\r\nabc\r\n"), "STORED\r\n");
  Exchange(conn, RespCommand({"APPEND", "m", "d"}), ":4\r\n");
  EXPECT_EQ(TextExchange(conn, "get m\r\n", "END\r\n"), "VALUE m 7 4\r\nabcd\r\nEND\r\n")
      << "APPEND keeps memcached's flags";
  WriteWholeFile(dir_.Join("put"), "from http");
  EXPECT_EQ(CurlStatus({"-T", dir_.Join("put")}, Url(server_->port(), "/h"), dir_.Join("reply")),
            201);
  Exchange(conn, RespCommand({"GET", "h"}), "$9\r\nfrom http\r\n");
  // Deleted through RESP, gone for every protocol.
  Exchange(conn, RespCommand({"DEL", "r", "t", "m", "h"}), ":4\r\n");
  EXPECT_TRUE(db.Get("r", &value).IsNotFound());
  EXPECT_EQ(TextExchange(conn, "get m\r\n", "END\r\n"), "END\r\n");
}

TEST_F(RespTest, TheSharedCountersCountRespCommands) {
  SKIP_UNLESS_TTSERVER();
  RawConnection conn(server_->port());
  Exchange(conn, RespCommand({"SET", "k", "v"}), "+OK\r\n");
  Exchange(conn, RespCommand({"MGET", "k", "none"}), "*2\r\n$1\r\nv\r\n$-1\r\n");
  const std::map<std::string, std::string> stats = McStats(conn);
  EXPECT_EQ(stats.at("cmd_set"), "1");
  EXPECT_EQ(stats.at("cmd_get"), "2");
  EXPECT_EQ(stats.at("get_hits"), "1");
  EXPECT_EQ(stats.at("get_misses"), "1");
}

}  // namespace
}  // namespace tt::testing
