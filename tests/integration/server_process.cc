#include "tests/integration/server_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "common/hex.h"
#include "ulog/export_line.h"

namespace tt::testing {

namespace {

std::vector<char*> Argv(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  return argv;
}

// True when the server accepts a connection. The probe then ends it and
// waits for the server to close its side, so that it no longer counts
// against the server's --max-conns when the test connects.
bool CanConnect(int port) {
  RawConnection conn(port);
  if (!conn.connected()) return false;
  conn.ShutdownWrite();
  conn.ClosedByPeer(2000);
  return true;
}

}  // namespace

ServerProcess::ServerProcess(const std::vector<std::string>& args, const std::string& db,
                             int port)
    : port_(port != 0 ? port : FreePort()) {
  std::vector<std::string> full = {TtserverPath(), "-host", "127.0.0.1", "-port",
                                   std::to_string(port_)};
  full.insert(full.end(), args.begin(), args.end());
  full.push_back(db);
  Start(full);
}

std::unique_ptr<ServerProcess> ServerProcess::StartProgram(const std::vector<std::string>& argv,
                                                           int port,
                                                           const std::string& output_path) {
  std::unique_ptr<ServerProcess> server(new ServerProcess(port));
  server->Start(argv, output_path);
  return server;
}

void ServerProcess::Start(const std::vector<std::string>& full, const std::string& output_path) {
  pid_ = fork();
  if (pid_ == 0) {
    if (!output_path.empty()) {
      const int out = open(output_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (out >= 0) {
        dup2(out, STDOUT_FILENO);
        dup2(out, STDERR_FILENO);
      }
    }
    auto argv = Argv(full);
    execv(argv[0], argv.data());
    _exit(127);
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    if (CanConnect(port_)) {
      started_ = true;
      return;
    }
    int status;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ADD_FAILURE() << full[0] << " did not start on port " << port_;
}

ServerProcess::~ServerProcess() { Kill(); }

int ServerProcess::Stop(int sig) {
  if (pid_ < 0) return -1;
  kill(pid_, sig);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void ServerProcess::Kill() {
  if (pid_ > 0) Stop(SIGKILL);
}

RawConnection::RawConnection(int port) {
  fd_ = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd_);
    fd_ = -1;
    return;
  }
  int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

RawConnection::~RawConnection() {
  if (fd_ >= 0) close(fd_);
}

void RawConnection::ShutdownWrite() {
  if (fd_ >= 0) shutdown(fd_, SHUT_WR);
}

bool RawConnection::Send(const std::string& bytes) {
  size_t sent = 0;
  while (sent < bytes.size()) {
    ssize_t n = send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += static_cast<size_t>(n);
  }
  return true;
}

std::string RawConnection::ReceiveWhileWanted(
    const std::function<size_t(const std::string&)>& wanted, int timeout_ms) {
  std::string out;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (size_t want = wanted(out); want > 0; want = wanted(out)) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now())
                    .count();
    if (left <= 0) break;
    pollfd pfd{fd_, POLLIN, 0};
    if (poll(&pfd, 1, static_cast<int>(left)) <= 0) break;
    char buf[65536];
    ssize_t got = recv(fd_, buf, std::min(sizeof buf, want), 0);
    if (got <= 0) break;
    out.append(buf, static_cast<size_t>(got));
  }
  return out;
}

std::string RawConnection::Receive(size_t n, int timeout_ms) {
  return ReceiveWhileWanted([n](const std::string& out) { return n - out.size(); }, timeout_ms);
}

std::string RawConnection::ReceiveUntil(std::string_view marker, int timeout_ms) {
  return ReceiveWhileWanted(
      [marker](const std::string& out) {
        return out.find(marker) == std::string::npos ? SIZE_MAX : size_t{0};
      },
      timeout_ms);
}

bool RawConnection::ClosedByPeer(int timeout_ms, std::string* extra) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now())
                    .count();
    if (left <= 0) return false;
    pollfd pfd{fd_, POLLIN, 0};
    if (poll(&pfd, 1, static_cast<int>(left)) <= 0) return false;
    char buf[4096];
    ssize_t got = recv(fd_, buf, sizeof buf, 0);
    if (got <= 0) return true;
    if (extra != nullptr) extra->append(buf, static_cast<size_t>(got));
  }
}

std::string Bytes(const std::string& hex) {
  auto decoded = HexDecode(hex);
  if (!decoded) {
    ADD_FAILURE() << "bad hex in test: " << hex;
    return "";
  }
  return *decoded;
}

std::string TtserverPath() { return TTSERVER_PATH; }
std::string TcrmgrPath() { return TCRMGR_PATH; }
std::string TtulmgrPath() { return TTULMGR_PATH; }
std::string TttailPath() { return TTTAIL_PATH; }

std::vector<UlogRecord> PutsWithRepeatedAndSteppedBackTimestamps(uint64_t t) {
  return {{.ts = t, .sid = 9, .body = PutBody("a", "1")},
          {.ts = t, .sid = 9, .body = PutBody("b", "2")},
          {.ts = t - 5000, .sid = 9, .body = PutBody("c", "3")},
          {.ts = t + 1, .sid = 9, .body = PutBody("d", "4")}};
}

void ImportLog(const std::string& dir, const std::vector<UlogRecord>& records) {
  ASSERT_EQ(mkdir(dir.c_str(), 0755), 0) << dir;
  std::string lines;
  for (const UlogRecord& record : records) lines += FormatExportLine(record);
  std::string out, err;
  ASSERT_EQ(RunProgram({TtulmgrPath(), "import", dir}, &out, &err, lines), 0) << err;
}

}  // namespace tt::testing
