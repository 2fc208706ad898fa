// Test support: a scratch directory that cleans up after itself.
#pragma once

#include <string>

namespace tt::testing {

// A fresh directory under /tmp, removed with everything in it on destruction.
// Aborts the test binary if it cannot be created. Not copyable.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // path() + "/" + name.
  std::string Join(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace tt::testing
