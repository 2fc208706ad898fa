// Test support: a small filesystem of its own (tmpfs), to fill a disk.
#pragma once

#include <string>

namespace tt::testing {

// A tmpfs of `size` (mount's size=, e.g. "256k") mounted on `dir` (created
// if missing) while it lives, unmounted (lazily) on destruction. mounted()
// is false where this process may not mount (not root, a sandbox). Not
// copyable.
class SmallFilesystem {
 public:
  SmallFilesystem(const std::string& dir, const std::string& size);
  ~SmallFilesystem();
  SmallFilesystem(const SmallFilesystem&) = delete;
  SmallFilesystem& operator=(const SmallFilesystem&) = delete;

  bool mounted() const { return mounted_; }
  // Remounts with another size; false if that failed (e.g. below what is used).
  bool Resize(const std::string& size);

 private:
  std::string dir_;
  bool mounted_ = false;
};

}  // namespace tt::testing
