#include "tests/client/test_support.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <optional>

#include "common/hex.h"

namespace tt::testing {

std::string Bytes(std::string_view hex) {
  std::optional<std::string> b = HexDecode(hex);
  if (!b) {
    fprintf(stderr, "bad hex in test: %.*s\n", static_cast<int>(hex.size()), hex.data());
    abort();
  }
  return *b;
}

std::string ReadExactly(int fd, size_t n) {
  std::string out;
  while (out.size() < n) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 5000) <= 0) break;
    char buf[4096];
    ssize_t r = read(fd, buf, std::min(sizeof buf, n - out.size()));
    if (r <= 0) break;
    out.append(buf, static_cast<size_t>(r));
  }
  return out;
}

void WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0) return;
    data.remove_prefix(static_cast<size_t>(n));
  }
}

namespace {
int ListenLoopback(int* port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  listen(fd, 16);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  *port = ntohs(addr.sin_port);
  return fd;
}
}  // namespace

FakeServer::FakeServer(int connections, Handler handler) {
  listen_fd_ = ListenLoopback(&port_);
  thread_ = std::thread([this, connections, handler = std::move(handler)] {
    for (int i = 0; i < connections; ++i) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (poll(&p, 1, 10000) <= 0) return;
      int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) return;
      ++accepted_;
      handler(i, fd);
      close(fd);
    }
  });
}

FakeServer::~FakeServer() {
  if (thread_.joinable()) thread_.join();
  close(listen_fd_);
}

}  // namespace tt::testing
