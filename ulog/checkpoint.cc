#include "ulog/checkpoint.h"

#include <cerrno>
#include <charconv>
#include <fstream>
#include <sstream>

#include "common/atomic_file.h"

namespace tt {

std::string CheckpointPath(const std::string& dir) { return dir + "/ttserver.checkpoint"; }

Status WriteCheckpoint(const std::string& dir, uint64_t ts) {
  return ReplaceFileAtomically(CheckpointPath(dir), std::to_string(ts) + "\n");
}

Status ReadCheckpoint(const std::string& dir, uint64_t* ts) {
  *ts = 0;
  const std::string path = CheckpointPath(dir);
  std::ifstream in(path);
  if (!in) return errno == ENOENT ? Status::Ok() : IoErrorFromErrno("cannot read " + path);
  std::string text;
  std::getline(in, text);
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *ts);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return Status::Corruption(path + " does not hold a timestamp; remove it to re-apply the whole "
                              "update log at start-up");
  }
  return Status::Ok();
}

}  // namespace tt
