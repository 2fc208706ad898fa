#include "repl/feeder.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <string_view>

#include "common/commands.h"
#include "common/logging.h"
#include "ulog/ulog_reader.h"

namespace tt {

namespace {

using Clock = std::chrono::steady_clock;

// Stream bytes gathered per send: few system calls while a slave catches up.
constexpr size_t kSendChunk = 256 * 1024;
// While skipping filtered records, whether a NOP is due is checked every this
// many (as the original does): a slave whose own records fill the log must
// still hear from its master every second.
constexpr uint64_t kNopCheckEvery = 256;

Clock::duration Seconds(double s) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
}

// Whole milliseconds until `t`, rounded up (a wait must not end just before it).
int MillisUntil(Clock::time_point t) {
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(t - Clock::now()).count();
  return us <= 0 ? 0 : static_cast<int>((us + 999) / 1000);
}

}  // namespace

bool AppendForSlave(UlogRecord* rec, uint32_t slave_sid, std::string* out) {
  if (rec->sid == slave_sid || rec->mid == slave_sid) return false;
  MakeOriginalCompatible(&rec->body);
  EncodeWireRecord(*rec, out);
  return true;
}

Feeder::Feeder(const FeederOptions& options) : options_(options) {
  stop_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (stop_fd_ < 0) {
    LogError("replication feeder: eventfd: ", strerror(errno),
             " (at shutdown, a slave that does not read is dropped only after its send timeout)");
  }
}

Feeder::~Feeder() {
  Stop();
  if (stop_fd_ >= 0) close(stop_fd_);
}

void Feeder::Serve(int fd, std::string preamble, uint64_t start_ts, uint32_t slave_sid) {
  std::lock_guard lock(mu_);
  if (stopped_) {
    close(fd);
    return;
  }
  ReapLocked();
  auto slave = std::make_unique<Slave>();
  Slave* raw = slave.get();
  options_.slaves->fetch_add(1, std::memory_order_relaxed);
  raw->thread = std::thread([this, raw, fd, preamble = std::move(preamble), start_ts, slave_sid] {
    LogInfo("replication: streaming to slave ", slave_sid, " (fd ", fd, ") from ts ", start_ts);
    Stream(fd, preamble, start_ts, slave_sid);
    close(fd);
    options_.slaves->fetch_sub(1, std::memory_order_relaxed);
    LogInfo("replication: stream to slave ", slave_sid, " (fd ", fd, ") ended");
    raw->done = true;
  });
  slaves_.push_back(std::move(slave));
}

void Feeder::Stop() {
  std::list<std::unique_ptr<Slave>> slaves;
  {
    std::lock_guard lock(mu_);
    stopped_ = true;
    slaves.swap(slaves_);
  }
  stop_.request_stop();
  if (stop_fd_ >= 0) {
    uint64_t one = 1;
    // Never read: the eventfd stays readable for every later poll.
    [[maybe_unused]] ssize_t n = write(stop_fd_, &one, sizeof one);
  }
  for (auto& slave : slaves) slave->thread.join();
}

void Feeder::ReapLocked() {
  for (auto it = slaves_.begin(); it != slaves_.end();) {
    if ((*it)->done) {
      (*it)->thread.join();
      it = slaves_.erase(it);
    } else {
      ++it;
    }
  }
}

void Feeder::Stream(int fd, const std::string& preamble, uint64_t start_ts, uint32_t slave_sid) {
  if (!SendAll(fd, preamble, slave_sid)) return;
  std::unique_ptr<UlogReader> reader;
  Status s = UlogReader::Open(options_.ulog->dir(), start_ts, &reader);
  if (!s.ok()) {
    LogError("replication to slave ", slave_sid, ": ", s.ToString());
    return;
  }
  const std::stop_token stop = stop_.get_token();
  const Clock::duration nop_interval = Seconds(options_.nop_interval_s);
  // The first NOP goes out at once, as the original's does.
  Clock::time_point last_nop = Clock::now() - nop_interval;
  std::string out;
  auto add_nop_if_due = [&] {
    if (Clock::now() - last_nop < nop_interval) return false;
    out.push_back(static_cast<char>(kMagicNop));
    last_nop = Clock::now();
    return true;
  };
  auto flush = [&] {
    bool sent = SendAll(fd, out, slave_sid);
    out.clear();
    return sent;
  };
  UlogRecord rec;
  uint64_t skipped = 0;
  while (!stop.stop_requested()) {
    add_nop_if_due();
    // Taken before reading to the end: a record appended meanwhile ends the
    // wait below at once instead of waiting for the next one.
    const uint64_t seq = options_.ulog->LastSeq();
    for (;;) {
      s = reader->Next(&rec);
      if (s.IsNotFound()) break;
      if (!s.ok()) {
        LogError("replication to slave ", slave_sid, " stopped: ", s.ToString());
        return;
      }
      if (AppendForSlave(&rec, slave_sid, &out)) {
        if (out.size() >= kSendChunk && !flush()) return;
      } else if (++skipped % kNopCheckEvery == 0) {
        if (stop.stop_requested()) return;
        if (add_nop_if_due() && !flush()) return;
      }
    }
    if (!out.empty() && !flush()) return;
    options_.ulog->WaitForAppend(seq, MillisUntil(last_nop + nop_interval), stop);
  }
}

bool Feeder::SendAll(int fd, std::string_view data, uint32_t slave_sid) {
  const Clock::duration timeout = Seconds(options_.send_timeout_s);
  Clock::time_point deadline = Clock::now() + timeout;
  while (!data.empty()) {
    if (stop_.stop_requested()) return false;
    // MSG_NOSIGNAL: a slave gone must cost an EPIPE, not the process.
    ssize_t n = send(fd, data.data(), data.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      data.remove_prefix(static_cast<size_t>(n));
      deadline = Clock::now() + timeout;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      const int wait_ms = MillisUntil(deadline);
      if (wait_ms == 0) {
        LogInfo("replication: dropping slave ", slave_sid, " (fd ", fd, "): it took no byte for ",
                options_.send_timeout_s, " s");
        return false;
      }
      pollfd fds[2] = {{fd, POLLOUT, 0}, {stop_fd_, POLLIN, 0}};
      // Whatever woke it (room, the stop, a signal, the deadline), the loop looks again.
      poll(fds, 2, wait_ms);
      continue;
    }
    LogInfo("replication: slave ", slave_sid, " (fd ", fd, ") is gone: ", strerror(errno));
    return false;
  }
  return true;
}

}  // namespace tt
