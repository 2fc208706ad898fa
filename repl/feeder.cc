#include "repl/feeder.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <deque>
#include <set>
#include <string_view>
#include <system_error>

#include "common/clock.h"
#include "common/coding.h"
#include "common/commands.h"
#include "common/logging.h"
#include "ulog/checkpoint.h"
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

bool AppendForSlave(UlogRecord* rec, uint32_t slave_sid, bool extended, std::string* out) {
  if (rec->sid == slave_sid || rec->mid == slave_sid) return false;
  if (!extended) MakeOriginalCompatible(&rec->body);
  EncodeWireRecord(*rec, out);
  return true;
}

// One stream. The thread fields are its own; the others are GUARDED_BY(mu_).
struct Feeder::Slave {
  // Records sent together, for the lag: the oldest unacknowledged batch's
  // first record dates how far the slave trails.
  struct Batch {
    uint64_t first_ts = 0;
    uint64_t last_ts = 0;
  };

  std::thread thread;
  std::atomic<bool> done{false};
  uint32_t sid = 0;
  std::string address;
  bool extended = false;
  uint64_t next_ts = 0;  // the stream has read the log up to here
  uint64_t sent_ts = 0;
  uint64_t acked_ts = 0;    // it needs nothing up to here (applied, or not for it)
  uint64_t applied_ts = 0;  // the newest it acknowledged as applied
  std::deque<Batch> unacked;
};

namespace {

// How often the registry file is rewritten while acknowledgements move.
constexpr auto kRegistrySaveInterval = std::chrono::seconds(5);
// While a slave has records it has not acknowledged, the stream looks at the
// socket this often even when the log is quiet, so stat's lag stays current.
constexpr int kAckPollMs = 10;
// Bytes of acknowledgements read at a time (an acknowledgement is 9 bytes).
constexpr size_t kMaxPendingAckBytes = 9 * 1024;

}  // namespace

Feeder::Feeder(const FeederOptions& options) : options_(options) {
  stop_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (stop_fd_ < 0) {
    LogError("replication feeder: eventfd: ", strerror(errno),
             " (at shutdown, a slave that does not read is dropped only after its send timeout)");
  }
  std::vector<SlaveAck> registry;
  Status s = ReadSlaveRegistry(options_.ulog->dir(), &registry);
  if (!s.ok()) {
    // Rewriting it would drop the holds of slaves that are away.
    registry_writable_ = false;
    LogError("replication feeder: ", s.ToString(),
             "; it is left as it is and not updated until the server restarts with it repaired");
  }
  for (SlaveAck& ack : registry) acks_[ack.sid] = std::move(ack);
}

Feeder::~Feeder() {
  Stop();
  if (stop_fd_ >= 0) close(stop_fd_);
}

bool OffersExtendedStream(std::string_view stat) {
  return stat.rfind("repl_ext\t1\n", 0) == 0 ||
         stat.find("\nrepl_ext\t1\n") != std::string_view::npos;
}

void Feeder::Serve(int fd, std::string address, std::string preamble, uint64_t start_ts,
                   uint32_t slave_sid) {
  Start(fd, std::move(address), std::move(preamble), start_ts, slave_sid, /*extended=*/false, 0);
}

void Feeder::ServeExtended(int fd, std::string address, std::string preamble, uint64_t start_ts,
                           uint32_t slave_sid, uint32_t flags) {
  Start(fd, std::move(address), std::move(preamble), start_ts, slave_sid, /*extended=*/true, flags);
}

