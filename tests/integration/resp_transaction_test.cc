// Redis transactions (MULTI EXEC DISCARD WATCH UNWATCH) over raw RESP bytes,
// against ttserver and, with TT_TEST_REFERENCE=redis, redis-server 7.0 (the
// tests that need another protocol skip there). redis-py's pipelines and
// its WATCH retry loop are in clients/redis_py_client.py (RespTest.RedisPy).
#include <gtest/gtest.h>

#include <cstdio>
#include <functional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "client/remote_db.h"
#include "tests/integration/protocol_support.h"
#include "tests/integration/resp_fixture.h"

namespace tt::testing {
namespace {

TEST_F(RespTest, TransactionsAnswerAsRedisDoes) {
  RawConnection conn(server_->port());
  Exchange(conn, "EXEC\r\nDISCARD\r\n",
           "-ERR EXEC without MULTI\r\n-ERR DISCARD without MULTI\r\n");
  // Nested MULTI and WATCH inside MULTI are refused without spoiling the transaction.
  Exchange(conn, "MULTI\r\nMULTI\r\nWATCH a\r\nSET a 1\r\nINCR a\r\nGET a\r\nEXEC\r\n",
           "+OK\r\n-ERR MULTI calls can not be nested\r\n-ERR WATCH inside MULTI is not "
           "allowed\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n*3\r\n+OK\r\n:2\r\n$1\r\n2\r\n");
  // A command refused while queueing (unknown, wrong arity) aborts EXEC.
  Exchange(conn, "MULTI\r\nGET\r\nSET a 9\r\nNOSUCH x\r\nEXEC\r\nGET a\r\n",
           "+OK\r\n-ERR wrong number of arguments for 'get' command\r\n+QUEUED\r\n"
           "-ERR unknown command 'NOSUCH', with args beginning with: 'x' \r\n"
           "-EXECABORT Transaction discarded because of previous errors.\r\n$1\r\n2\r\n");
  // An error at run time is one reply of the array; the rest runs.
  Exchange(conn, "MULTI\r\nSET s x\r\nINCR s\r\nPING\r\nEXEC\r\n",
           "+OK\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n"
           "*3\r\n+OK\r\n-ERR value is not an integer or out of range\r\n+PONG\r\n");
  // DISCARD drops the queue; an empty transaction is an empty array.
  Exchange(conn, "MULTI\r\nSET d 1\r\nDISCARD\r\nEXISTS d\r\nMULTI\r\nEXEC\r\n",
           "+OK\r\n+QUEUED\r\n+OK\r\n:0\r\n+OK\r\n*0\r\n");
  // SELECT and UNWATCH are queued like the others.
  Exchange(conn, "MULTI\r\nSELECT 0\r\nUNWATCH\r\nEXEC\r\n",
           "+OK\r\n+QUEUED\r\n+QUEUED\r\n*2\r\n+OK\r\n+OK\r\n");
  Exchange(conn, "WATCH\r\nUNWATCH x\r\n",
           "-ERR wrong number of arguments for 'watch' command\r\n"
           "-ERR wrong number of arguments for 'unwatch' command\r\n");
  // QUIT inside MULTI closes at once.
  Exchange(conn, "MULTI\r\nQUIT\r\n", "+OK\r\n+OK\r\n");
  EXPECT_TRUE(conn.ClosedByPeer());
}

TEST_F(RespTest, ExecRunsFlushAllInItsQueue) {
  RawConnection conn(server_->port());
  Exchange(conn, "SET a 1\r\nMULTI\r\nSET b 2\r\nFLUSHALL\r\nSET c 3\r\nDBSIZE\r\nEXEC\r\n",
           "+OK\r\n+OK\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n"
           "*4\r\n+OK\r\n+OK\r\n+OK\r\n:1\r\n");
  Exchange(conn, "MGET a b c\r\n", "*3\r\n$-1\r\n$-1\r\n$1\r\n3\r\n");
}

TEST_F(RespTest, ExecRunsKeysInItsQueue) {
  RawConnection conn(server_->port());
  Exchange(conn, "MULTI\r\nSET tk 1\r\nKEYS t*\r\nGET tk\r\nEXEC\r\n",
           "+OK\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n*3\r\n+OK\r\n*1\r\n$2\r\ntk\r\n$1\r\n1\r\n");
}

// ttserver's bounds on what one transaction may cost (Redis has none): the
// queue's memory, the watched keys and EXEC's reply, each at most --max-value.
class RespTransactionBoundsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SKIP_UNLESS_TTSERVER();
    server_ = StartTtserver(dir_, {"--max-value", "1k"});
    ASSERT_TRUE(server_->started());
  }
  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(RespTransactionBoundsTest, TheQueueCountsTheMemoryItTakes) {
  RawConnection conn(server_->port());
  // 40 PINGs are 160 bytes of words but about 2,400 bytes of queue.
  std::string request = "MULTI\r\n";
  for (int i = 0; i < 40; ++i) request += "PING\r\n";
  request += "EXEC\r\n";
  ASSERT_TRUE(conn.Send(request));
  const std::string reply = conn.ReceiveUntil("previous errors.\r\n");
  EXPECT_NE(reply.find("-ERR transaction exceeds maximum allowed size (--max-value)"),
            std::string::npos)
      << reply;
  EXPECT_EQ(TextExchange(conn, "PING\r\n"), "+PONG\r\n");
}

TEST_F(RespTransactionBoundsTest, WatchedKeysAreBounded) {
  RawConnection conn(server_->port());
  EXPECT_EQ(TextExchange(conn, "WATCH " + std::string(600, 'a') + "\r\n"), "+OK\r\n");
  EXPECT_EQ(TextExchange(conn, "WATCH " + std::string(600, 'a') + "\r\n"), "+OK\r\n")
      << "a key watched already costs nothing more";
  EXPECT_EQ(TextExchange(conn, "WATCH " + std::string(600, 'b') + "\r\n"),
            "-ERR watched keys exceed maximum allowed size (--max-value): UNWATCH, EXEC or "
            "DISCARD first\r\n");
  EXPECT_EQ(TextExchange(conn, "UNWATCH\r\nWATCH " + std::string(600, 'b') + "\r\n"),
            "+OK\r\n+OK\r\n");
}

TEST_F(RespTransactionBoundsTest, AnExecReplyPastMaxValueIsAnErrorButEveryCommandRan) {
  RawConnection conn(server_->port());
  const std::string value(600, 'v');
  EXPECT_EQ(TextExchange(conn, "SET big " + value + "\r\n"), "+OK\r\n");
  ASSERT_TRUE(conn.Send("MULTI\r\nGET big\r\nGET big\r\nSET after 1\r\nEXEC\r\n"));
  const std::string want =
      "+OK\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n"
      "-ERR EXEC reply exceeds maximum allowed size (--max-value): every queued command ran, "
      "their replies are not sent; read less per transaction\r\n";
  EXPECT_EQ(conn.Receive(want.size()), want);
  EXPECT_EQ(TextExchange(conn, "GET after\r\n"), "$1\r\n1\r\n");
}

// WATCH on one connection, a write on another, then EXEC: the null array,
// and nothing of the queue runs. Without the write, EXEC runs.
TEST_F(RespTest, WatchedKeyChangedByAnotherClientFailsExec) {
  RawConnection conn(server_->port()), other(server_->port());
  Exchange(conn, "SET k v\r\nWATCH k absent\r\n", "+OK\r\n+OK\r\n");
  Exchange(other, "SET k v\r\n", "+OK\r\n");  // the same value: still a change
  Exchange(conn, "MULTI\r\nSET k mine\r\nEXEC\r\nGET k\r\n",
           "+OK\r\n+QUEUED\r\n*-1\r\n$1\r\nv\r\n");
  // EXEC ended the watch: the next transaction runs.
  Exchange(conn, "MULTI\r\nSET k mine\r\nEXEC\r\n", "+OK\r\n+QUEUED\r\n*1\r\n+OK\r\n");
  // A watched key that appears, or goes, counts as changed.
  Exchange(conn, "WATCH absent\r\n", "+OK\r\n");
  Exchange(other, "SET absent now\r\n", "+OK\r\n");
  Exchange(conn, "MULTI\r\nPING\r\nEXEC\r\n", "+OK\r\n+QUEUED\r\n*-1\r\n");
  Exchange(conn, "WATCH k\r\n", "+OK\r\n");
  Exchange(other, "DEL k\r\n", ":1\r\n");
  Exchange(conn, "MULTI\r\nPING\r\nEXEC\r\n", "+OK\r\n+QUEUED\r\n*-1\r\n");
  // Reads by others, UNWATCH and DISCARD leave a transaction free to run.
  Exchange(conn, "SET k v\r\nWATCH k\r\n", "+OK\r\n+OK\r\n");
  Exchange(other, "GET k\r\n", "$1\r\nv\r\n");
  Exchange(conn, "MULTI\r\nGET k\r\nEXEC\r\n", "+OK\r\n+QUEUED\r\n*1\r\n$1\r\nv\r\n");
  Exchange(conn, "WATCH k\r\n", "+OK\r\n");
  Exchange(other, "SET k w\r\n", "+OK\r\n");
  Exchange(conn, "UNWATCH\r\nMULTI\r\nGET k\r\nEXEC\r\n",
           "+OK\r\n+OK\r\n+QUEUED\r\n*1\r\n$1\r\nw\r\n");
  Exchange(conn, "WATCH k\r\nMULTI\r\nDISCARD\r\n", "+OK\r\n+OK\r\n+OK\r\n");
  Exchange(other, "SET k x\r\n", "+OK\r\n");
  Exchange(conn, "MULTI\r\nGET k\r\nEXEC\r\n", "+OK\r\n+QUEUED\r\n*1\r\n$1\r\nx\r\n");
}

// The same through every other protocol: a memcached set (text and
// binary), a Tokyo Tyrant put and an HTTP PUT each change the version.
TEST_F(RespTest, WatchSeesWritesThroughEveryProtocol) {
  SKIP_UNLESS_TTSERVER();
  RawConnection conn(server_->port()), other(server_->port());
  RemoteDB db;
  ASSERT_TRUE(db.Open("127.0.0.1", server_->port(), 10).ok());
  WriteWholeFile(dir_.Join("put"), "http");
  const std::vector<std::pair<std::string, std::function<void()>>> writers = {
      {"memcached text",
       [&] { EXPECT_EQ(TextExchange(other, "set k 0 0 1\r\nm\r\n"), "STORED\r\n"); }},
      {"memcached binary",
       [&] {
         ASSERT_TRUE(other.Send(mcbin::Request(mcbin::kSet, "k", "b", mcbin::SetExtras(0, 0))));
         mcbin::Response response;
         ASSERT_TRUE(mcbin::ReadResponse(other, &response));
         EXPECT_EQ(response.status, mcbin::kNoError);
       }},
      {"tokyo tyrant", [&] { EXPECT_TRUE(db.Put("k", "t").ok()); }},
      {"http",
       [&] {
         EXPECT_EQ(
             CurlStatus({"-T", dir_.Join("put")}, Url(server_->port(), "/k"), dir_.Join("reply")),
             201);
       }},
  };
  for (const auto& [name, write] : writers) {
    Exchange(conn, "SET k v\r\nWATCH k\r\n", "+OK\r\n+OK\r\n");
    write();
    Exchange(conn, "MULTI\r\nSET k mine\r\nEXEC\r\n", "+OK\r\n+QUEUED\r\n*-1\r\n");
    EXPECT_FALSE(HasFailure()) << name;
  }
}

// Two clients, each running transactions over the same two keys: a reader
// inside MULTI/EXEC never sees one key written by a transaction and the
// other not.
TEST_F(RespTest, ExecIsAtomicForTheKeysItNames) {
  RawConnection setup(server_->port());
  Exchange(setup, "MSET a 000000 b 000000\r\n", "+OK\r\n");
  constexpr int kRounds = 1000;
  std::thread writer([&] {
    RawConnection conn(server_->port());
    for (int i = 1; i <= kRounds; ++i) {
      char value[16];
      std::snprintf(value, sizeof(value), "%06d", i);
      const std::string v(value);
      ASSERT_TRUE(conn.Send("MULTI\r\nSET a " + v + "\r\nSET b " + v + "\r\nEXEC\r\n"));
      ASSERT_EQ(conn.Receive(37), "+OK\r\n+QUEUED\r\n+QUEUED\r\n*2\r\n+OK\r\n+OK\r\n");
    }
  });
  RawConnection reader(server_->port());
  int torn = 0;
  for (int i = 0; i < kRounds; ++i) {
    ASSERT_TRUE(reader.Send("MULTI\r\nGET a\r\nGET b\r\nEXEC\r\n"));
    const std::string reply = reader.Receive(51);
    ASSERT_EQ(reply.size(), 51u) << reply;
    // "+OK\r\n+QUEUED\r\n+QUEUED\r\n*2\r\n$6\r\nAAAAAA\r\n$6\r\nBBBBBB\r\n"
    if (reply.substr(31, 6) != reply.substr(43, 6)) ++torn;
  }
  writer.join();
  EXPECT_EQ(torn, 0);
}

}  // namespace
}  // namespace tt::testing
