#include "repl/replicator.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>

#include "client/socket.h"
#include "common/commands.h"
#include "common/logging.h"
#include "engine/redo.h"
#include "repl/feeder.h"
#include "repl/stream_timing.h"

namespace tt {

namespace {

using Clock = std::chrono::steady_clock;

using namespace stream_timing;

// The master broke the extended stream's order: the session ends and the
// next one asks again.
Status StreamOutOfOrder(const std::string& what) {
  return Status::Protocol("the master sent " + what +
                          "; reconnecting (if it repeats, run the same ttserver version on the "
                          "master and this slave)");
}

// How often an idle or halted replicator looks at the master settings.
constexpr double kIdleCheckS = 1;

}  // namespace

Replicator::Replicator(const ReplicatorOptions& options)
    : options_(options), rts_(options.rts_path, options.durability) {}

Replicator::~Replicator() { Stop(); }

Status Replicator::Start() {
  Status s = ResolvePending();
  if (!s.ok()) return s;
  thread_ = std::thread([this] { Run(); });
  return Status::Ok();
}

Status Replicator::ResolvePending() {
  // Only a file of ours holds a pending record; the original creates the
  // file when it first connects, so a missing one is left missing.
  if (options_.rts_path.empty() || access(options_.rts_path.c_str(), F_OK) != 0) {
    return Status::Ok();
  }
  Status s = rts_.Load();
  if (!s.ok()) return s;
  rts_loaded_ = true;
  options_.status->rts.store(rts_.applied());
  if (!rts_.pending()) return Status::Ok();
  const PendingRecord pending = *rts_.pending();
  // The record changed the key's version if and only if it was applied;
  // every record before it was.
  const bool applied = KeyVersion(pending.key) != pending.version_before;
  LogInfo("replication: the record of timestamp ", pending.ts, " being applied at the last stop ",
          applied ? "was applied; it is not applied again" : "was not applied; it will be");
  // Never below what was applied before it (an original master's timestamp
  // may step back): those records are not asked for again.
  const uint64_t before = std::max(pending.applied, rts_.applied());
  s = ResetPosition(applied ? std::max(pending.ts, before) : before);  // also forgets the note
  if (!s.ok()) LogError("cannot save the replication position: ", s.ToString());
  return Status::Ok();
}

uint64_t Replicator::KeyVersion(std::string_view key) {
  std::string payload;
  ValueMeta meta;
  return options_.engine->Get(key, &payload, &meta).ok() ? meta.version : 0;
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
        Status s = ResetPosition(master.start_ts);
        rts_loaded_ = true;
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
    Status saved = SavePosition();
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
  Status s = SavePosition();
  if (!s.ok()) LogError("cannot save the replication position at shutdown: ", s.ToString());
}

Status Replicator::FlushApplied() {
  UlogWriter* ulog = options_.engine->ulog();
  if (ulog == nullptr) {
    Status s = options_.engine->store().Synchronize(/*hard=*/false);
    if (!s.ok()) {
      return Status::IoError(
          "cannot write the applied records to the database files before "
          "saving the replication position (" +
          s.ToString() + "); they are applied again after a restart");
    }
    return Status::Ok();
  }
  uint64_t seq = 0;
  Status s = ulog->Flush(&seq);
  // Against a power loss: an fdatasync must cover them (not one that failed).
  if (s.ok() && options_.durability == FileDurability::kPowerLoss) s = ulog->WaitDurable(seq);
  if (s.ok()) {
    logged_through_ = rts_.applied();
    return Status::Ok();
  }
  // The deferred records may be missing from the log although applied: the
  // next session applies them again (effects: the same result), from the
  // last record known to be logged.
  // (A setmst or a snapshot may have moved the position below it since.)
  rts_.Rewind(std::max(rts_.saved(), std::min(logged_through_, rts_.applied())));
  options_.status->rts.store(rts_.applied());
  return Status::IoError("cannot write the applied records to the update log (" + s.ToString() +
                         "); they are applied again when replication reconnects: fix the cause "
                         "(free disk space)");
}

Status Replicator::ResetPosition(uint64_t ts) {
  Status s = rts_.Reset(ts);
  logged_through_ = ts;
  options_.status->rts.store(ts);
  return s;
}

Status Replicator::SavePosition() {
  if (rts_.unsaved() == 0) return Status::Ok();
  Status s = FlushApplied();
  return s.ok() ? rts_.Save() : s;
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
  if (options_.master_tls.has_value()) db.EnableTls(*options_.master_tls);
  Status s = db.Open(master.host, master.port, kConnectTimeoutS);
  if (!s.ok()) return s;
  // Our masters offer the extended stream (acknowledgements, snapshot
  // bootstrap, memcached metadata); an original master never sees it asked.
  std::string stat;
  s = db.Stat(&stat);
  if (!s.ok()) return s;
  const bool extended = OffersExtendedStream(stat);
  uint32_t master_sid = 0;
  // Our master's timestamps are strictly increasing, so rts + 1 skips nothing
  // (§4.3's quirk concerns masters that repeat a timestamp).
  // A snapshot is welcome when this server is new (no position and no data)
  // or has a position (the master sends one only when its log no longer
  // reaches back to it). With data but no position, the log from its start
  // is all a dual master's partner can merge without losing writes.
  // A bootstrap cut short left partial data: only a replacing one repairs it.
  uint32_t flags = rts_.applied() > 0 || options_.engine->Count() == 0 || rts_.bootstrapping()
                       ? kReplExtBootstrap
                       : 0;
  if (rts_.bootstrapping()) flags |= kReplExtReplace;
  s = extended ? db.ReplStartExtended(rts_.applied() + 1, options_.sid, flags, &master_sid)
               : db.ReplStart(rts_.applied() + 1, options_.sid, &master_sid);
  if (!s.ok()) return s;
  if (master_sid > UINT16_MAX) {
    return Status::Protocol("the master announced server id " + std::to_string(master_sid) +
                            ", beyond the 16 bits an update-log record holds");
  }
  *connected = true;
  SetState(ReplicaStatus::State::kStreaming);
  LogInfo("replicating from ", HostPort(master.host, master.port), " (server id ", master_sid,
          extended ? ", extended stream" : "", ") after timestamp ", rts_.applied());
  const bool check = (master.opts & 1) != 0;
  const auto origin_sid = static_cast<uint16_t>(master_sid);
  Clock::time_point last_save = Clock::now();
  UlogRecord record;
  uint64_t snapshot_ts = 0;
  uint64_t snapshot_keys = 0;
  bool in_snapshot = false;
  for (;;) {
    // Save before waiting for the master, and now and then under a steady
    // stream; never more than what was applied. The master hears of each save.
    if (!in_snapshot && rts_.unsaved() > 0 &&
        (rts_.unsaved() >= kSaveRecords || Clock::now() - last_save >= kSaveInterval ||
         !db.ReplPending())) {
      s = SavePosition();
      if (!s.ok()) return s;
      last_save = Clock::now();
      if (extended && !(s = db.ReplAck(rts_.saved())).ok()) return s;
    }
    RemoteDB::ReplItem item;
    bool replace = false;
    s = db.ReplNextItem(&item, &record, &replace, kReadTimeoutS);
    if (!s.ok()) return s;
    // A record read but not applied is asked for again by the next session.
    if (Interrupted(master.generation)) return Status::Ok();
    switch (item) {
      case RemoteDB::ReplItem::kNop:
        // Only what is saved: the master may let its log go up to there.
        if (extended && !(s = db.ReplAck(rts_.saved())).ok()) return s;
        break;
      case RemoteDB::ReplItem::kRecord:
        if (in_snapshot) return StreamOutOfOrder("a log record inside a snapshot");
        s = Apply(record, origin_sid, check, halted);
        if (!s.ok() || *halted) return s;
        break;
      case RemoteDB::ReplItem::kSnapshotBegin:
        s = BeginSnapshot(record.ts, replace, origin_sid);
        if (!s.ok()) return s;
        in_snapshot = true;
        snapshot_ts = record.ts;
        snapshot_keys = 0;
        break;
      case RemoteDB::ReplItem::kSnapshotRecord: {
        if (!in_snapshot) return StreamOutOfOrder("a snapshot record outside a snapshot");
        s = ApplySnapshotRecord(record, origin_sid);
        if (!s.ok()) return s;
        ++snapshot_keys;
        break;
      }
      case RemoteDB::ReplItem::kSnapshotEnd:
        if (!in_snapshot) return StreamOutOfOrder("a snapshot end without its beginning");
        in_snapshot = false;
        // Everything up to the snapshot's timestamp is here now.
        s = FlushApplied();
        if (s.ok()) s = ResetPosition(snapshot_ts);
        if (!s.ok()) return s;
        SetState(ReplicaStatus::State::kStreaming);
        LogInfo("replication: bootstrap done, ", snapshot_keys, " keys at timestamp ", snapshot_ts,
                "; streaming the log from there");
        if (!(s = db.ReplAck(snapshot_ts)).ok()) return s;
        last_save = Clock::now();
        break;
    }
  }
}

Status Replicator::BeginSnapshot(uint64_t ts, bool replace, uint16_t origin_sid) {
  SetState(ReplicaStatus::State::kBootstrapping);
  // Until the snapshot ends, the data here is partial: a restart must ask
  // for a replacing snapshot, whatever the position says.
  Status marked = rts_.MarkBootstrapping();
  if (!marked.ok()) return marked;
  LogInfo("replication: bootstrapping from the master's snapshot at timestamp ", ts,
          replace ? " (this server's position is no longer in the master's log: its data is "
                    "replaced)"
                  : "");
  if (!replace) return Status::Ok();
  // Logged with the master's id, so the master is not sent its own vanish.
  Status s = options_.engine->Vanish(Origin{origin_sid, origin_sid});
  if (!s.ok())
    return Status::Failed("cannot clear the database for the bootstrap: " + s.ToString());
  return Status::Ok();
}

Status Replicator::ApplySnapshotRecord(const UlogRecord& record, uint16_t origin_sid) {
  ParsedBody body;
  Status s = ParseBody(record.body, &body);
  if (s.ok() && body.command != kCmdPut && body.command != kRecordPutMeta) {
    s = StreamOutOfOrder("a snapshot record of kind " + std::string(RecordKindName(body.command)));
  }
  if (!s.ok()) return Status::Failed("cannot apply a snapshot record: " + s.ToString());
  // A key present here was written here after the bootstrap began (the
  // database was empty or cleared): it is newer than the snapshot's value,
  // and its record reaches the master through our own log.
  const Origin origin{static_cast<uint16_t>(record.sid), origin_sid, /*deferred_log=*/true};
  return options_.engine->Mutate(body.key, origin, [&](const Current& current) {
    if (current.exists) return Change::Keep();
    return Change::Set(std::string(body.value), body.meta);
  });
}

bool IsMalformed(const Status& apply_error) {
  return apply_error.code() == Status::Code::kCorruption ||
         apply_error.code() == Status::Code::kUnsupported ||
         apply_error.code() == Status::Code::kInvalidArgument;
}

bool IsCommandRecord(uint8_t command) {
  return command == kCmdAddInt || command == kCmdAddDouble || command == kCmdPutCat ||
         command == kCmdPutShl;
}

Status Replicator::Apply(const UlogRecord& record, uint16_t master_sid, bool check, bool* halted) {
  // An original master logs commands: applied twice, an addint adds twice.
  // Such a record is noted before it is applied (repl/rts_file.h).
  // It is applied and logged at once, after every record before it is in the
  // log: a restart that finds it applied must not apply again records the
  // log lacks.
  ParsedBody body;
  const bool command = ParseBody(record.body, &body).ok() && IsCommandRecord(body.command);
  uint64_t version_before = 0;
  if (command) {
    Status s = FlushApplied();
    if (s.ok()) {
      version_before = KeyVersion(body.key);
      s = rts_.NotePending(
          {.ts = record.ts, .version_before = version_before, .key = std::string(body.key)});
    }
    if (!s.ok()) return s;
  }
  bool consistent = true;
  Status s = ApplyRecord(*options_.engine, record, master_sid, &consistent,
                         /*deferred_log=*/!command);
  // Applied although an error came back (an fdatasync failed after the
  // change): applying the command again would apply it twice.
  const bool applied_anyway =
      !s.ok() && !IsMalformed(s) && command && KeyVersion(body.key) != version_before;
  if (!s.ok() && !IsMalformed(s) && !applied_anyway) {
    // This server could not store it now (a full disk, an I/O error): the
    // position stays before it, so the next session applies it again.
    return Status::IoError("cannot apply the record of timestamp " + std::to_string(record.ts) +
                           " here (" + s.ToString() +
                           "); it is applied again when replication reconnects: fix the cause "
                           "(free disk space, check the database)");
  }
  // As the original, the position passes a record that cannot be applied
  // anywhere: it would fail the same way at every attempt.
  rts_.MarkApplied(record.ts);
  // Logged at once (not deferred): a failed batch later never rewinds below it.
  if (command) logged_through_ = rts_.applied();
  options_.status->rts.store(rts_.applied());
  if (applied_anyway) {
    return Status::IoError("the record of timestamp " + std::to_string(record.ts) +
                           " was applied here, but " + s.ToString() +
                           "; check the disk of the update log");
  }
  if (!s.ok()) {
    return Status::Failed("cannot apply the record of timestamp " + std::to_string(record.ts) +
                          " (skipped; this server now lacks that change): " + s.ToString());
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
