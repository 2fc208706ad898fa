// Bad input never crashes the server, never costs more memory than was sent,
// and only ever closes the connection that sent it.
#include <gtest/gtest.h>

#include <fstream>
#include <sys/wait.h>

#include <chrono>
#include <random>
#include <thread>
#include <sstream>

#include "common/coding.h"
#include "tests/integration/server_process.h"

namespace tt::testing {
namespace {

// Resident set size of `pid` in KiB, from /proc.
long RssKib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

class BadInputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<ServerProcess>(
                // copy/restore are masked: random bytes must not name files or "@commands".
        std::vector<std::string>{"-log", dir_.Join("log"), "--max-value", "64m", "-mask",
                                 "copy,restore"},
        "*");
    ASSERT_TRUE(server_->started());
  }

  // The server still answers a well-formed request on a new connection.
  void ExpectServing() {
    RawConnection conn(server_->port());
    ASSERT_TRUE(conn.connected());
    ASSERT_TRUE(conn.Send(Bytes("C8 80")));
    EXPECT_EQ(conn.Receive(9).size(), 9u);
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(BadInputTest, TwoGigabyteValueIsRefusedWithoutAllocating) {
  long before = RssKib(server_->pid());
  RawConnection conn(server_->port());
  ASSERT_TRUE(conn.Send(Bytes("C8 10 00 00 00 01 7F FF FF FF 6B")));
  EXPECT_TRUE(conn.ClosedByPeer());
  EXPECT_LT(RssKib(server_->pid()) - before, 16 * 1024);
  ExpectServing();
}

TEST_F(BadInputTest, ValueUnderTheLimitCostsOnlyWhatWasSent) {
  long before = RssKib(server_->pid());
  RawConnection conn(server_->port());
  // Announces 60 MiB (allowed), sends 1 KiB of it and stalls.
  std::string header = Bytes("C8 10 00 00 00 01 03 C0 00 00 6B");
  ASSERT_TRUE(conn.Send(header + std::string(1024, 'v')));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_LT(RssKib(server_->pid()) - before, 16 * 1024);
  ExpectServing();
}

TEST_F(BadInputTest, TruncatedRequestThenEofOnlyClosesThatConnection) {
  {
    RawConnection conn(server_->port());
    ASSERT_TRUE(conn.Send(Bytes("C8 10 00 00 00 03 00 00 00 03 66 6F")));
  }
  ExpectServing();
}

TEST_F(BadInputTest, UnknownCommandClosesOnlyThatConnection) {
  RawConnection other(server_->port());
  RawConnection bad(server_->port());
  ASSERT_TRUE(bad.Send(Bytes("C8 42 00 00")));
  EXPECT_TRUE(bad.ClosedByPeer());
  ASSERT_TRUE(other.Send(Bytes("C8 80")));
  EXPECT_EQ(other.Receive(9).size(), 9u);
}

// Puts a `size`-byte value under key "big" through a raw connection.
void PutBig(int port, size_t size) {
  RawConnection conn(port);
  std::string request = Bytes("C8 10 00 00 00 03");
  PutU32(&request, static_cast<uint32_t>(size));
  request += "big" + std::string(size, 'v');
  ASSERT_TRUE(conn.Send(request));
  ASSERT_EQ(conn.Receive(1), std::string(1, '\0'));
}

TEST_F(BadInputTest, PipelinedRequestsOfAPeerThatDoesNotReadCostBoundedMemory) {
  PutBig(server_->port(), 1 << 20);
  long before = RssKib(server_->pid());
  RawConnection conn(server_->port());
  const int kGets = 300;  // 300 MiB of replies for 2.7 KiB of requests
  std::string gets;
  for (int i = 0; i < kGets; ++i) gets += Bytes("C8 30 00 00 00 03 62 69 67");
  ASSERT_TRUE(conn.Send(gets));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_LT(RssKib(server_->pid()) - before, 64 * 1024);
  // Every reply still arrives, whole and in order, once the peer reads.
  for (int i = 0; i < kGets; ++i) {
    std::string reply = conn.Receive(5 + (1 << 20), 10000);
    ASSERT_EQ(reply.size(), 5u + (1 << 20)) << "reply " << i;
    ASSERT_EQ(reply.substr(0, 5), Bytes("00 00 10 00 00"));
  }
}

TEST_F(BadInputTest, MgetReplyStopsAtTheValueLimit) {
  PutBig(server_->port(), 1 << 20);
  RawConnection conn(server_->port());
  // 100 x the 1 MiB key: the reply stops once it holds --max-value (64 MiB).
  std::string mget = Bytes("C8 31");
  PutU32(&mget, 100);
  for (int i = 0; i < 100; ++i) mget += Bytes("00 00 00 03 62 69 67");
  ASSERT_TRUE(conn.Send(mget));
  // The server reads 64 MiB before it answers: a sanitized build on a loaded
  // machine took more than the default 3 s for that.
  std::string head = conn.Receive(5, 60000);
  ASSERT_EQ(head.size(), 5u);
  EXPECT_EQ(head[0], '\0');
  uint32_t count = DecodeU32(head.data() + 1);
  EXPECT_EQ(count, 64u);
  std::string rest = conn.Receive(count * (8 + 3 + (1 << 20)), 60000);
  EXPECT_EQ(rest.size(), count * (8 + 3 + (1u << 20)));
  ExpectServing();
}

TEST_F(BadInputTest, RandomBytesNeverStopTheServer) {
  std::mt19937 rng(12345);
  for (int round = 0; round < 300; ++round) {
    RawConnection conn(server_->port());
    ASSERT_TRUE(conn.connected()) << "round " << round;
    std::string junk(1 + rng() % 200, '\0');
    for (char& c : junk) c = static_cast<char>(rng());
    if (round % 2 == 0) junk[0] = static_cast<char>(0xC8);  // binary magic, random command
    conn.Send(junk);
  }
  ExpectServing();
  EXPECT_EQ(waitpid(server_->pid(), nullptr, WNOHANG), 0);
}

}  // namespace
}  // namespace tt::testing
