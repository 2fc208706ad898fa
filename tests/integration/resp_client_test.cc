// CLIENT (ID SETNAME GETNAME INFO LIST NO-EVICT NO-TOUCH REPLY) and RESET
// through raw RESP, against ttserver and, with TT_TEST_REFERENCE=redis,
// redis-server 7.0 (NO-TOUCH, which Redis 7.0 lacks, against ttserver only).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "tests/integration/protocol_support.h"
#include "tests/integration/resp_fixture.h"

namespace tt::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;

// A bulk reply's payload (the whole bulk is read: "$n\r\n" then n bytes).
std::string ReceiveBulk(RawConnection& conn) {
  const std::string header = conn.ReceiveUntil("\r\n");
  EXPECT_EQ(header.substr(0, 1), "$") << header;
  const size_t length = std::stoul(header.substr(1));
  const std::string rest = header.substr(header.find("\r\n") + 2);
  return (rest + conn.Receive(length + 2 - rest.size())).substr(0, length);
}

TEST_F(RespTest, ClientNamesAndDescribesThisConnection) {
  RawConnection conn(server_->port());
  ASSERT_TRUE(conn.Send(RespCommand({"CLIENT", "ID"})));
  const std::string id_reply = conn.ReceiveUntil("\r\n");
  ASSERT_THAT(id_reply, MatchesRegex(":[0-9]+\r\n"));
  const std::string id = id_reply.substr(1, id_reply.size() - 3);
  Exchange(conn, RespCommand({"CLIENT", "GETNAME"}), "$-1\r\n");
  Exchange(conn, RespCommand({"CLIENT", "SETNAME", "a b"}),
           "-ERR Client names cannot contain spaces, newlines or special characters.\r\n");
  Exchange(conn, RespCommand({"client", "setname", "worker-1"}), "+OK\r\n");
  Exchange(conn, RespCommand({"CLIENT", "GETNAME"}), "$8\r\nworker-1\r\n");

  ASSERT_TRUE(conn.Send(RespCommand({"CLIENT", "INFO"})));
  const std::string info = ReceiveBulk(conn);
  EXPECT_THAT(info, MatchesRegex("id=" + id + " addr=127\\.0\\.0\\.1:[0-9]+ laddr=127\\.0\\.0\\.1:" +
                                 std::to_string(server_->port()) +
                                 " fd=[0-9]+ name=worker-1 .* cmd=client\\|info .*\n"));
  ASSERT_TRUE(conn.Send(RespCommand({"CLIENT", "LIST"})));
  EXPECT_THAT(ReceiveBulk(conn), HasSubstr("id=" + id + " "));

  Exchange(conn, RespCommand({"CLIENT", "GETNAME", "x"}),
           "-ERR wrong number of arguments for 'client|getname' command\r\n");
  Exchange(conn, RespCommand({"CLIENT", "FOO"}),
           "-ERR unknown subcommand 'FOO'. Try CLIENT HELP.\r\n");
  Exchange(conn, RespCommand({"CLIENT"}), "-ERR wrong number of arguments for 'client' command\r\n");
  Exchange(conn, RespCommand({"CLIENT", "NO-EVICT", "on"}), "+OK\r\n");
  Exchange(conn, RespCommand({"CLIENT", "NO-EVICT", "maybe"}), "-ERR syntax error\r\n");
}

TEST_F(RespTest, ClientReplySkipsOrSilencesReplies) {
  RawConnection conn(server_->port());
  // Pipelined: only the replies Redis sends arrive, in order.
  Exchange(conn,
           RespCommand({"CLIENT", "REPLY", "SKIP"}) + RespCommand({"PING", "a"}) +
               RespCommand({"PING", "b"}) + RespCommand({"CLIENT", "REPLY", "OFF"}) +
               RespCommand({"SET", "k", "v"}) + RespCommand({"PING", "c"}) +
               RespCommand({"CLIENT", "REPLY", "ON"}) + RespCommand({"GET", "k"}),
           "$1\r\nb\r\n+OK\r\n$1\r\nv\r\n");
  Exchange(conn, RespCommand({"CLIENT", "REPLY", "maybe"}), "-ERR syntax error\r\n");
}

TEST_F(RespTest, ResetEndsTheTransactionAndForgetsTheName) {
  RawConnection conn(server_->port());
  Exchange(conn, RespCommand({"CLIENT", "SETNAME", "n"}), "+OK\r\n");
  Exchange(conn, RespCommand({"MULTI"}), "+OK\r\n");
  Exchange(conn, RespCommand({"SET", "k", "v"}), "+QUEUED\r\n");
  Exchange(conn, RespCommand({"RESET"}), "+RESET\r\n");
  Exchange(conn, RespCommand({"EXEC"}), "-ERR EXEC without MULTI\r\n");
  Exchange(conn, RespCommand({"GET", "k"}), "$-1\r\n");
  Exchange(conn, RespCommand({"CLIENT", "GETNAME"}), "$-1\r\n");
  // Replies come back on.
  Exchange(conn, RespCommand({"CLIENT", "REPLY", "OFF"}) + RespCommand({"RESET"}), "+RESET\r\n");
  Exchange(conn, RespCommand({"PING"}), "+PONG\r\n");
}

TEST_F(RespTest, ClientNoTouchIsAccepted) {
  SKIP_UNLESS_TTSERVER();  // Redis 7.2's; 7.0 does not know it
  RawConnection conn(server_->port());
  Exchange(conn, RespCommand({"CLIENT", "NO-TOUCH", "ON"}), "+OK\r\n");
  Exchange(conn, RespCommand({"CLIENT", "NO-TOUCH", "off"}), "+OK\r\n");
  Exchange(conn, RespCommand({"CLIENT", "NO-TOUCH", "x"}), "-ERR syntax error\r\n");
}

}  // namespace
}  // namespace tt::testing
