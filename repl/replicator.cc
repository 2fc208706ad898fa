#include "repl/replicator.h"

#include <algorithm>
#include <chrono>

#include "client/socket.h"
#include "common/logging.h"
#include "ttserver/redo.h"

namespace tt {

namespace {

using Clock = std::chrono::steady_clock;

// Bounds the connect, and so how long Stop() can wait on an unreachable
// master (the original retries for up to 5 s; its timer retries every second).
constexpr double kConnectTimeoutS = 3;
// The original's deadline for one stream item; a live master sends a NOP
// every second.
constexpr double kReadTimeoutS = 60;
constexpr double kMinBackoffS = 0.1;
constexpr double kMaxBackoffS = 5;
// How often an idle or halted replicator looks at the master settings.
constexpr double kIdleCheckS = 1;
// Position saves while records keep arriving: each save is an fsync and two
// renames' worth of metadata, so not one per record.
constexpr auto kSaveInterval = std::chrono::milliseconds(100);
constexpr uint64_t kSaveRecords = 1000;

}  // namespace

Replicator::Replicator(const ReplicatorOptions& options)
    : options_(options), rts_(options.rts_path) {}

Replicator::~Replicator() { Stop(); }

void Replicator::Start() {
  thread_ = std::thread([this] { Run(); });
}

void Replicator::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    if (session_ != nullptr) session_->Interrupt();
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool Replicator::Interrupted(uint64_t generation) {
  std::lock_guard lock(mu_);
  return stopping_ || options_.master->generation() != generation;
}

void Replicator::Sleep(double seconds, uint64_t generation) {
  const Clock::time_point until = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                                     std::chrono::duration<double>(seconds));
  std::unique_lock lock(mu_);
  // setmst does not wake us: look at the settings every 100 ms.
  while (!stopping_ && options_.master->generation() == generation && Clock::now() < until) {
    cv_.wait_until(lock, std::min(until, Clock::now() + std::chrono::milliseconds(100)));
  }
}

void Replicator::Run() {
  uint64_t generation = 0;
  bool halted = false;
  double backoff = kMinBackoffS;
  bool failing = false;  // a failure of this streak was logged already
  for (;;) {
    {
      std::lock_guard lock(mu_);
      if (stopping_) break;
    }
    const MasterSettings::Snapshot master = options_.master->Get();
    const bool configured = !master.host.empty() && master.port >= 1;
    if (master.generation != generation) {
      generation = master.generation;
      halted = false;
      backoff = kMinBackoffS;
      failing = false;
      if (configured && master.start_ts > 0) {
        Status s = rts_.Reset(master.start_ts);
        rts_loaded_ = true;
        options_.status->rts.store(rts_.applied());
        if (!s.ok()) {
          LogError("cannot save the replication position ", master.start_ts, ": ", s.ToString());
        }
      }
    }
    if (!configured || halted) {
      SetState(halted ? ReplicaStatus::State::kHalted : ReplicaStatus::State::kIdle);
      Sleep(kIdleCheckS, generation);
      continue;
    }
    bool connected = false;
    Status s = Session(master, &halted, &connected);
    Status saved = rts_.Save();
    if (s.ok()) s = saved;
    if (connected) {
      backoff = kMinBackoffS;
      failing = false;
    }
    if (Interrupted(generation) || (s.ok() && halted)) continue;
    if (!failing) {
      LogError("replication from ", HostPort(master.host, master.port),
               " failed (retrying quietly until it works again): ", s.ToString());
      failing = true;
    }
    SetState(ReplicaStatus::State::kRetrying);
    Sleep(backoff, generation);
    backoff = std::min(backoff * 2, kMaxBackoffS);
  }
  Status s = rts_.Save();
  if (!s.ok()) LogError("cannot save the replication position at shutdown: ", s.ToString());
}

Status Replicator::Session(const MasterSettings::Snapshot& master, bool* halted, bool* connected) {
  SetState(ReplicaStatus::State::kConnecting);
  if (!rts_loaded_) {
    // Read once: afterwards memory is ahead of or equal to the file.
    Status s = rts_.Load();
    if (!s.ok()) return s;
    rts_loaded_ = true;
    options_.status->rts.store(rts_.applied());
  }
  RemoteDB db;
  {
    std::lock_guard lock(mu_);
    if (stopping_) return Status::Ok();
    session_ = &db;
  }
  Status s = Stream(db, master, halted, connected);
  std::lock_guard lock(mu_);
  session_ = nullptr;
  return s;
}

Status Replicator::Stream(RemoteDB& db, const MasterSettings::Snapshot& master, bool* halted,
                          bool* connected) {
  Status s = db.Open(master.host, master.port, kConnectTimeoutS);
  if (!s.ok()) return s;
  uint32_t master_sid = 0;
  // Our master's timestamps are strictly increasing, so rts + 1 skips nothing
  // (§4.3's quirk concerns masters that repeat a timestamp).
  s = db.ReplStart(rts_.applied() + 1, options_.sid, &master_sid);
  if (!s.ok()) return s;
  if (master_sid > UINT16_MAX) {
    return Status::Protocol("the master announced server id " + std::to_string(master_sid) +
                            ", beyond the 16 bits an update-log record holds");
  }
  *connected = true;
  SetState(ReplicaStatus::State::kStreaming);
  LogInfo("replicating from ", HostPort(master.host, master.port), " (server id ", master_sid,
          ") after timestamp ", rts_.applied());
  const bool check = (master.opts & 1) != 0;
  Clock::time_point last_save = Clock::now();
  UlogRecord record;
  for (;;) {
    // Save before waiting for the master, and now and then under a steady
    // stream; never more than what was applied.
    if (rts_.unsaved() > 0 && (rts_.unsaved() >= kSaveRecords ||
                               Clock::now() - last_save >= kSaveInterval || !db.ReplPending())) {
      s = rts_.Save();
      if (!s.ok()) return s;
      last_save = Clock::now();
    }
    bool is_nop = false;
    s = db.ReplNext(&record, &is_nop, kReadTimeoutS);
    if (!s.ok()) return s;
    // A record read but not applied is asked for again by the next session.
    if (Interrupted(master.generation)) return Status::Ok();
    if (is_nop) continue;
    s = Apply(record, static_cast<uint16_t>(master_sid), check, halted);
    if (!s.ok() || *halted) return s;
  }
}

Status Replicator::Apply(const UlogRecord& record, uint16_t master_sid, bool check, bool* halted) {
  if (!rts_.Wanted(record.ts)) return Status::Ok();
  bool consistent = true;
  Status s = ApplyRecord(*options_.engine, record, master_sid, &consistent);
  // As the original, the position passes a record that cannot be applied:
  // it would fail the same way at every attempt.
  rts_.MarkApplied(record.ts);
  options_.status->rts.store(record.ts);
  if (!s.ok()) {
    return Status::Failed("cannot apply the record of timestamp " + std::to_string(record.ts) +
                          " (skipped): " + s.ToString());
  }
  if (consistent) return Status::Ok();
  if (check) {
    LogError("replication halted at the record of timestamp ", record.ts,
             ": it gave a different result here than on its origin (consistency check); "
             "setmst resumes");
    *halted = true;
  } else {
    LogInfo("replication: the record of timestamp ", record.ts,
            " gave a different result here than on its origin");
  }
  return Status::Ok();
}

}  // namespace tt
