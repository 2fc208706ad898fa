// TCP plumbing shared by RemoteDB, tcrmgr http and ttbench: connecting with a
// deadline and human-readable errors, waiting on a descriptor until a
// deadline, and the send / receive loops over a socket.
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

// Sends all of `data` on socket `fd`, waiting for it to become writable
// (non-blocking socket, or SO_SNDTIMEO expired) until `deadline`; never raises
// SIGPIPE. Errors: Timeout
// ("<what> timed out"), Network ("<what> failed: <strerror>").
Status SendAll(int fd, std::string_view data, const Deadline& deadline, std::string_view what);

// Receives at least one and at most `capacity` bytes from socket `fd` into
// `dst`; *received = 0 means the peer closed the stream. When no data is
// there (non-blocking socket, or SO_RCVTIMEO expired) waits until `deadline`.
// Errors: Timeout ("<what> timed out"), Network ("<what> failed: <strerror>").
Status ReceiveSome(int fd, char* dst, size_t capacity, const Deadline& deadline,
                   std::string_view what, size_t* received);

// "host:port", with brackets around an IPv6 literal, for messages.
std::string HostPort(const std::string& host, int port);

}  // namespace tt
