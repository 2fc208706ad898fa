#include "client/socket.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

namespace tt {

namespace {
int64_t MonotonicNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string FormatSeconds(double s) {
  char buf[32];
  snprintf(buf, sizeof buf, "%g", s);
  return buf;
}
}  // namespace

Deadline Deadline::After(double seconds) {
  Deadline d;
  if (seconds > 0) {
    d.never_ = false;
    d.at_ns_ = MonotonicNs() + static_cast<int64_t>(seconds * 1e9);
  }
  return d;
}

int Deadline::PollTimeoutMs() const {
  if (never_) return -1;
  int64_t left = at_ns_ - MonotonicNs();
  if (left <= 0) return 0;
  // Round up so that a wait never ends just before the deadline.
  int64_t ms = (left + 999999) / 1000000;
  return ms > 0x7fffffff ? 0x7fffffff : static_cast<int>(ms);
}

bool Deadline::Expired() const { return !never_ && MonotonicNs() >= at_ns_; }

std::string HostPort(const std::string& host, int port) {
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

Status WaitFd(int fd, short events, const Deadline& deadline, std::string_view what) {
  for (;;) {
    pollfd p{fd, events, 0};
    int n = poll(&p, 1, deadline.PollTimeoutMs());
    if (n > 0) return Status::Ok();  // errors and hang-ups surface in the next read/write
    if (n == 0) return Status::Timeout(std::string(what) + " timed out");
    if (errno != EINTR) return Status::Network(std::string("poll failed: ") + strerror(errno));
  }
}

Status SendAll(int fd, std::string_view data, const Deadline& deadline, std::string_view what) {
  while (!data.empty()) {
    ssize_t n = send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n > 0) {
      data.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      Status w = WaitFd(fd, POLLOUT, deadline, what);
      if (!w.ok()) return w;
      continue;
    }
    return Status::Network(std::string(what) + " failed: " + strerror(errno));
  }
  return Status::Ok();
}

Status ReceiveSome(int fd, char* dst, size_t capacity, const Deadline& deadline,
                   std::string_view what, size_t* received) {
  *received = 0;
  for (;;) {
    ssize_t n = recv(fd, dst, capacity, 0);
    if (n >= 0) {
      *received = static_cast<size_t>(n);
      return Status::Ok();
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      return Status::Network(std::string(what) + " failed: " + strerror(errno));
    }
    Status w = WaitFd(fd, POLLIN, deadline, what);
    if (!w.ok()) return w;
  }
}

Status ConnectTcp(const std::string& host, int port, double timeout_s, int* fd,
                  std::string_view server) {
  *fd = -1;
  const std::string where = HostPort(host, port);
  if (port < 1 || port > 65535) {
    return Status::InvalidArgument("invalid port " + std::to_string(port) + " for " + host);
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* list = nullptr;
  const std::string service = std::to_string(port);
  int rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &list);
  if (rc != 0) {
    return Status::Network("cannot resolve host '" + host + "': " + gai_strerror(rc));
  }
  const Deadline deadline = Deadline::After(timeout_s);
  Status last = Status::Network("no address found for " + host);
  for (addrinfo* ai = list; ai != nullptr; ai = ai->ai_next) {
    int s = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (s < 0) {
      last = Status::Network(std::string("socket failed: ") + strerror(errno));
      continue;
    }
    int err = 0;
    if (connect(s, ai->ai_addr, ai->ai_addrlen) != 0) {
      err = errno;
      if (err == EINPROGRESS || err == EINTR) {
        Status w = WaitFd(s, POLLOUT, deadline, "connecting to " + where);
        if (!w.ok()) {
          close(s);
          last = Status::Timeout("connecting to " + where + " timed out after " +
                                 FormatSeconds(timeout_s) + " s");
          if (deadline.Expired()) break;
          continue;
        }
        socklen_t len = sizeof err;
        if (getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
      }
    }
    if (err == 0) {
      int one = 1;
      setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      freeaddrinfo(list);
      *fd = s;
      return Status::Ok();
    }
    close(s);
    if (err == ECONNREFUSED) {
      last = Status::Network("connection to " + where + " refused; is " + std::string(server) +
                             " running?");
    } else {
      last = Status::Network("cannot connect to " + where + ": " + strerror(err));
    }
  }
  freeaddrinfo(list);
  return last;
}

}  // namespace tt
