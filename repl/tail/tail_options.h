// tttail's command line (man/tttail.1): what to read, from where, and where
// to deliver it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "repl/tail/tail_format.h"

namespace tt {

// The server id tttail announces by default: the highest the update log can
// hold, so it does not collide with the sid of a real server (a master drops
// the records whose sid or mid equals the tail's).
constexpr int64_t kDefaultTailSid = 65535;

struct TailOptions {
  std::string host;
  int port = 1978;
  int64_t sid = kDefaultTailSid;
  std::optional<std::string> checkpoint;  // stdout only: rts-format position file
  std::optional<uint64_t> start_ts;       // when there is no checkpoint yet
  TailFormat format = TailFormat::kJson;
  TailEncoding encoding = TailEncoding::kText;
  bool stop_at_end = false;  // else follow
  std::optional<std::string> sqlite_path;
  std::optional<std::string> postgres_conninfo;
  std::string source;            // checkpoint row name in a sink; default host:port
  std::optional<bool> progress;  // nullopt: when stderr is a terminal
  // --tls: reach the master's --tls-port over TLS, verifying its certificate
  // against tls_ca (empty: the system's CAs), presenting tls_cert/tls_key
  // when given.
  bool tls = false;
  std::string tls_ca, tls_cert, tls_key;
};

enum class TailCommand { kRun, kHelp, kVersion };

// The usage text of --help.
const char* TailUsage();

// Parses argv (args[0] = program name). On success fills *options and
// *command; otherwise returns false with *error saying what is wrong and
// what to do instead.
bool ParseTailOptions(const std::vector<std::string>& args, TailOptions* options,
                      TailCommand* command, std::string* error);

}  // namespace tt
