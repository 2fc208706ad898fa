#include "tests/support/process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

namespace tt::testing {

namespace {

void ReadAll(int fd, std::string* out) {
  char buf[65536];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) out->append(buf, static_cast<size_t>(n));
}

}  // namespace

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

int RunProgram(const std::vector<std::string>& argv, std::string* out, std::string* err,
               const std::string& stdin_data) {
  // Standard input comes from an unlinked file, not a pipe: a program that
  // writes much before reading cannot deadlock with us, nor one that exits early
  // raise SIGPIPE here.
  char in_template[] = "/tmp/tt-stdin-XXXXXX";
  int in_fd = mkostemp(in_template, O_CLOEXEC);
  if (in_fd < 0) std::abort();
  unlink(in_template);
  if (write(in_fd, stdin_data.data(), stdin_data.size()) !=
      static_cast<ssize_t>(stdin_data.size())) {
    std::abort();
  }
  lseek(in_fd, 0, SEEK_SET);
  // Close-on-exec, so that only the dup2'ed copies reach the program: a
  // daemon that kept the originals would hold our pipes open forever.
  int out_pipe[2], err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0) std::abort();
  pid_t pid = fork();
  if (pid == 0) {
    dup2(in_fd, 0);
    dup2(out_pipe[1], 1);
    dup2(err_pipe[1], 2);
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  close(in_fd);
  close(out_pipe[1]);
  close(err_pipe[1]);
  std::string err_text;
  std::thread err_reader([&] { ReadAll(err_pipe[0], &err_text); });
  std::string out_text;
  ReadAll(out_pipe[0], &out_text);
  err_reader.join();
  close(out_pipe[0]);
  close(err_pipe[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (out != nullptr) *out = std::move(out_text);
  if (err != nullptr) *err = std::move(err_text);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

namespace {

// True when every thread of process `pid` is in the stopped state ('T' in
// /proc/PID/task/TID/stat, after the parenthesised command name).
bool AllThreadsStopped(pid_t pid) {
  std::error_code error;
  const std::filesystem::path tasks = "/proc/" + std::to_string(pid) + "/task";
  for (const auto& task : std::filesystem::directory_iterator(tasks, error)) {
    std::ifstream stat(task.path() / "stat");
    std::string line;
    std::getline(stat, line);
    const size_t name_end = line.rfind(')');
    if (name_end == std::string::npos || name_end + 2 >= line.size()) return false;
    if (line[name_end + 2] != 'T') return false;
  }
  return !error;
}

}  // namespace

bool StopProcess(pid_t pid) {
  if (kill(pid, SIGSTOP) != 0) return false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!AllThreadsStopped(pid)) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

}  // namespace tt::testing
