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