void Feeder::Start(int fd, std::string address, std::string preamble, uint64_t start_ts,
                   uint32_t slave_sid, bool extended, uint32_t flags) {
  std::lock_guard lock(mu_);
  if (stopped_) {
    close(fd);
    return;
  }
  ReapLocked();
  auto slave = std::make_unique<Slave>();
  Slave* raw = slave.get();
  raw->sid = slave_sid;
  raw->address = std::move(address);
  raw->extended = extended;
  raw->next_ts = start_ts;
  // It asked for start_ts: it holds everything before (its saved position).
  raw->acked_ts = extended && start_ts > 0 ? start_ts - 1 : 0;
  raw->applied_ts = raw->acked_ts;
  raw->sent_ts = raw->acked_ts;
  options_.slaves->fetch_add(1, std::memory_order_relaxed);
  try {
    raw->thread = std::thread([this, raw, fd, preamble = std::move(preamble), start_ts, flags] {
      LogInfo("replication: streaming to slave ", raw->sid, " at ", raw->address,
              raw->extended ? " (extended)" : "", " from ts ", start_ts);
      Stream(raw, fd, preamble, start_ts, flags);
      close(fd);
      options_.slaves->fetch_sub(1, std::memory_order_relaxed);
      LogInfo("replication: stream to slave ", raw->sid, " at ", raw->address, " ended");
      raw->done = true;
    });
  } catch (const std::system_error& e) {
    // Out of threads (ulimit -u, pids.max): this slave is refused, the server goes on.
    options_.slaves->fetch_sub(1, std::memory_order_relaxed);
    LogError("replication: cannot start a thread to stream to slave ", slave_sid, " at ",
             raw->address, " (", e.what(),
             "); its connection is closed and it retries; lower "
             "--max-conns or raise the process's thread limit");
    close(fd);
    return;
  }
  slaves_.push_back(std::move(slave));
}

