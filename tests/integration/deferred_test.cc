// Slow requests run off the event loop (design.md "Rules that keep this
// shape"): with one worker thread, a copy that takes a second does not hold
// up a get on another connection, and its own reply still arrives.
#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/coding.h"
#include "tests/integration/server_process.h"

namespace tt::testing {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

// copy "@cmd" runs `cmd <µs timestamp>` through the shell: here the timestamp
// becomes $1 of a shell that only sleeps, so the copy takes about a second.
const char kSlowCopyPath[] = "@/bin/sh -c 'sleep 1' x";

std::string CopyRequest(const std::string& path) {
  std::string request = Bytes("C8 73");
  PutU32(&request, static_cast<uint32_t>(path.size()));
  return request + path;
}

std::string GetRequest(const std::string& key) {
  std::string request = Bytes("C8 30");
  PutU32(&request, static_cast<uint32_t>(key.size()));
  return request + key;
}

class DeferredTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<ServerProcess>(
        std::vector<std::string>{"-log", dir_.Join("log"), "-thnum", "1"}, "*");
    ASSERT_TRUE(server_->started());
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(DeferredTest, SlowCopyDoesNotBlockAnotherConnectionOnTheSameWorker) {
  RawConnection copier(server_->port()), reader(server_->port());
  ASSERT_TRUE(copier.connected() && reader.connected());
  auto start = Clock::now();
  ASSERT_TRUE(copier.Send(CopyRequest(kSlowCopyPath)));
  std::this_thread::sleep_for(milliseconds(100));  // the copy is running now

  auto get_start = Clock::now();
  ASSERT_TRUE(reader.Send(GetRequest("missing")));
  EXPECT_EQ(reader.Receive(1, 3000), Bytes("01"));  // not found, but answered
  // A generous bound for a loaded machine; blocking would take ~900 ms.
  EXPECT_LT(Clock::now() - get_start, milliseconds(500));
  EXPECT_EQ(copier.Receive(1, 0), "");  // the copy is still running

  EXPECT_EQ(copier.Receive(1, 5000), Bytes("00"));
  EXPECT_GE(Clock::now() - start, milliseconds(900));
  // The copying connection goes on as usual.
  ASSERT_TRUE(copier.Send(GetRequest("missing")));
  EXPECT_EQ(copier.Receive(1), Bytes("01"));
}

TEST_F(DeferredTest, ShutdownDuringASlowCopyAnswersItFirst) {
  RawConnection copier(server_->port());
  ASSERT_TRUE(copier.Send(CopyRequest(kSlowCopyPath)));
  std::this_thread::sleep_for(milliseconds(200));
  std::thread stopper([&] { EXPECT_EQ(server_->Stop(SIGTERM), 0); });
  EXPECT_EQ(copier.Receive(1, 5000), Bytes("00"));
  EXPECT_TRUE(copier.ClosedByPeer());
  stopper.join();
}

TEST_F(DeferredTest, ConnectionClosesAfterTheReplyOfASlowRequestThatEndsIt) {
  // HTTP/1.0 without keep-alive: the response to a deferred misc (sync) is
  // the connection's last; the server must close it, not wait for the peer.
  RawConnection http(server_->port());
  ASSERT_TRUE(http.connected());
  ASSERT_TRUE(http.Send("POST / HTTP/1.0\r\nX-TT-MNAME: sync\r\nContent-Length: 0\r\n\r\n"));
  std::string reply;
  EXPECT_TRUE(http.ClosedByPeer(3000, &reply)) << "connection still open after: " << reply;
  EXPECT_EQ(reply.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << reply;
}

}  // namespace
}  // namespace tt::testing
