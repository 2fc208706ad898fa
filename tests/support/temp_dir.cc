#include "tests/support/temp_dir.h"

#include <cstdlib>
#include <filesystem>
#include <system_error>

namespace tt::testing {

TempDir::TempDir() {
  char pattern[] = "/tmp/tt-test-XXXXXX";
  char* dir = mkdtemp(pattern);
  if (dir == nullptr) std::abort();
  path_ = dir;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

}  // namespace tt::testing