void Feeder::Stop() {
  std::list<std::unique_ptr<Slave>> slaves;
  {
    std::lock_guard lock(mu_);
    stopped_ = true;
    waits_ended_ = true;
    slaves.swap(slaves_);
  }
  ack_arrived_.notify_all();
  stop_.request_stop();
  if (stop_fd_ >= 0) {
    uint64_t one = 1;
    // Never read: the eventfd stays readable for every later poll.
    [[maybe_unused]] ssize_t n = write(stop_fd_, &one, sizeof one);
  }
  for (auto& slave : slaves) slave->thread.join();
  SaveRegistry(/*now=*/true);
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

std::vector<SlaveReport> Feeder::Slaves(double forget_s) const {
  const double now_unix = NowMicros() / 1e6;
  const uint64_t now_us = NowMicros();
  std::vector<SlaveReport> reports;
  std::lock_guard lock(mu_);
  std::set<uint32_t> streaming;
  for (const auto& slave : slaves_) {
    if (slave->done) continue;
    SlaveReport r;
    r.sid = slave->sid;
    r.address = slave->address;
    r.connected = true;
    r.acknowledges = slave->extended;
    r.sent_ts = slave->sent_ts;
    r.acked_ts = slave->acked_ts;
    if (slave->extended) {
      streaming.insert(slave->sid);
      auto it = acks_.find(slave->sid);
      if (it != acks_.end()) r.ack_age_s = std::max(0.0, now_unix - it->second.last_ack_unix);
      if (!slave->unacked.empty()) {
        const uint64_t oldest = std::max(slave->unacked.front().first_ts, slave->acked_ts + 1);
        r.lag_s = now_us > oldest ? static_cast<double>(now_us - oldest) / 1e6 : 0;
      }
    }
    reports.push_back(std::move(r));
  }
  for (const auto& [sid, ack] : acks_) {
    if (streaming.count(sid) != 0 || now_unix - ack.last_ack_unix > forget_s) continue;
    SlaveReport r;
    r.sid = sid;
    r.address = ack.address;
    r.acknowledges = true;
    r.acked_ts = ack.acked_ts;
    r.ack_age_s = std::max(0.0, now_unix - ack.last_ack_unix);
    reports.push_back(std::move(r));
  }
  return reports;
}

uint64_t Feeder::OldestNeeded(double hold_s) const {
  std::vector<SlaveAck> acks;
  uint64_t oldest = UINT64_MAX;
  {
    std::lock_guard lock(mu_);
    for (const auto& slave : slaves_) {
      if (slave->done) continue;
      // An acknowledging slave may lose what was sent but not acknowledged.
      oldest = std::min(oldest, slave->extended ? slave->acked_ts + 1 : slave->next_ts);
    }
    for (const auto& [sid, ack] : acks_) acks.push_back(ack);
  }
  return std::min(oldest, OldestAcknowledgedNeed(acks, NowMicros() / 1e6 - hold_s));
}

void Feeder::NoteSent(Slave* slave, uint64_t first_ts, uint64_t last_ts) {
  std::lock_guard lock(mu_);
  slave->sent_ts = last_ts;
  if (!slave->extended) return;
  if (!slave->unacked.empty() && slave->unacked.back().last_ts >= first_ts) return;
  slave->unacked.push_back({first_ts, last_ts});
}

void Feeder::NoteRead(Slave* slave, uint64_t next_ts) {
  std::lock_guard lock(mu_);
  slave->next_ts = std::max(slave->next_ts, next_ts);
}

void Feeder::NoteAck(Slave* slave, uint64_t ts) {
  std::lock_guard lock(mu_);
  // Nothing beyond what was sent can have been applied.
  ts = std::min(ts, slave->sent_ts);
  slave->applied_ts = std::max(slave->applied_ts, ts);
  if (ts > slave->acked_ts) slave->acked_ts = ts;
  while (!slave->unacked.empty() && slave->unacked.front().last_ts <= slave->acked_ts) {
    slave->unacked.pop_front();
  }
  // All it was sent is applied, and what the stream read past that was not
  // for it (its own records, filtered): it needs nothing before the read
  // position. Without this a dual master's partner that never writes would
  // hold the log forever.
  if (slave->unacked.empty() && slave->next_ts > 0) {
    slave->acked_ts = std::max(slave->acked_ts, slave->next_ts - 1);
  }
  SlaveAck& ack = acks_[slave->sid];
  ack.sid = slave->sid;
  ack.acked_ts = slave->acked_ts;
  ack.applied_ts = slave->applied_ts;
  ack.last_ack_unix = NowMicros() / 1e6;
  ack.address = slave->address;
  acks_dirty_ = true;
  ack_arrived_.notify_all();
}

size_t Feeder::CountAcknowledged(uint64_t ts) const {
  std::lock_guard lock(mu_);
  return CountAcknowledgedLocked(ts);
}

size_t Feeder::CountAcknowledgedLocked(uint64_t ts) const {
  size_t count = 0;
  for (const auto& slave : slaves_) {
    if (!slave->done && slave->extended && slave->acked_ts >= ts) ++count;
  }
  return count;
}

size_t Feeder::WaitAcknowledged(uint64_t ts, size_t count,
                                std::optional<std::chrono::steady_clock::time_point> deadline) {
  std::unique_lock lock(mu_);
  auto enough = [&] { return waits_ended_ || CountAcknowledgedLocked(ts) >= count; };
  if (deadline) {
    ack_arrived_.wait_until(lock, *deadline, enough);
  } else {
    ack_arrived_.wait(lock, enough);
  }
  return CountAcknowledgedLocked(ts);
}

void Feeder::EndWaits() {
  {
    std::lock_guard lock(mu_);
    waits_ended_ = true;
  }
  ack_arrived_.notify_all();
}

void Feeder::SaveRegistry(bool now) {
  std::lock_guard file_lock(registry_file_mu_);
  std::vector<SlaveAck> acks;
  {
    std::lock_guard lock(mu_);
    if (!registry_writable_ || !acks_dirty_ ||
        (!now && Clock::now() - acks_saved_ < kRegistrySaveInterval)) {
      return;
    }
    for (const auto& [sid, ack] : acks_) acks.push_back(ack);
    acks_dirty_ = false;
    acks_saved_ = Clock::now();
  }
  Status s = WriteSlaveRegistry(options_.ulog->dir(), acks);
  if (!s.ok()) LogError("replication feeder: cannot save the slave registry: ", s.ToString());
}

bool Feeder::ReadAcks(Slave* slave, int fd, std::string* pending) {
  char buf[4096];
  for (;;) {
    ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n > 0) {
      pending->append(buf, static_cast<size_t>(n));
      if (pending->size() > kMaxPendingAckBytes) break;
      continue;
    }
    if (n == 0) {
      LogInfo("replication: slave ", slave->sid, " at ", slave->address, " closed the stream");
      return false;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) break;
    LogInfo("replication: slave ", slave->sid, " at ", slave->address,
            " is gone: ", strerror(errno));
    return false;
  }
  size_t at = 0;
  uint64_t newest = 0;
  bool any = false;
  while (pending->size() - at >= 9) {
    if (static_cast<uint8_t>((*pending)[at]) != kMagicAck) {
      LogError("replication: dropping slave ", slave->sid, " at ", slave->address,
               ": it sent byte 0x", std::hex,
               static_cast<int>(static_cast<uint8_t>((*pending)[at])), std::dec,
               " where an acknowledgement (0xCE) belongs");
      return false;
    }
    newest = std::max(newest, DecodeU64(pending->data() + at + 1));
    any = true;
    at += 9;
  }
  pending->erase(0, at);
  if (any) {
    NoteAck(slave, newest);
    SaveRegistry(/*now=*/false);
  }
  return true;
}

