// main() of every test program (tt_add_test links it instead of gtest_main).
//
// In a sanitized build (TT_SANITIZE) the programs a test starts — ttserver,
// tcrmgr, ttulmgr, ttbench, tttail, and the daemons they fork — write their
// sanitizer reports into a directory of this test process (log_path, through
// the *SAN_OPTIONS variables they inherit) rather than to a stderr that the
// test may never read. A runtime writes its report when the error happens, so
// the report of a server that the test later kills with SIGKILL or SIGTERM is
// on disk all the same. After the tests ran, every report found there is
// printed and the program fails. The test process's own reports go to its
// stderr and fail it through the runtime's exit code.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <system_error>

#include "tests/support/temp_dir.h"

namespace {

// Appends log_path=<dir>/report to the options of every sanitizer runtime,
// for the processes started from now on.
void SendChildReportsTo(const std::string& dir) {
  for (const char* var : {"ASAN_OPTIONS", "UBSAN_OPTIONS", "TSAN_OPTIONS"}) {
    const char* old = std::getenv(var);
    std::string value = old != nullptr && *old != '\0' ? std::string(old) + ":" : "";
    value += "log_path=" + dir + "/report";
    setenv(var, value.c_str(), 1);
  }
}

// Prints every report in `dir` to stderr; returns how many there were.
int PrintChildReports(const std::string& dir) {
  int reports = 0;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    std::ifstream in(entry.path());
    std::stringstream text;
    text << in.rdbuf();
    std::cerr << "test_main: sanitizer report of a child process (" << entry.path().filename()
              << ", the number is its pid):\n"
              << text.str() << "\n";
    ++reports;
  }
  return reports;
}

}  // namespace

int main(int argc, char** argv) {
  testing::InitGoogleMock(&argc, argv);
#ifdef TT_SANITIZE
  tt::testing::TempDir reports;
  SendChildReportsTo(reports.path());
#endif
  int rc = RUN_ALL_TESTS();
#ifdef TT_SANITIZE
  if (PrintChildReports(reports.path()) > 0) {
    std::cerr << "test_main: FAILED: a program started by the tests reported an error\n";
    rc = 1;
  }
#endif
  return rc;
}
