// The fixture of the RESP integration tests (resp_*_test.cc): the server
// under test (ttserver, or redis-server with TT_TEST_REFERENCE=redis) and
// the ways the tests talk to it.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "tests/integration/protocol_support.h"

namespace tt::testing {

// A fresh server per test, in its own directory.
class RespTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (AgainstReferenceMemcached()) GTEST_SKIP() << "not a memcached-protocol test";
    server_ = StartRespServer(dir_);
    ASSERT_TRUE(server_->started());
  }

  // redis-cli's output for one command (its exit status must be 0).
  std::string Cli(const std::vector<std::string>& args, const std::string& input = "") {
    std::string out, err;
    EXPECT_EQ(RedisCli(server_->port(), args, &out, &err, input), 0) << err;
    return out;
  }

  // Sends `request` and expects exactly `reply` back.
  void Exchange(RawConnection& conn, const std::string& request, const std::string& reply) {
    ASSERT_TRUE(conn.Send(request));
    EXPECT_EQ(conn.Receive(reply.size()), reply) << "request: " << request;
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
};

}  // namespace tt::testing