uint64_t Feeder::NeededFrom(uint64_t start_ts, uint32_t slave_sid) const {
  std::lock_guard lock(mu_);
  auto it = acks_.find(slave_sid);
  if (it == acks_.end()) return start_ts;
  const SlaveAck& ack = it->second;
  // Only a slave that still holds all it acknowledged (not one restored from
  // an older copy) has the records up to acked_ts: those after applied_ts
  // were left out of its stream as its own.
  if (start_ts == 0 || start_ts - 1 < ack.applied_ts) return start_ts;
  return std::max(start_ts, ack.acked_ts + 1);
}

bool Feeder::LogReaches(uint64_t start_ts, uint64_t* oldest_ts) const {
  std::vector<uint32_t> files;
  if (!ListUlogFiles(options_.ulog->dir(), &files).ok() || files.empty() || files.front() == 1) {
    return true;
  }
  // Files were purged: records before the oldest remaining one are gone.
  // Without a first record to go by (an empty file, a read error) there is
  // no evidence, and a snapshot may replace the slave's data: none is sent.
  std::unique_ptr<UlogReader> reader;
  UlogRecord first;
  Status s = UlogReader::Open(options_.ulog->dir(), 0, &reader);
  if (s.ok()) s = reader->Next(&first);
  if (s.IsNotFound()) {
    // No record is left: every one up to the newest ever written is gone
    // (after a restart the checkpoint remembers the newest).
    uint64_t checkpoint = 0;
    if (!ReadCheckpoint(options_.ulog->dir(), &checkpoint).ok()) checkpoint = 0;
    const uint64_t newest = std::max(checkpoint, options_.ulog->NewestTimestamp());
    if (oldest_ts != nullptr) *oldest_ts = newest + 1;
    return start_ts > newest;
  }
  if (!s.ok()) {
    LogError("replication: cannot read the oldest log record: ", s.ToString());
    return true;
  }
  if (oldest_ts != nullptr) *oldest_ts = first.ts;
  return start_ts >= first.ts;
}

bool Feeder::SendSnapshot(Slave* slave, int fd, bool replace, uint64_t* next_ts) {
  LogInfo("replication: sending a snapshot to slave ", slave->sid, " at ", slave->address,
          replace ? " (it replaces the slave's data: the log no longer reaches its position, "
                    "or its last bootstrap was cut short)"
                  : " (it has no position)");
  std::string out;
  uint64_t snapshot_ts = 0;
  bool begun = false;
  bool sent = true;
  uint64_t keys = 0;
  auto begin = [&] {
    out.push_back(static_cast<char>(kMagicSnapshotBegin));
    PutU64(&out, snapshot_ts);
    out.push_back(replace ? 1 : 0);
    begun = true;
  };
  UlogRecord rec;
  Status s = options_.snapshot(&snapshot_ts, [&](std::string_view body) {
    if (!begun) begin();
    rec.ts = snapshot_ts;
    rec.sid = options_.sid;
    rec.body.assign(body);
    const size_t at = out.size();
    EncodeWireRecord(rec, &out);
    out[at] = static_cast<char>(kMagicSnapshotRecord);
    ++keys;
    if (out.size() >= kSendChunk) {
      sent = SendAll(fd, out, slave->sid);
      out.clear();
    }
    return sent && !stop_.stop_requested();
  });
  if (!sent || stop_.stop_requested()) return false;
  if (!s.ok()) {
    LogError("replication: cannot read the snapshot for slave ", slave->sid, ": ", s.ToString());
    return false;
  }
  if (!begun) begin();
  out.push_back(static_cast<char>(kMagicSnapshotEnd));
  if (!SendAll(fd, out, slave->sid)) return false;
  NoteSent(slave, snapshot_ts, snapshot_ts);
  NoteRead(slave, snapshot_ts + 1);
  LogInfo("replication: snapshot of ", keys, " keys at ts ", snapshot_ts, " sent to slave ",
          slave->sid);
  *next_ts = snapshot_ts + 1;
  return true;
}

