// A TCP proxy the fault-injection harness puts on a replication link
// (slave -> proxy -> master), so that the link can be cut, reset, stalled or
// slowed without touching either process.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace tt::chaos {

// Forwards every connection accepted on 127.0.0.1:port() to
// 127.0.0.1:target_port, byte for byte, both ways, on one thread of its own
// (poll over every socket). The faults below change how it forwards; each
// takes effect within a few milliseconds. Thread-safe.
class LinkProxy {
 public:
  // Listens on a free loopback port; forwarding starts at once.
  explicit LinkProxy(int target_port);
  // Closes every connection and joins the thread.
  ~LinkProxy();
  LinkProxy(const LinkProxy&) = delete;
  LinkProxy& operator=(const LinkProxy&) = delete;

  int port() const { return port_; }
  // Where new connections go from now on (existing ones stay where they are).
  void SetTarget(int target_port) { target_port_.store(target_port); }

  // Cut: closes every connection now (an orderly close on both sides) and,
  // until Heal(), closes each new connection as soon as it is accepted.
  void Cut();
  // Reset: aborts every connection now with a TCP reset on both sides; new
  // connections are forwarded as before.
  void Reset();
  // Stall: until Heal(), nothing is forwarded either way (connections stay
  // open, bytes wait in the buffers, new connections are accepted and wait).
  void Stall();
  // Slow: until Heal(), at most `bytes_per_second` are forwarded each way per
  // connection, in small pieces.
  void Slow(uint64_t bytes_per_second);
  // Back to plain forwarding.
  void Heal();

  // Connections accepted so far (for the run's log).
  uint64_t accepted() const { return accepted_.load(); }

 private:
  enum class Mode { kForward, kCut, kStall, kSlow };
  struct Pipe;

  void Run();
  // Runs `change` of the mode under mu_, then wakes the thread.
  void Change(const std::function<void()>& change);
  void Wake();

  int listen_fd_ = -1;
  int wake_fds_[2] = {-1, -1};
  int port_ = 0;
  std::atomic<int> target_port_;
  std::atomic<bool> stopping_{false};
  std::atomic<uint64_t> accepted_{0};

  std::mutex mu_;
  Mode mode_ = Mode::kForward;  // GUARDED_BY(mu_)
  uint64_t rate_ = 0;           // GUARDED_BY(mu_): bytes/s in kSlow
  bool close_all_ = false;      // GUARDED_BY(mu_): Cut/Reset asked the thread to close
  bool abort_all_ = false;      // GUARDED_BY(mu_): ... with a reset
  std::thread thread_;
};

}  // namespace tt::chaos
