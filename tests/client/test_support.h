// Test support for client/: hex literals and a scripted fake peer on 127.0.0.1
// (replays bytes the spec captured from the original server, so the client's
// reply handling is tested without a real server). FreePort and RunProgram
// come from tests/support/process.h.
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <string_view>
#include <thread>

#include "tests/support/process.h"

namespace tt::testing {

// Bytes from spaced hex ("C8 10 00"); aborts the test binary on bad hex.
std::string Bytes(std::string_view hex);

// Reads exactly `n` bytes from `fd` within 5 s; shorter on EOF/timeout.
std::string ReadExactly(int fd, size_t n);
// Writes all of `data` to `fd`.
void WriteAll(int fd, std::string_view data);

// A listening socket on 127.0.0.1 and a thread that accepts up to
// `connections` connections in turn and calls handler(index, fd) for each
// (the fd is closed after the handler returns). Joined on destruction.
class FakeServer {
 public:
  using Handler = std::function<void(int index, int fd)>;
  FakeServer(int connections, Handler handler);
  ~FakeServer();
  int port() const { return port_; }
  // Number of connections accepted so far.
  int accepted() const { return accepted_; }

 private:
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<int> accepted_{0};
  std::thread thread_;
};

}  // namespace tt::testing
