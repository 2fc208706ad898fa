// Every captured vector of spec/README.md, byte for byte, against a real
// ttserver (sid 7, update log, fresh hash database), each on its own connection.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "tests/integration/server_process.h"

namespace tt::testing {
namespace {

class BinaryVectorsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directory(dir_.Join("ulogE"));
    server_ = std::make_unique<ServerProcess>(
        std::vector<std::string>{"-sid", "7", "-ulog", dir_.Join("ulogE"), "-log",
                                 dir_.Join("server.log")},
        dir_.Join("e.kch"));
    ASSERT_TRUE(server_->started());
  }

  // Sends `request` on a new connection and returns `reply_size` bytes.
  std::string Exchange(const std::string& request_hex, size_t reply_size) {
    RawConnection conn(server_->port());
    EXPECT_TRUE(conn.Send(Bytes(request_hex)));
    return conn.Receive(reply_size);
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(BinaryVectorsTest, CapturedVectorsMatchByteForByte) {
  // 1: put foo=bar
  EXPECT_EQ(Exchange("C8 10 00 00 00 03 00 00 00 03 66 6F 6F 62 61 72", 1), Bytes("00"));
  // 2: get foo (hit)
  EXPECT_EQ(Exchange("C8 30 00 00 00 03 66 6F 6F", 8), Bytes("00 00 00 00 03 62 61 72"));
  // 3: get nope (miss)
  EXPECT_EQ(Exchange("C8 30 00 00 00 04 6E 6F 70 65", 1), Bytes("01"));
  // 4: addint counter += 42 (new record)
  EXPECT_EQ(Exchange("C8 60 00 00 00 07 00 00 00 2A 63 6F 75 6E 74 65 72", 5),
            Bytes("00 00 00 00 2A"));
  // 4b: addint counter += -2
  EXPECT_EQ(Exchange("C8 60 00 00 00 07 FF FF FF FE 63 6F 75 6E 74 65 72", 5),
            Bytes("00 00 00 00 28"));
  // 5: mget [foo, nope, counter]
  EXPECT_EQ(Exchange("C8 31 00 00 00 03 00 00 00 03 66 6F 6F 00 00 00 04 6E 6F 70 65 00 00 00 "
                     "07 63 6F 75 6E 74 65 72",
                     38),
            Bytes("00 00 00 00 02 00 00 00 03 00 00 00 03 66 6F 6F 62 61 72 00 00 00 07 00 00 00 "
                  "04 63 6F 75 6E 74 65 72 28 00 00 00"));
  // 6: adddouble d += 3.75
  EXPECT_EQ(Exchange("C8 61 00 00 00 01 00 00 00 00 00 00 00 03 00 00 00 AE 9F 7B CC 00 64", 17),
            Bytes("00 00 00 00 00 00 00 00 03 00 00 00 AE 9F 7B CC 00"));
  // 7: adddouble d += -5.5 → -1.75
  EXPECT_EQ(Exchange("C8 61 00 00 00 01 FF FF FF FF FF FF FF FB FF FF FF 8B 95 AD 78 00 64", 17),
            Bytes("00 FF FF FF FF FF FF FF FF FF FF FF 51 60 84 34 00"));
  // The double is stored as the 8-byte host-order IEEE value (-1.75).
  EXPECT_EQ(Exchange("C8 30 00 00 00 01 64", 13), Bytes("00 00 00 00 08 00 00 00 00 00 00 FC BF"));
}

TEST_F(BinaryVectorsTest, PutIsLoggedAsTheCapturedRecord) {
  ASSERT_EQ(Exchange("C8 10 00 00 00 03 00 00 00 03 66 6F 6F 62 61 72", 1), Bytes("00"));
  std::ifstream file(dir_.Join("ulogE/00000001.ulog"), std::ios::binary);
  std::stringstream content;
  content << file.rdbuf();
  std::string record = content.str();
  ASSERT_EQ(record.size(), 34u);
  EXPECT_EQ(record.substr(0, 1), Bytes("C9"));
  // Bytes 1-8 are our timestamp; then sid 7, mid 0, body size 17, body.
  EXPECT_EQ(record.substr(9),
            Bytes("00 07 00 00 00 00 00 11 C8 10 00 00 00 03 00 00 00 03 66 6F 6F 62 61 72 00"));
}

TEST_F(BinaryVectorsTest, PutnrSendsNothingAndIsLoggedAsPut) {
  RawConnection conn(server_->port());
  // putnr k=v, then get k pipelined: only the get's reply comes back.
  ASSERT_TRUE(conn.Send(Bytes("C8 18 00 00 00 01 00 00 00 01 6B 76 C8 30 00 00 00 01 6B")));
  EXPECT_EQ(conn.Receive(6), Bytes("00 00 00 00 01 76"));
  EXPECT_EQ(conn.Receive(1, 300), "");
}

TEST_F(BinaryVectorsTest, UnknownCommandClosesWithoutReply) {
  RawConnection conn(server_->port());
  ASSERT_TRUE(conn.Send(Bytes("C8 FF")));
  std::string extra;
  EXPECT_TRUE(conn.ClosedByPeer(3000, &extra));
  EXPECT_EQ(extra, "");
}

TEST_F(BinaryVectorsTest, FailedMiscAnswersStatusAndEmptyCount) {
  // misc "nosuch" with no arguments.
  EXPECT_EQ(Exchange("C8 90 00 00 00 06 00 00 00 00 00 00 00 00 6E 6F 73 75 63 68", 5),
            Bytes("01 00 00 00 00"));
}

TEST_F(BinaryVectorsTest, RnumAnswersEightByteCount) {
  ASSERT_EQ(Exchange("C8 10 00 00 00 03 00 00 00 03 66 6F 6F 62 61 72", 1), Bytes("00"));
  EXPECT_EQ(Exchange("C8 80", 9), Bytes("00 00 00 00 00 00 00 00 01"));
}

TEST_F(BinaryVectorsTest, PipelinedGetsAnswerInOrder) {
  ASSERT_EQ(Exchange("C8 10 00 00 00 01 00 00 00 01 61 31", 1), Bytes("00"));
  RawConnection conn(server_->port());
  ASSERT_TRUE(conn.Send(Bytes("C8 30 00 00 00 01 61 C8 30 00 00 00 01 62 C8 30 00 00 00 01 61")));
  EXPECT_EQ(conn.Receive(13), Bytes("00 00 00 00 01 31 01 00 00 00 00 01 31"));
}

TEST_F(BinaryVectorsTest, RequestFedOneByteAtATimeIsAnswered) {
  RawConnection conn(server_->port());
  std::string request = Bytes("C8 10 00 00 00 03 00 00 00 03 66 6F 6F 62 61 72");
  for (char c : request) {
    ASSERT_TRUE(conn.Send(std::string(1, c)));
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  EXPECT_EQ(conn.Receive(1), Bytes("00"));
}

}  // namespace
}  // namespace tt::testing
