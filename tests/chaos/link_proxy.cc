#include "tests/chaos/link_proxy.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <vector>

namespace tt::chaos {

namespace {

constexpr size_t kBufferCap = 256 * 1024;  // per direction: stop reading beyond it
constexpr int kTickMs = 10;                // poll timeout; the slow mode's budget period

sockaddr_in Loopback(int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  return addr;
}

void SetNonBlocking(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

void CloseFd(int fd, bool abort) {
  if (fd < 0) return;
  if (abort) {
    linger l{1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  }
  close(fd);
}

// Connects to the target on loopback (immediate: it listens or refuses).
int ConnectTo(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr = Loopback(port);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return -1;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

}  // namespace

// One direction of a proxied connection: bytes read from `from` wait in
// `buffer` until written to `to`.
struct Direction {
  int from = -1;
  int to = -1;
  std::string buffer;
  bool eof = false;     // `from` closed its side; `to` is shut down once drained
  bool shut = false;    // `to` was shut down for writing
  uint64_t budget = 0;  // slow mode: bytes it may still forward this tick
};

struct LinkProxy::Pipe {
  int client = -1;
  int server = -1;
  Direction up;    // client -> server
  Direction down;  // server -> client
  bool broken = false;

  Pipe(int c, int s) : client(c), server(s) {
    up.from = c;
    up.to = s;
    down.from = s;
    down.to = c;
  }
  bool done() const { return broken || (up.shut && down.shut); }
};

LinkProxy::LinkProxy(int target_port) : target_port_(target_port) {
  listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr = Loopback(0);
  if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      listen(listen_fd_, 64) != 0 || pipe2(wake_fds_, O_CLOEXEC | O_NONBLOCK) != 0) {
    std::abort();
  }
  socklen_t len = sizeof addr;
  getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  SetNonBlocking(listen_fd_);
  thread_ = std::thread([this] { Run(); });
}

LinkProxy::~LinkProxy() {
  stopping_ = true;
  Wake();
  thread_.join();
  close(listen_fd_);
  close(wake_fds_[0]);
  close(wake_fds_[1]);
}

void LinkProxy::Wake() {
  char byte = 1;
  [[maybe_unused]] ssize_t n = write(wake_fds_[1], &byte, 1);
}

void LinkProxy::Change(const std::function<void()>& change) {
  {
    std::lock_guard lock(mu_);
    change();
  }
  Wake();
}

void LinkProxy::Cut() {
  Change([this] {
    mode_ = Mode::kCut;
    close_all_ = true;
    abort_all_ = false;
  });
}

void LinkProxy::Reset() {
  Change([this] {
    close_all_ = true;
    abort_all_ = true;
  });
}

void LinkProxy::Stall() {
  Change([this] { mode_ = Mode::kStall; });
}

void LinkProxy::Slow(uint64_t bytes_per_second) {
  Change([this, bytes_per_second] {
    mode_ = Mode::kSlow;
    rate_ = bytes_per_second;
  });
}

void LinkProxy::Heal() {
  Change([this] { mode_ = Mode::kForward; });
}

void LinkProxy::Run() {
  std::vector<std::unique_ptr<Pipe>> pipes;
  auto next_tick = std::chrono::steady_clock::now();
  while (!stopping_) {
    Mode mode;
    uint64_t rate;
    bool close_all, abort_all;
    {
      std::lock_guard lock(mu_);
      mode = mode_;
      rate = rate_;
      close_all = close_all_;
      abort_all = abort_all_;
      close_all_ = false;
    }
    if (close_all) {
      for (auto& p : pipes) {
        CloseFd(p->client, abort_all);
        CloseFd(p->server, abort_all);
      }
      pipes.clear();
    }
    const auto now = std::chrono::steady_clock::now();
    if (now >= next_tick) {
      next_tick = now + std::chrono::milliseconds(kTickMs);
      for (auto& p : pipes) {
        p->up.budget = p->down.budget =
            mode == Mode::kSlow ? rate * kTickMs / 1000 + 1 : UINT64_MAX;
      }
    }
    const bool moving = mode == Mode::kForward || mode == Mode::kSlow;
    std::vector<pollfd> fds = {{listen_fd_, POLLIN, 0}, {wake_fds_[0], POLLIN, 0}};
    // Two entries per pipe: its client socket, then its server socket.
    for (auto& p : pipes) {
      short client_events = 0, server_events = 0;
      if (moving) {
        const size_t cap = mode == Mode::kSlow ? 4096 : kBufferCap;
        if (!p->up.eof && p->up.buffer.size() < cap) client_events |= POLLIN;
        if (!p->down.eof && p->down.buffer.size() < cap) server_events |= POLLIN;
        if (!p->up.buffer.empty() && p->up.budget > 0) server_events |= POLLOUT;
        if (!p->down.buffer.empty() && p->down.budget > 0) client_events |= POLLOUT;
      }
      fds.push_back({p->client, client_events, 0});
      fds.push_back({p->server, server_events, 0});
    }
    if (poll(fds.data(), fds.size(), kTickMs) < 0) continue;
    if (fds[1].revents & POLLIN) {
      char drain[64];
      while (read(wake_fds_[0], drain, sizeof drain) > 0) {
      }
    }
    for (size_t i = 0; i < pipes.size(); ++i) {
      Pipe& p = *pipes[i];
      const pollfd& c = fds[2 + 2 * i];
      const pollfd& s = fds[2 + 2 * i + 1];
      auto pump = [&p](Direction& d, short read_events, short write_events) {
        if (p.broken) return;
        if (read_events & (POLLIN | POLLHUP | POLLERR)) {
          char buf[65536];
          const size_t room =
              std::min(sizeof buf, kBufferCap - std::min(kBufferCap, d.buffer.size()));
          ssize_t n = recv(d.from, buf, std::max<size_t>(room, 1), 0);
          if (n > 0) {
            d.buffer.append(buf, static_cast<size_t>(n));
          } else if (n == 0) {
            d.eof = true;
          } else if (errno != EAGAIN && errno != EINTR) {
            p.broken = true;
            return;
          }
        }
        if ((write_events & POLLOUT) && !d.buffer.empty()) {
          const size_t want = static_cast<size_t>(std::min<uint64_t>(d.buffer.size(), d.budget));
          ssize_t n = send(d.to, d.buffer.data(), want, MSG_NOSIGNAL);
          if (n > 0) {
            d.buffer.erase(0, static_cast<size_t>(n));
            if (d.budget != UINT64_MAX) d.budget -= static_cast<uint64_t>(n);
          } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
            p.broken = true;
            return;
          }
        }
        if (d.eof && d.buffer.empty() && !d.shut) {
          shutdown(d.to, SHUT_WR);
          d.shut = true;
        }
      };
      pump(p.up, c.revents & c.events ? c.revents : 0, s.revents);
      pump(p.down, s.revents & s.events ? s.revents : 0, c.revents);
    }
    pipes.erase(std::remove_if(pipes.begin(), pipes.end(),
                               [](const std::unique_ptr<Pipe>& p) {
                                 if (!p->done()) return false;
                                 CloseFd(p->client, false);
                                 CloseFd(p->server, false);
                                 return true;
                               }),
                pipes.end());
    if (fds[0].revents & POLLIN) {
      for (;;) {
        int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) break;
        ++accepted_;
        int server = mode == Mode::kCut ? -1 : ConnectTo(target_port_.load());
        if (server < 0) {
          close(fd);
          continue;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        SetNonBlocking(fd);
        SetNonBlocking(server);
        pipes.push_back(std::make_unique<Pipe>(fd, server));
        pipes.back()->up.budget = pipes.back()->down.budget = UINT64_MAX;
      }
    }
  }
  for (auto& p : pipes) {
    CloseFd(p->client, false);
    CloseFd(p->server, false);
  }
}

}  // namespace tt::chaos
