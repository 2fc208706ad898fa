// ROLE, REPLICAOF / SLAVEOF and WAIT through redis-cli and raw RESP: on a
// lone server against ttserver and, with TT_TEST_REFERENCE=redis,
// redis-server 7.0; and over a real ttserver master and slave on loopback
// (ttserver only: redis-server's replication is not ours).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <sstream>
#include <string>
#include <vector>

#include "tests/integration/protocol_support.h"
#include "tests/integration/repl_support.h"
#include "tests/integration/resp_fixture.h"

namespace tt::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::MatchesRegex;
using ::testing::StartsWith;

// redis-cli's output for `commands` (one a line, all on one connection),
// one line per reply word (redis-cli flattens arrays when not on a terminal,
// and gives an empty array an empty line).
std::vector<std::string> CliLines(int port, const std::string& commands) {
  std::string out, err;
  EXPECT_EQ(RedisCli(port, {}, &out, &err, commands), 0) << err;
  std::vector<std::string> lines;
  std::istringstream stream(out);
  std::string line;
  while (std::getline(stream, line)) lines.push_back(line);
  return lines;
}

TEST_F(RespTest, RoleOfALoneServerIsAMasterWithoutSlaves) {
  RawConnection conn(server_->port());
  ASSERT_TRUE(conn.Send(RespCommand({"ROLE"})));
  const std::string reply = conn.ReceiveUntil("*0\r\n");
  EXPECT_THAT(reply, MatchesRegex("\\*3\r\n\\$6\r\nmaster\r\n:[0-9]+\r\n\\*0\r\n"));
  Exchange(conn, RespCommand({"ROLE", "x"}),
           "-ERR wrong number of arguments for 'role' command\r\n");
}

TEST_F(RespTest, WaitWithoutSlavesAnswersNone) {
  RawConnection conn(server_->port());
  Exchange(conn, RespCommand({"SET", "k", "v"}), "+OK\r\n");
  Exchange(conn, RespCommand({"WAIT", "0", "0"}), ":0\r\n");
  Exchange(conn, RespCommand({"WAIT", "1", "100"}), ":0\r\n");
  Exchange(conn, RespCommand({"WAIT", "x", "0"}),
           "-ERR value is not an integer or out of range\r\n");
  Exchange(conn, RespCommand({"WAIT", "0", "-1"}), "-ERR timeout is negative\r\n");
  Exchange(conn, RespCommand({"WAIT", "0", "x"}),
           "-ERR timeout is not an integer or out of range\r\n");
  Exchange(conn, RespCommand({"WAIT", "0"}),
           "-ERR wrong number of arguments for 'wait' command\r\n");
  // Inside a transaction WAIT answers at once.
  Exchange(conn, RespCommand({"MULTI"}), "+OK\r\n");
  Exchange(conn, RespCommand({"WAIT", "1", "0"}), "+QUEUED\r\n");
  Exchange(conn, RespCommand({"EXEC"}), "*1\r\n:0\r\n");
}

TEST_F(RespTest, ReplicaOfChecksThePortAndNoOneKeepsAMasterAMaster) {
  RawConnection conn(server_->port());
  Exchange(conn, RespCommand({"REPLICAOF", "NO", "ONE"}), "+OK\r\n");
  Exchange(conn, RespCommand({"slaveof", "no", "one"}), "+OK\r\n");
  for (const char* port : {"x", "-1", "65536"}) {
    Exchange(conn, RespCommand({"REPLICAOF", "127.0.0.1", port}), "-ERR Invalid master port\r\n");
  }
  Exchange(conn, RespCommand({"REPLICAOF", "127.0.0.1"}),
           "-ERR wrong number of arguments for 'replicaof' command\r\n");
  EXPECT_THAT(CliLines(server_->port(), "ROLE\n"),
              ElementsAre("master", MatchesRegex("[0-9]+"), ""));
}

// A ttserver master and slave on loopback, driven through RESP.
class RespReplicationTest : public ReplTest {
 protected:
  void SetUp() override { SKIP_UNLESS_TTSERVER(); }
};

TEST_F(RespReplicationTest, RoleNamesTheSlavesOnTheMasterAndTheMasterOnTheSlave) {
  auto master = StartServer("master", 1, 0);
  auto slave = StartServer("slave", 2, master->port());
  WaitStreaming(slave->port());
  EXPECT_THAT(CliLines(master->port(), "SET k v\n"), ElementsAre("OK"));
  const std::string master_port = std::to_string(master->port());
  // Once the slave has acknowledged the write, its position is the master's.
  std::vector<std::string> role;
  EXPECT_TRUE(Eventually(15, [&] {
    role = CliLines(master->port(), "ROLE\n");
    return role.size() == 5 && role[4] == role[1];
  })) << ::testing::PrintToString(role);
  ASSERT_EQ(role.size(), 5u);
  EXPECT_EQ(role[0], "master");
  EXPECT_EQ(role[2], "127.0.0.1");
  EXPECT_THAT(role[3], MatchesRegex("[0-9]+"));
  EXPECT_EQ(role[1], StatField(slave->port(), "rts"));
  // INFO lists the same slave.
  std::string info, err;
  EXPECT_EQ(RedisCli(master->port(), {"INFO", "replication"}, &info, &err), 0) << err;
  EXPECT_THAT(info, ::testing::HasSubstr("slave0:ip=127.0.0.1,port=" + role[3] +
                                         ",state=online,offset=" + role[4] + ",lag="));

  EXPECT_THAT(CliLines(slave->port(), "ROLE\n"),
              ElementsAre("slave", "127.0.0.1", master_port, "connected", role[1]));
  EXPECT_THAT(CliLines(slave->port(), "HELLO\n"), ::testing::Contains("replica"));
}

