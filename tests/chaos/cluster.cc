#include "tests/chaos/cluster.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <system_error>

#include "tests/integration/protocol_support.h"
#include "tests/integration/repl_support.h"

namespace tt::chaos {

namespace {

// A free loopback port below the kernel's ephemeral range (32768 on), so
// that while its server is down no outgoing connection, no bind(0) of
// another process on this host, and no connect to it from an ephemeral port
// of the same number (TCP's self-connect) can answer in its place.
int FixedPort() {
  static std::mt19937 random(std::random_device{}());
  for (;;) {
    const int port = 20000 + static_cast<int>(random() % 12000);
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    const bool free = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    close(fd);
    if (free) return port;
  }
}

}  // namespace

Node::Node(std::string name, int sid, std::string dir, std::string db_file,
           std::vector<std::string> options)
    : name_(std::move(name)),
      sid_(sid),
      dir_(std::move(dir)),
      db_file_(std::move(db_file)),
      options_(std::move(options)),
      port_(FixedPort()) {}

Node::~Node() { Kill(); }

StartFailure Node::Start(std::string* detail) {
  std::error_code ignored;
  std::filesystem::create_directories(ulog_dir(), ignored);
  std::vector<std::string> argv = {testing::TtserverPath(),
                                   "-host",
                                   "127.0.0.1",
                                   "-port",
                                   std::to_string(port_),
                                   "-sid",
                                   std::to_string(sid_),
                                   "-ulog",
                                   ulog_dir(),
                                   "-log",
                                   log_path()};
  if (master_port_ != 0) {
    for (const std::string& arg :
         {std::string("-mhost"), std::string("127.0.0.1"), std::string("-mport"),
          std::to_string(master_port_), std::string("-rts"), rts_path()}) {
      argv.push_back(arg);
    }
  }
  argv.insert(argv.end(), options_.begin(), options_.end());
  argv.push_back(db_path());
  process_ = testing::ServerProcess::StartProgram(argv, port_, output_path());
  // It answers on its port as itself, not another process that took it.
  std::string pid;
  if (process_->started() && testing::Eventually(10, [&] {
        pid = testing::StatField(port_, "pid");
        return pid == std::to_string(process_->pid());
      })) {
    return StartFailure::kNone;
  }
  if (process_->started()) {
    *detail = "port " + std::to_string(port_) + " answers stat with pid \"" + pid + "\", not " +
              std::to_string(process_->pid());
    process_.reset();
    return StartFailure::kFailed;
  }
  process_.reset();  // kills it if it still runs
  *detail = LastLines(output_path(), 2) + " | log: " + LastLines(log_path(), 1);
  return StartFailure::kFailed;
}

int Node::Terminate() {
  if (process_ == nullptr) return -1;
  const int status = process_->Stop(SIGTERM);
  process_.reset();
  return status;
}

void Node::Kill() {
  if (process_ != nullptr) process_->Kill();
  process_.reset();
}

bool Node::Running() const { return process_ != nullptr && testing::StillRunning(*process_); }

int Node::Reap() {
  if (process_ == nullptr) return -1;
  const int status = process_->Stop(0);  // signal 0: only waits
  process_.reset();
  return status;
}

TailNode::TailNode(std::string dir, int master_port)
    : dir_(std::move(dir)), master_port_(master_port) {}

std::string TailNode::error_path() const {
  return dir_ + "/tail-" + std::to_string(starts_) + ".out.err";
}

void TailNode::Start() {
  ++starts_;
  std::error_code ignored;
  std::filesystem::create_directories(dir_, ignored);
  exit_status_ = -1;
  process_ = std::make_unique<testing::TailProcess>(
      std::vector<std::string>{"--sqlite", sqlite_path(), "--sid", "100", "--source", "chaos",
                               "--no-progress", "--port", std::to_string(master_port_),
                               "127.0.0.1"},
      dir_ + "/tail-" + std::to_string(starts_) + ".out");
}

int TailNode::Signal(int sig) {
  if (process_ == nullptr || !Running()) return -1;
  const int status = process_->Signal(sig);
  process_.reset();
  return status;
}

bool TailNode::Running() {
  if (process_ == nullptr) return false;
  const int status = process_->Wait(0);
  if (status < 0) return true;
  exit_status_ = status;
  process_.reset();
  return false;
}

std::string FileTail(const std::string& path, size_t n) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  const std::string all = text.str();
  return all.size() > n ? all.substr(all.size() - n) : all;
}

void EmptyDirectory(const std::string& dir, const std::vector<std::string>& keep) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (std::find(keep.begin(), keep.end(), name) == keep.end()) {
      std::filesystem::remove_all(entry.path(), ec);
    }
  }
}

std::string LastLines(const std::string& path, int n) {
  std::string text = FileTail(path, 16384);
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line.substr(0, 300));
  std::string joined;
  for (size_t i = lines.size() > static_cast<size_t>(n) ? lines.size() - n : 0; i < lines.size();
       ++i) {
    joined += (joined.empty() ? "" : " | ") + lines[i];
  }
  return joined;
}

std::string ExitText(int status) {
  if (status < 128) return "status " + std::to_string(status);
  return "signal " + std::to_string(status - 128) + " (" + strsignal(status - 128) + ")";
}

bool CopyContents(const std::string& from, const std::string& to,
                  const std::vector<std::string>& keep) {
  std::error_code ec;
  std::filesystem::create_directories(to, ec);
  EmptyDirectory(to, keep);
  for (const auto& entry : std::filesystem::directory_iterator(from, ec)) {
    const std::string name = entry.path().filename().string();
    if (std::find(keep.begin(), keep.end(), name) != keep.end()) continue;
    std::filesystem::copy(entry.path(), to + "/" + name, std::filesystem::copy_options::recursive,
                          ec);
    if (ec) return false;
  }
  return !ec;
}

}  // namespace tt::chaos
