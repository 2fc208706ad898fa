#include "common/logging.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <mutex>

namespace tt {

namespace {

struct LogState {
  std::mutex mu;
  std::string path;
  FILE* file = nullptr;  // nullptr = stdout
  LogLevel min_level = LogLevel::kInfo;
};

LogState& State() {
  static LogState state;
  return state;
}

const char* LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug: return "DEBUG";
    case LogLevel::kInfo: return "INFO";
    case LogLevel::kError: return "ERROR";
    case LogLevel::kSystem: return "SYSTEM";
  }
  return "INFO";
}

// REQUIRES: state.mu held.
Status OpenLocked(LogState& state) {
  if (state.file != nullptr) fclose(state.file);
  state.file = nullptr;
  if (state.path.empty()) return Status::Ok();
  state.file = fopen(state.path.c_str(), "a");
  if (state.file == nullptr) {
    return Status::IoError("cannot open log file " + state.path + ": " + strerror(errno));
  }
  return Status::Ok();
}

}  // namespace

Status ConfigureLog(const std::string& path, LogLevel min_level) {
  LogState& state = State();
  std::lock_guard lock(state.mu);
  state.path = path;
  state.min_level = min_level;
  return OpenLocked(state);
}

Status ReopenLog() {
  LogState& state = State();
  std::lock_guard lock(state.mu);
  return OpenLocked(state);
}

void LogLine(LogLevel level, std::string_view message) {
  LogState& state = State();
  if (level < state.min_level) return;
  time_t now = time(nullptr);
  struct tm tm;
  gmtime_r(&now, &tm);
  char stamp[32];
  strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
  std::string line;
  line.reserve(message.size() + 40);
  line.append(stamp).append("\t").append(LevelName(level)).append("\t").append(message).append("\n");
  std::lock_guard lock(state.mu);
  FILE* out = state.file != nullptr ? state.file : stdout;
  fwrite(line.data(), 1, line.size(), out);
  fflush(out);
}

}  // namespace tt
