#include "tests/support/small_filesystem.h"

#include <sys/stat.h>

#include "tests/support/process.h"

namespace tt::testing {

SmallFilesystem::SmallFilesystem(const std::string& dir, const std::string& size) : dir_(dir) {
  mkdir(dir.c_str(), 0755);
  mounted_ =
      RunProgram({"/bin/mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", dir}, nullptr) == 0;
}

SmallFilesystem::~SmallFilesystem() {
  if (mounted_) RunProgram({"/bin/umount", "-l", dir_}, nullptr);
}

bool SmallFilesystem::Resize(const std::string& size) {
  return RunProgram({"/bin/mount", "-o", "remount,size=" + size, dir_}, nullptr) == 0;
}

}  // namespace tt::testing
