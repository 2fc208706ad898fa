#include "ttserver/daemon.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <fstream>
#include <thread>

#include "common/logging.h"
#include "partition/db_name.h"

namespace tt {

namespace {

bool Exists(const std::string& path) {
  struct stat st;
  return lstat(path.c_str(), &st) == 0;
}

// The PID in `path`, or 0 if the file is absent or does not hold one.
pid_t ReadPid(const std::string& path) {
  std::ifstream in(path);
  long pid = 0;
  if (!(in >> pid) || pid <= 0) return 0;
  return static_cast<pid_t>(pid);
}

bool Alive(pid_t pid) { return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM); }

}  // namespace

std::string AbsolutePath(const std::string& path) {
  if (path.empty() || path[0] == '/') return path;
  char cwd[4096];
  if (getcwd(cwd, sizeof cwd) == nullptr) return path;
  std::string dir = cwd;
  if (dir != "/") dir += '/';
  return dir + path;
}

void MakePathsAbsolute(ServerOptions* options) {
  // Kyoto Cabinet's own reading of the name decides what is a file.
  DbName name = ParseDbName(options->dbname);
  if (!IsInMemoryKind(name.kind)) options->dbname = AbsolutePath(name.path) + name.tuning;
  for (std::string* path :
       {&options->ulog_dir, &options->pid_path, &options->log_path, &options->rts_path}) {
    *path = AbsolutePath(*path);
  }
  if (options->port < 1) options->host = AbsolutePath(options->host);  // UNIX socket
}

Status StopProcessOfPidFile(const std::string& pid_path) {
  pid_t pid = ReadPid(pid_path);
  if (pid == 0 || pid == getpid() || !Alive(pid)) return Status::Ok();
  LogInfo("-kl: stopping process ", pid, " of ", pid_path);
  kill(pid, SIGTERM);
  for (int i = 0; i < 100; ++i) {
    if (!Exists(pid_path)) return Status::Ok();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  LogError("-kl: process ", pid, " did not stop within 10 s: killing it");
  kill(pid, SIGKILL);
  unlink(pid_path.c_str());
  return Status::Ok();
}

Status CheckPidFile(const std::string& pid_path) {
  if (!Exists(pid_path)) return Status::Ok();
  pid_t pid = ReadPid(pid_path);
  if (pid != getpid() && Alive(pid)) {
    return Status::InvalidArgument(pid_path + ": the process " + std::to_string(pid) +
                                   " may be already running (use -kl to stop it)");
  }
  std::string why = pid == 0          ? "it holds no PID"
                    : pid == getpid() ? "it names this process"
                                      : "process " + std::to_string(pid) + " is not running";
  LogInfo("removing the stale PID file ", pid_path, ": ", why);
  if (unlink(pid_path.c_str()) != 0 && errno != ENOENT) {
    return IoErrorFromErrno("cannot remove " + pid_path);
  }
  return Status::Ok();
}

Status WritePidFile(const std::string& pid_path) {
  int fd = open(pid_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return IoErrorFromErrno("cannot create the PID file " + pid_path);
  std::string text = std::to_string(getpid()) + "\n";
  bool ok = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ok = close(fd) == 0 && ok;
  if (!ok) {
    unlink(pid_path.c_str());
    return IoErrorFromErrno("cannot write the PID file " + pid_path);
  }
  return Status::Ok();
}

void RemovePidFile(const std::string& pid_path) {
  if (!pid_path.empty() && ReadPid(pid_path) == getpid()) unlink(pid_path.c_str());
}

Status Daemonize(int* ready_fd) {
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) return IoErrorFromErrno("pipe");
  fflush(stdout);
  fflush(stderr);
  pid_t child = fork();
  if (child < 0) return IoErrorFromErrno("fork");
  if (child > 0) {
    // The starting process: wait for the daemon's word, then leave.
    close(pipe_fds[1]);
    char byte = 0;
    ssize_t n;
    do {
      n = read(pipe_fds[0], &byte, 1);
    } while (n < 0 && errno == EINTR);
    waitpid(child, nullptr, 0);  // the intermediate child exits at once
    _exit(n == 1 ? 0 : 1);
  }
  close(pipe_fds[0]);
  if (setsid() < 0) _exit(1);
  pid_t grandchild = fork();
  if (grandchild < 0) _exit(1);
  if (grandchild > 0) _exit(0);  // the daemon is no session leader: it never gets a terminal
  if (chdir("/") != 0) return IoErrorFromErrno("chdir /");
  *ready_fd = pipe_fds[1];
  return Status::Ok();
}

void DaemonReady(int ready_fd) {
  int null_fd = open("/dev/null", O_RDWR);
  if (null_fd >= 0) {
    fflush(stdout);
    fflush(stderr);
    dup2(null_fd, STDIN_FILENO);
    dup2(null_fd, STDOUT_FILENO);
    dup2(null_fd, STDERR_FILENO);
    if (null_fd > STDERR_FILENO) close(null_fd);
  }
  char byte = 1;
  [[maybe_unused]] ssize_t n = write(ready_fd, &byte, 1);
  close(ready_fd);
}

}  // namespace tt
