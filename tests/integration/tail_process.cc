#include "tests/integration/tail_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "tests/integration/server_process.h"

namespace tt::testing {

TailProcess::TailProcess(const std::vector<std::string>& args, const std::string& out_path)
    : TailProcess(args, open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644),
                  out_path + ".err") {}

TailProcess::TailProcess(const std::vector<std::string>& args, int out_fd,
                         const std::string& err_path) {
  std::vector<std::string> argv = {TttailPath()};
  argv.insert(argv.end(), args.begin(), args.end());
  pid_ = fork();
  if (pid_ == 0) {
    signal(SIGPIPE, SIG_DFL);
    const int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(out_fd, STDOUT_FILENO);
    dup2(err, STDERR_FILENO);
    std::vector<char*> raw;
    for (std::string& arg : argv) raw.push_back(arg.data());
    raw.push_back(nullptr);
    execv(raw[0], raw.data());
    _exit(127);
  }
  close(out_fd);
}

TailProcess::~TailProcess() {
  if (pid_ > 0) Signal(SIGKILL);
}

int TailProcess::Signal(int sig) {
  kill(pid_, sig);
  return Reap(0);
}

int TailProcess::Wait(double seconds) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < until) {
    const int status = Reap(WNOHANG);
    if (status >= 0) return status;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return Reap(WNOHANG);
}

int TailProcess::Reap(int options) {
  int status = 0;
  if (waitpid(pid_, &status, options) != pid_) return -1;
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace tt::testing