TEST_F(RespReplicationTest, ReplicaOfMakesAFreshServerASlaveAndNoOneStopsIt) {
  auto master = StartServer("master", 1, 0);
  auto server = StartServer("fresh", 2, 0, 0, {"-rts", dir_.Join("fresh.rts")});
  EXPECT_THAT(CliLines(master->port(), "SET before 1\n"), ElementsAre("OK"));
  const std::string master_port = std::to_string(master->port());

  EXPECT_THAT(CliLines(server->port(), "REPLICAOF 127.0.0.1 " + master_port + "\n"),
              ElementsAre("OK"));
  EXPECT_TRUE(Eventually(15, [&] {
    return CliLines(server->port(), "GET before\n") == std::vector<std::string>{"1"};
  }));
  EXPECT_THAT(CliLines(master->port(), "SET during 2\n"), ElementsAre("OK"));
  EXPECT_TRUE(Eventually(15, [&] {
    return CliLines(server->port(), "GET during\n") == std::vector<std::string>{"2"};
  }));
  // The same master again leaves the stream alone.
  EXPECT_THAT(CliLines(server->port(), "SLAVEOF 127.0.0.1 " + master_port + "\n"),
              ElementsAre("OK Already connected to specified master"));

  EXPECT_THAT(CliLines(server->port(), "REPLICAOF NO ONE\n"), ElementsAre("OK"));
  EXPECT_THAT(CliLines(server->port(), "ROLE\n"),
              ElementsAre("master", MatchesRegex("[0-9]+"), ""));
  // Once the master streams to nobody, a write of it has no way to the server.
  EXPECT_TRUE(Eventually(15, [&] { return CliLines(master->port(), "ROLE\n").size() == 3; }));
  EXPECT_THAT(CliLines(master->port(), "SET after 3\n"), ElementsAre("OK"));
  EXPECT_THAT(CliLines(server->port(), "GET during\nGET after\n"), ElementsAre("2", ""));

  // Following the master again brings the write it missed.
  EXPECT_THAT(CliLines(server->port(), "REPLICAOF 127.0.0.1 " + master_port + "\n"),
              ElementsAre("OK"));
  EXPECT_TRUE(Eventually(15, [&] {
    return CliLines(server->port(), "GET after\n") == std::vector<std::string>{"3"};
  }));
}

TEST_F(RespReplicationTest, WaitCountsTheSlavesThatAppliedThisConnectionsWrite) {
  auto master = StartServer("master", 1, 0);
  auto slave = StartServer("slave", 2, master->port());
  WaitStreaming(slave->port());
  // The timeout is only a bound: WAIT answers once the slave acknowledges.
  EXPECT_THAT(CliLines(master->port(), "SET k v\nWAIT 1 60000\n"), ElementsAre("OK", "1"));
  EXPECT_THAT(CliLines(master->port(), "INCR n\nWAIT 1 0\n"), ElementsAre("1", "1"));
  EXPECT_THAT(CliLines(master->port(), "WAIT 0 0\n"), ElementsAre("1"));

  // A stopped slave applies nothing: WAIT gives up after its timeout.
  ASSERT_TRUE(StopProcess(slave->pid()));
  EXPECT_THAT(CliLines(master->port(), "SET k w\nWAIT 1 200\n"), ElementsAre("OK", "0"));
  // Resumed, the slave catches up, and WAIT answers once it has the write.
  kill(slave->pid(), SIGCONT);
  EXPECT_THAT(CliLines(master->port(), "SET k x\nWAIT 1 60000\n"), ElementsAre("OK", "1"));
}

TEST_F(RespReplicationTest, AWaitWithoutEndDoesNotHoldUpTheServersStop) {
  auto master = StartServer("master", 1, 0);
  auto slave = StartServer("slave", 2, master->port());
  WaitStreaming(slave->port());
  ASSERT_TRUE(StopProcess(slave->pid()));
  RawConnection conn(master->port());
  ASSERT_TRUE(conn.Send(RespCommand({"SET", "k", "v"})));
  EXPECT_EQ(conn.Receive(5), "+OK\r\n");
  ASSERT_TRUE(conn.Send(RespCommand({"WAIT", "1", "0"})));
  // The server ends (before, the stop waited for the WAIT forever), and
  // answers the WAIT with what it has if it had begun to wait.
  EXPECT_EQ(master->Stop(SIGTERM), 0);
  EXPECT_THAT(conn.Receive(4), ::testing::AnyOf(":0\r\n", ""));
  kill(slave->pid(), SIGCONT);
}

}  // namespace
}  // namespace tt::testing
