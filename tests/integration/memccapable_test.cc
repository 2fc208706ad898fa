// Debian's memccapable (libmemcached-tools) against the server: every ascii
// and every binary conformance test must pass. memccapable flushes the
// server, so it gets one of its own.
#include <gtest/gtest.h>

#include <sstream>

#include "tests/integration/protocol_support.h"

namespace tt::testing {
namespace {

TEST(MemccapableTest, PassesEveryAsciiAndBinaryTest) {
  TempDir dir;
  auto server = StartMemcachedProtocolServer(dir);
  ASSERT_TRUE(server->started());
  std::string out, err;
  int status =
      RunProgram({"/usr/bin/memccapable", "-h", "127.0.0.1", "-p", std::to_string(server->port())},
                 &out, &err);
  EXPECT_EQ(status, 0) << out << err;
  EXPECT_NE(out.find("All tests passed"), std::string::npos) << out << err;
  // Every line is "<protocol> <test> [result]"; count the passes per protocol
  // so that a test memccapable skipped or aborted on is noticed too.
  int ascii_passed = 0, binary_passed = 0;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    if (!line.starts_with("ascii ") && !line.starts_with("binary ")) continue;
    if (!line.ends_with("[pass]")) {
      ADD_FAILURE() << "memccapable: " << line;
      continue;
    }
    ++(line.starts_with("ascii ") ? ascii_passed : binary_passed);
  }
  // The numbers of tests of libmemcached-tools 1.1.4 (Debian 12).
  EXPECT_EQ(ascii_passed, 27) << out;
  EXPECT_EQ(binary_passed, 27) << out;
  EXPECT_TRUE(StillRunning(*server));
}

}  // namespace
}  // namespace tt::testing
