// Redis's key commands and the string commands of the second RESP slice
// (TYPE RENAME RENAMENX COPY KEYS EXPIRETIME PEXPIRETIME GETEX GETRANGE
// SETRANGE) over raw RESP bytes, against ttserver and, with
// TT_TEST_REFERENCE=redis, redis-server 7.0.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

using std::string_literals::operator""s;

#include "tests/integration/protocol_support.h"
#include "tests/integration/resp_fixture.h"

namespace tt::testing {
namespace {

TEST_F(RespTest, TypeRenameAndCopyAnswerAsRedisDoes) {
  RawConnection conn(server_->port());
  Exchange(conn, "SET a 1\r\nSET b 2\r\nTYPE a\r\nTYPE nope\r\n",
           "+OK\r\n+OK\r\n+string\r\n+none\r\n");
  Exchange(conn, "RENAME a a2\r\nRENAME nope x\r\nRENAME a2 a2\r\nEXISTS a a2\r\n",
           "+OK\r\n-ERR no such key\r\n+OK\r\n:1\r\n");
  Exchange(conn, "RENAMENX a2 a2\r\nRENAMENX a2 b\r\nRENAMENX a2 a\r\nMGET a a2 b\r\n",
           ":0\r\n:0\r\n:1\r\n*3\r\n$1\r\n1\r\n$-1\r\n$1\r\n2\r\n");
  // The expiry moves and copies with the value.
  Exchange(conn, "SET e v EX 100\r\nRENAME e e2\r\nCOPY e2 e3\r\nEXISTS e\r\n",
           "+OK\r\n+OK\r\n:1\r\n:0\r\n");
  for (const char* key : {"e2", "e3"}) {
    ASSERT_TRUE(conn.Send(std::string("TTL ") + key + "\r\n"));
    EXPECT_THAT(conn.ReceiveUntil("\r\n"), ::testing::MatchesRegex(":(99|100)\r\n")) << key;
  }
  Exchange(conn, "COPY e2 b\r\nCOPY e2 b REPLACE\r\nGET b\r\nCOPY nope z\r\n",
           ":0\r\n:1\r\n$1\r\nv\r\n:0\r\n");
  Exchange(conn, "COPY e2 e2\r\nCOPY e2 x DB 0\r\nCOPY e2 x DB z\r\nCOPY e2 y FOO\r\n",
           "-ERR source and destination objects are the same\r\n:1\r\n"
           "-ERR value is not an integer or out of range\r\n-ERR syntax error\r\n");
}

TEST_F(RespTest, KeysMatchesRedisGlobPatterns) {
  RawConnection conn(server_->port());
  Exchange(conn, "MSET ab 1 a*b 2 h-llo 3 hello 4\r\n", "+OK\r\n");
  // Patterns that match one key each, so that the order does not matter.
  Exchange(conn, "KEYS a\\*b\r\nKEYS h[^e]llo\r\nKEYS h?l*o*e\r\nKEYS [a-b][b]\r\n",
           "*1\r\n$3\r\na*b\r\n*1\r\n$5\r\nh-llo\r\n*0\r\n*1\r\n$2\r\nab\r\n");
  std::string out = Cli({"KEYS", "*"});
  EXPECT_EQ(out.size(), std::string("ab\na*b\nh-llo\nhello\n").size()) << out;
}

TEST_F(RespTest, ExpiryTimesAndGetEx) {
  RawConnection conn(server_->port());
  Exchange(conn, "SET a 1\r\nEXPIRETIME a\r\nEXPIRETIME nope\r\nPEXPIRETIME a\r\n",
           "+OK\r\n:-1\r\n:-2\r\n:-1\r\n");
  Exchange(conn, "SET x hello EXAT 4000000000\r\nEXPIRETIME x\r\nPEXPIRETIME x\r\n",
           "+OK\r\n:4000000000\r\n:4000000000000\r\n");
  Exchange(conn, "GETEX x\r\nGETEX x PERSIST\r\nTTL x\r\n",
           "$5\r\nhello\r\n$5\r\nhello\r\n:-1\r\n");
  Exchange(conn, "GETEX x EXAT 4000000000\r\nEXPIRETIME x\r\n", "$5\r\nhello\r\n:4000000000\r\n");
  Exchange(conn, "GETEX x EX 10 PX 100\r\nGETEX x PERSIST EX 10\r\nGETEX x EX 0\r\n",
           "-ERR syntax error\r\n-ERR syntax error\r\n"
           "-ERR invalid expire time in 'getex' command\r\n");
  Exchange(conn, "GETEX nope EX 10\r\nGETEX x PXAT 1\r\nEXISTS x\r\n",
           "$-1\r\n$5\r\nhello\r\n:0\r\n");
}

TEST_F(RespTest, GetRangeAndSetRange) {
  RawConnection conn(server_->port());
  Exchange(conn, "SET s \"Hello World\"\r\n", "+OK\r\n");
  Exchange(conn,
           "GETRANGE s 0 4\r\nGETRANGE s -5 -1\r\nGETRANGE s -1 -5\r\nGETRANGE s 5 100\r\n"
           "GETRANGE s 100 200\r\nGETRANGE s -100 3\r\nGETRANGE nope 0 1\r\nGETRANGE s x 1\r\n",
           "$5\r\nHello\r\n$5\r\nWorld\r\n$0\r\n\r\n$6\r\n World\r\n$0\r\n\r\n$4\r\nHell\r\n"
           "$0\r\n\r\n-ERR value is not an integer or out of range\r\n");
  Exchange(conn, "SETRANGE s 6 Redis\r\nGET s\r\nSETRANGE new 5 x\r\nGET new\r\n",
           ":11\r\n$11\r\nHello Redis\r\n:6\r\n$6\r\n\0\0\0\0\0x\r\n"s);
  Exchange(conn,
           "SETRANGE s -1 x\r\nSETRANGE s 3 \"\"\r\nSETRANGE nope2 3 \"\"\r\nEXISTS nope2\r\n",
           "-ERR offset is out of range\r\n:11\r\n:0\r\n:0\r\n");
}

TEST_F(RespTest, SetRangeIsBoundedByTheLargestValue) {
  SKIP_UNLESS_TTSERVER();  // redis-server's bound is proto-max-bulk-len (512 MB)
  server_ = StartRespServer(dir_, {"--max-value", "1000"});
  ASSERT_TRUE(server_->started());
  RawConnection conn(server_->port());
  Exchange(conn, "SETRANGE s 995 12345\r\nSETRANGE s 996 12345\r\nSETRANGE s 99999999999 x\r\n",
           ":1000\r\n-ERR string exceeds maximum allowed size (--max-value)\r\n"
           "-ERR string exceeds maximum allowed size (--max-value)\r\n");
  Exchange(conn, "STRLEN s\r\n", ":1000\r\n");
}

// A key past its expiry is gone for every command, whether or not the
// background sweep has removed it yet.
TEST_F(RespTest, ExpiredKeysNeverShow) {
  RawConnection conn(server_->port());
  // ttserver keeps expiries in whole seconds, rounded up: 1000 ms from any
  // instant has passed 2.1 s later on both servers (1200 ms might not have).
  Exchange(conn, "SET live v\r\nSET dying v PX 1000\r\nCOPY dying copy\r\n",
           "+OK\r\n+OK\r\n:1\r\n");
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  Exchange(conn, "DBSIZE\r\nMULTI\r\nDBSIZE\r\nEXEC\r\n",
           ":1\r\n+OK\r\n+QUEUED\r\n*1\r\n:1\r\n");
  Exchange(conn,
           "EXISTS dying copy\r\nTYPE dying\r\nKEYS *ing\r\nKEYS co*\r\nGET dying\r\n"
           "RENAME dying x\r\nCOPY dying x\r\nGETRANGE dying 0 1\r\nEXPIRETIME dying\r\n",
           ":0\r\n+none\r\n*0\r\n*0\r\n$-1\r\n-ERR no such key\r\n:0\r\n$0\r\n\r\n:-2\r\n");
}

}  // namespace
}  // namespace tt::testing