void Feeder::Stream(Slave* slave, int fd, const std::string& preamble, uint64_t start_ts,
                    uint32_t flags) {
  const uint32_t slave_sid = slave->sid;
  if (!SendAll(fd, preamble, slave_sid)) return;
  uint64_t oldest_ts = 0;
  const bool reaches = LogReaches(NeededFrom(start_ts, slave_sid), &oldest_ts);
  // A snapshot goes to a slave that allows one and has no position, says its
  // data is partial, or needs records the log no longer holds.
  if (slave->extended && (flags & kReplExtBootstrap) != 0 && options_.snapshot &&
      ((flags & kReplExtReplace) != 0 || start_ts <= 1 || !reaches)) {
    const bool replace = start_ts > 1 || (flags & kReplExtReplace) != 0;
    if (!SendSnapshot(slave, fd, replace, &start_ts)) return;
  } else if (!reaches) {
    if (slave->extended && (flags & kReplExtNoGap) != 0) {
      LogInfo("replication: slave ", slave_sid, " at ", slave->address, " asks for ts ", start_ts,
              ", which the update log no longer reaches (its oldest record is at ts ", oldest_ts,
              "), and takes no gap: told so, stream closed");
      std::string gap(1, static_cast<char>(kMagicLogGap));
      PutU64(&gap, oldest_ts);
      SendAll(fd, gap, slave_sid);
      return;
    }
    LogError("replication: slave ", slave_sid, " at ", slave->address, " asks for ts ", start_ts,
             " which the update log no longer reaches, and takes no snapshot (an original "
             "ttserver, or one holding data but no position): it misses the records before the "
             "oldest file; rebuild it from a copy of this database");
  }
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
  std::string acks;
  uint64_t batch_first = 0;  // the ts of the first record in `out`, 0 = none
  uint64_t batch_last = 0;
  auto add_nop_if_due = [&] {
    if (Clock::now() - last_nop < nop_interval) return false;
    out.push_back(static_cast<char>(kMagicNop));
    last_nop = Clock::now();
    return true;
  };
  auto flush = [&] {
    bool sent = SendAll(fd, out, slave_sid);
    out.clear();
    if (sent && batch_first != 0) NoteSent(slave, batch_first, batch_last);
    batch_first = 0;
    if (sent && slave->extended) sent = ReadAcks(slave, fd, &acks);
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
        // The records gathered so far were read whole and checked: the slave
        // gets them before the stream ends.
        if (!out.empty()) flush();
        LogError("replication to slave ", slave_sid, " stopped: ", s.ToString());
        return;
      }
      if (AppendForSlave(&rec, slave_sid, slave->extended, &out)) {
        if (batch_first == 0) batch_first = rec.ts;
        batch_last = rec.ts;
        if (out.size() >= kSendChunk) {
          NoteRead(slave, rec.ts + 1);
          if (!flush()) return;
        }
      } else if (++skipped % kNopCheckEvery == 0) {
        if (stop.stop_requested()) return;
        if (add_nop_if_due() && !flush()) return;
      }
    }
    NoteRead(slave, rec.ts + 1);
    if (!out.empty() && !flush()) return;
    if (slave->extended && !ReadAcks(slave, fd, &acks)) return;
    int wait_ms = MillisUntil(last_nop + nop_interval);
    if (slave->extended) {
      std::lock_guard lock(mu_);
      if (!slave->unacked.empty()) wait_ms = std::min(wait_ms, kAckPollMs);
    }
    options_.ulog->WaitForAppend(seq, wait_ms, stop);
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
