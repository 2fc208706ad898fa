// Process-wide log in the original's line format:
//   "<W3C datetime>\t<LEVEL>\t<message>\n"   e.g. 2026-11-21T08:54:12Z	SYSTEM	service started: 9794
// Thread-safe. Written to stdout until Configure() names a file.
#pragma once

#include <sstream>
#include <string>
#include <string_view>

#include "common/status.h"

namespace tt {

enum class LogLevel { kDebug = 0, kInfo = 1, kError = 2, kSystem = 3 };

// Sends lines at `min_level` and above to `path` (appending), or to stdout
// when `path` is empty. Returns an IoError if the file cannot be opened.
Status ConfigureLog(const std::string& path, LogLevel min_level);
// Re-opens the log file (SIGHUP, after rotation by an external tool).
Status ReopenLog();
void LogLine(LogLevel level, std::string_view message);

template <typename... Args>
void Log(LogLevel level, const Args&... args) {
  std::ostringstream out;
  (out << ... << args);
  LogLine(level, out.str());
}
template <typename... Args> void LogDebug(const Args&... a) { Log(LogLevel::kDebug, a...); }
template <typename... Args> void LogInfo(const Args&... a) { Log(LogLevel::kInfo, a...); }
template <typename... Args> void LogError(const Args&... a) { Log(LogLevel::kError, a...); }
template <typename... Args> void LogSystem(const Args&... a) { Log(LogLevel::kSystem, a...); }

}  // namespace tt
