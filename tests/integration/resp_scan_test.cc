// SCAN and RANDOMKEY: redis-py's scan_iter and Redis's guarantee (a key
// present for the whole scan is returned at least once) under writes,
// deletes and rewrites between the steps, on a hash database with its
// update log, a tree database, and --mul 3 of each; the replies to bad
// arguments; and what only ttserver's cursors do (a step on another
// connection, a used cursor refused). Against redis-server 7.0 too with
// TT_TEST_REFERENCE=redis (the database choice then does not apply).
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/protocol_support.h"
#include "tests/integration/resp_fixture.h"

namespace tt::testing {
namespace {

struct Database {
  const char* name;  // the database file in the test's directory
  bool ulog;         // with an update log
  int partitions;    // --mul
};

void PrintTo(const Database& db, std::ostream* os) {
  *os << db.name << (db.ulog ? " with its update log" : "") << " -mul " << db.partitions;
}

class RespScanTest : public ::testing::TestWithParam<Database> {
 protected:
  void SetUp() override {
    if (AgainstReferenceMemcached()) GTEST_SKIP() << "not a memcached-protocol test";
    if (AgainstReferenceRedis()) {
      server_ = StartRespServer(dir_);
    } else {
      const Database& db = GetParam();
      std::vector<std::string> args = {"-log", dir_.Join("log")};
      if (db.ulog) {
        const std::vector<std::string> ulog = UlogArgs(dir_);
        args.insert(args.end(), ulog.begin(), ulog.end());
      }
      if (db.partitions > 1) args.insert(args.end(), {"-mul", std::to_string(db.partitions)});
      server_ = std::make_unique<ServerProcess>(args, dir_.Join(db.name));
    }
    ASSERT_TRUE(server_->started());
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_P(RespScanTest, ScanIterAndTheGuaranteeUnderWritesThroughRedisPy) {
  std::string output;
  EXPECT_EQ(RunClientScript("redis_scan_client.py", server_->port(), &output), 0) << output;
  EXPECT_TRUE(StillRunning(*server_));
}

INSTANTIATE_TEST_SUITE_P(
    Databases, RespScanTest,
    ::testing::Values(Database{"casket.kch", true, 1}, Database{"casket.kct", false, 1},
                      Database{"casket.kch", true, 3}, Database{"casket.kct", false, 3}),
    [](const ::testing::TestParamInfo<Database>& info) {
      std::string name = std::string(info.param.name).ends_with(".kch") ? "Hash" : "Tree";
      if (info.param.partitions > 1) name += "Mul3";
      return name;
    });

TEST_F(RespTest, ScanAndRandomKeyRefuseBadArgumentsAsRedisDoes) {
  RawConnection conn(server_->port());
  Exchange(conn, "SCAN x\r\nSCAN 1x\r\nSCAN 0 COUNT 0\r\nSCAN 0 COUNT x\r\n",
           "-ERR invalid cursor\r\n-ERR invalid cursor\r\n-ERR syntax error\r\n"
           "-ERR value is not an integer or out of range\r\n");
  Exchange(conn, "SCAN 0 MATCH\r\nSCAN 0 FOO bar\r\nSCAN\r\nRANDOMKEY x\r\n",
           "-ERR syntax error\r\n-ERR syntax error\r\n"
           "-ERR wrong number of arguments for 'scan' command\r\n"
           "-ERR wrong number of arguments for 'randomkey' command\r\n");
  Exchange(conn, "RANDOMKEY\r\nSCAN 0\r\nSET k v\r\nRANDOMKEY\r\nSCAN 0 MATCH k TYPE STRING\r\n",
           "$-1\r\n*2\r\n$1\r\n0\r\n*0\r\n+OK\r\n$1\r\nk\r\n*2\r\n$1\r\n0\r\n*1\r\n$1\r\nk\r\n");
  // Inside a transaction too.
  Exchange(conn, "MULTI\r\nSCAN 0\r\nRANDOMKEY\r\nEXEC\r\n",
           "+OK\r\n+QUEUED\r\n+QUEUED\r\n*2\r\n*2\r\n$1\r\n0\r\n*1\r\n$1\r\nk\r\n$1\r\nk\r\n");
}

TEST_F(RespTest, ScanCursorsServeAnyConnectionOnceEach) {
  SKIP_UNLESS_TTSERVER();  // Redis's cursors are positions, reusable at will
  RawConnection first(server_->port());
  RawConnection second(server_->port());
  Exchange(first, "MSET a 1 b 2 c 3\r\n", "+OK\r\n");
  ASSERT_TRUE(first.Send("SCAN 0 COUNT 2\r\n"));
  const std::string reply =
      first.Receive(std::string("*2\r\n$1\r\n1\r\n*2\r\n$1\r\na\r\n$1\r\nb\r\n").size());
  ASSERT_TRUE(reply.starts_with("*2\r\n$1\r\n1\r\n*2\r\n")) << reply;
  // The next step on the other connection: the third key, and the end.
  Exchange(second, "SCAN 1 COUNT 2\r\n", "*2\r\n$1\r\n0\r\n*1\r\n$1\r\nc\r\n");
  ASSERT_TRUE(first.Send("SCAN 1\r\n"));
  EXPECT_TRUE(first.ReceiveUntil("\r\n").starts_with("-ERR no such SCAN cursor 1: it was used"));
}

// A scan step inside EXEC checks the keys written since the scan began;
// one that expired meanwhile, whose stripe EXEC holds (GET names it), once
// made the step purge it, taking that stripe again: the worker hung.
TEST(RespScanInExecTest, AStepInsideExecMeetingAnExpiredKeyItHoldsAnswers) {
  SKIP_UNLESS_TTSERVER();
  TempDir dir;
  auto server = StartTtserver(dir, UlogArgs(dir));
  ASSERT_TRUE(server->started());
  RawConnection conn(server->port());
  EXPECT_EQ(TextExchange(conn, "MSET a 1 b 2 c 3\r\n"), "+OK\r\n");
  ASSERT_TRUE(conn.Send("SCAN 0 COUNT 1\r\n"));
  // *2, $n, cursor, *1, $1, key: six lines.
  std::string first = conn.ReceiveUntil("\r\n");
  while (std::count(first.begin(), first.end(), '\n') < 6 && !first.empty()) {
    first += conn.ReceiveUntil("\r\n");
  }
  ASSERT_TRUE(first.starts_with("*2\r\n$")) << first;
  const size_t cursor_at = first.find("\r\n", 4) + 2;
  const std::string number = first.substr(cursor_at, first.find("\r\n", cursor_at) - cursor_at);
  ASSERT_NE(number, "0") << "the scan must still be going";
  EXPECT_EQ(TextExchange(conn, "SET soon v PX 1000\r\n"), "+OK\r\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  ASSERT_TRUE(conn.Send("MULTI\r\nGET soon\r\nSCAN " + number + " COUNT 1000\r\nEXEC\r\n"));
  const std::string queued = "+OK\r\n+QUEUED\r\n+QUEUED\r\n";
  EXPECT_EQ(conn.Receive(queued.size()), queued);
  const std::string exec = conn.ReceiveUntil("$-1\r\n*2\r\n");
  EXPECT_TRUE(exec.starts_with("*2\r\n$-1\r\n*2\r\n"))
      << "EXEC did not answer (the worker hung on the expired key), or wrongly: " << exec;
}

}  // namespace
}  // namespace tt::testing
