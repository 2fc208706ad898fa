// TCP plumbing shared by RemoteDB, tcrmgr http and ttbench: connecting with a
// deadline and human-readable errors, and waiting on a descriptor until a deadline.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace tt {

// A point in time on the monotonic clock, or "never" (no deadline).
class Deadline {
 public:
  // A deadline `seconds` from now; seconds <= 0 means never.
  static Deadline After(double seconds);
  static Deadline Never() { return Deadline(); }
  bool never() const { return never_; }
  // Milliseconds left for poll(): -1 when never, 0 when expired.
  int PollTimeoutMs() const;
  bool Expired() const;

 private:
  bool never_ = true;
  int64_t at_ns_ = 0;
};

// Connects to host:port (IPv4 or IPv6, every resolved address in turn) within
// `timeout_s` seconds (<= 0: the OS's own connect timeout). On success *fd is a
// non-blocking, close-on-exec socket with TCP_NODELAY set, owned by the caller.
// Errors: Network (unresolvable host, refused: "connection to H:P refused; is
// <server> running?", unreachable), Timeout.
Status ConnectTcp(const std::string& host, int port, double timeout_s, int* fd,
                  std::string_view server = "ttserver");

// Waits until `fd` is ready for `events` (POLLIN / POLLOUT) or the deadline
// passes (Timeout, message mentions `what`). Retries on EINTR.
Status WaitFd(int fd, short events, const Deadline& deadline, std::string_view what);

// "host:port", with brackets around an IPv6 literal, for messages.
std::string HostPort(const std::string& host, int port);

}  // namespace tt
