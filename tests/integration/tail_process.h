// Test support: a tttail running in the background, as tttail_test and the
// fault-injection harness (tests/chaos/) start it.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace tt::testing {

// A tttail (TttailPath()) running in the background, with SIGPIPE at its
// default (as a shell leaves it). Killed with SIGKILL on destruction if it
// still runs. Not copyable; one owner thread.
class TailProcess {
 public:
  // Its stdout into `out_path`, its stderr into `out_path`.err (both truncated).
  TailProcess(const std::vector<std::string>& args, const std::string& out_path);
  // Its stdout to `out_fd` (closed here), its stderr into `err_path`.
  TailProcess(const std::vector<std::string>& args, int out_fd, const std::string& err_path);
  ~TailProcess();
  TailProcess(const TailProcess&) = delete;
  TailProcess& operator=(const TailProcess&) = delete;

  // Sends `sig` and reaps the process; its exit status (128 + signal if killed).
  int Signal(int sig);
  // Waits up to `seconds` for the process to exit by itself; its exit status
  // as Signal gives it, or -1 when it still runs.
  int Wait(double seconds);

 private:
  // waitpid with `options`; -1 when it did not reap the process.
  int Reap(int options);

  pid_t pid_ = -1;
};

}  // namespace tt::testing
