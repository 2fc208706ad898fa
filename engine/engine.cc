#include "engine/engine.h"

#include <spawn.h>
#include <sys/wait.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstring>
#include <ctime>
#include <functional>

#include "common/clock.h"
#include "common/commands.h"
#include "common/logging.h"
#include "ulog/checkpoint.h"
#include "ulog/record.h"

namespace tt {

namespace {

int64_t NowSeconds() { return static_cast<int64_t>(time(nullptr)); }

// Splits a stored value into meta + payload; a value that is not an envelope
// is a corrupt store, reported rather than guessed at.
Status Unwrap(std::string_view key, std::string_view stored, ValueMeta* meta,
              std::string_view* payload) {
  if (!DecodeEnvelope(stored, meta, payload)) {
    return Status::Corruption("stored value of key of " + std::to_string(key.size()) +
                              " bytes is not a ttserver value envelope");
  }
  return Status::Ok();
}

// The metadata a change of an existing value's bytes keeps (putcat, putshl,
// addint, adddouble, as memcached's append keeps them): its flags and
// expiry. The version and CAS become the write's, and the meta state clears.
ValueMeta KeptMeta(const Current& current) {
  return ValueMeta{.flags = current.meta.flags, .expires_at = current.meta.expires_at};
}

}  // namespace

Status ValueCursor::Next(std::string* key, std::string* payload, ValueMeta* meta_out) {
  const int64_t now = NowSeconds();
  for (;;) {
    Status s = cursor_->Next(key, &raw_);
    if (!s.ok()) return s;
    ValueMeta meta;
    std::string_view view;
    if (!DecodeEnvelope(raw_, &meta, &view)) {
      LogError("iteration skipped a record that is not a value envelope");
      continue;
    }
    if (IsExpired(meta, now)) continue;
    if (payload != nullptr) payload->assign(view);
    if (meta_out != nullptr) *meta_out = meta;
    return Status::Ok();
  }
}

Engine::Engine(const Options& options)
    : store_(options.store),
      ulog_(options.ulog),
      clock_(options.clock),
      sid_(options.sid),
      schedule_max_(options.expiry_schedule_max) {}

size_t Engine::StripeIndex(std::string_view key) {
  return std::hash<std::string_view>{}(key) % kStripes;
}

Status Engine::ReadUnexpired(std::string_view key, const PayloadReader& reader, bool* expired) {
  *expired = false;
  Status unwrap;
  bool live = false;
  Status s = store_->Read(key, [&](std::string_view stored) {
    ValueMeta meta;
    std::string_view payload;
    unwrap = Unwrap(key, stored, &meta, &payload);
    live = unwrap.ok() && !IsExpired(meta, NowSeconds());
    if (live && reader) reader(payload, meta);
  });
  if (!s.ok()) return s;
  if (!unwrap.ok()) return unwrap;
  if (!live) {
    *expired = true;
    return Status::NotFound();
  }
  return Status::Ok();
}

Status Engine::Read(std::string_view key, const PayloadReader& reader, bool* expired) {
  bool found_expired = false;
  Status s = ReadUnexpired(key, reader, &found_expired);
  if (found_expired) PurgeIfExpired(key);
  if (expired != nullptr) *expired = found_expired;
  return s;
}

Status Engine::CheckLive(std::string_view key) {
  bool expired = false;
  return ReadUnexpired(key, nullptr, &expired);
}

Status Engine::Get(std::string_view key, std::string* payload, ValueMeta* meta) {
  return Read(key, [&](std::string_view view, const ValueMeta& m) {
    payload->assign(view);
    if (meta != nullptr) *meta = m;
  });
}

Status Engine::ValueSize(std::string_view key, uint64_t* size) {
  return Read(key, [size](std::string_view view, const ValueMeta&) { *size = view.size(); });
}

bool Engine::MultiGet(const std::vector<std::string_view>& keys,
                      std::vector<std::pair<std::string, std::string>>* found,
                      size_t byte_budget) {
  std::string payload;
  size_t bytes = 0;
  for (std::string_view key : keys) {
    if (bytes >= byte_budget) return false;
    if (Get(key, &payload).ok()) {
      bytes += key.size() + payload.size();
      found->emplace_back(std::string(key), std::move(payload));
    }
  }
  return true;
}

Status Engine::KeysWithPrefix(std::string_view prefix, int64_t max,
                              std::vector<std::string>* keys) {
  return store_->KeysWithPrefix(prefix, max, keys);
}

Status Engine::ReadSnapshot(uint64_t* start_ts, const SnapshotEmit& emit) {
  {
    // With every stripe held no write is between its log append and its
    // store apply: every record up to now is in the store, so in the walk
    // unless a later record changed its key (and that record follows).
    AllStripesLock lock(stripes_);
    *start_ts = clock_->Last();
  }
  ValueCursor cursor(store_->NewCursor());
  Status s = cursor.Jump();
  std::string key;
  std::string payload;
  ValueMeta meta;
  while (s.ok()) {
    s = cursor.Next(&key, &payload, &meta);
    if (s.ok() && !emit(StoreBody(key, payload, meta), meta.version)) return Status::Ok();
  }
  return s.IsNotFound() ? Status::Ok() : s;
}

uint64_t Engine::Count() { return store_->Count(); }
uint64_t Engine::SizeBytes() { return store_->SizeBytes(); }

std::unique_ptr<ValueCursor> Engine::NewCursor() {
  return std::make_unique<ValueCursor>(store_->NewCursor());
}

Status Engine::LogRecord(const Origin& origin, std::string_view body, uint64_t* ts,
                         uint64_t* seq) {
  *seq = 0;
  if (ulog_ == nullptr) {
    *ts = clock_->Next();
    return Status::Ok();
  }
  uint16_t sid = origin.sid != 0 ? origin.sid : sid_;
  return ulog_->Append(sid, origin.mid, body, ts, seq, origin.deferred_log);
}

Status Engine::WaitDurable(uint64_t seq) {
  if (ulog_ == nullptr || seq == 0) return Status::Ok();
  return ulog_->WaitDurable(seq);
}

Status Engine::Mutate(std::string_view key, const Origin& origin, const Mutation& fn,
                      ValueMeta* written) {
  uint64_t seq = 0;
  Status result;
  {
    std::lock_guard lock(StripeOf(key));
    result = MutateLocked(key, origin, fn, written, &seq);
  }
  if (seq == 0) return result;  // nothing logged, or the write failed
  Status durable = WaitDurable(seq);
  return durable.ok() ? result : durable;
}

Status Engine::MutateLocked(std::string_view key, const Origin& origin, const Mutation& fn,
                            ValueMeta* written, uint64_t* seq) {
  std::string stored;
  Current current;
  Status s = store_->Get(key, &stored);
  const bool stored_found = s.ok();
  if (stored_found) {
    s = Unwrap(key, stored, &current.meta, &current.payload);
    if (!s.ok()) return s;
    current.exists = !IsExpired(current.meta, NowSeconds());
    if (!current.exists) current.payload = {};
  } else if (!s.IsNotFound()) {
    return s;
  }

  Change change = fn(current);
  switch (change.kind) {
    case Change::Kind::kKeep:
      return change.status;
    case Change::Kind::kSet:
      s = StoreLocked(key, origin, change.payload, change.meta, seq, written);
      break;
    case Change::Kind::kRemove:
      if (!stored_found) return Status::NotFound();  // an expired value is still purged
      s = RemoveLocked(key, origin, seq);
      break;
  }
  if (!s.ok()) {
    *seq = 0;
    return s;
  }
  return change.status;
}

Status Engine::WithLockedKeys(const std::vector<std::string_view>& keys, const Origin& origin,
                              const std::function<Status(LockedKeys&)>& fn) {
  std::vector<size_t> stripes;
  stripes.reserve(keys.size());
  for (std::string_view key : keys) stripes.push_back(StripeIndex(key));
  std::sort(stripes.begin(), stripes.end());
  stripes.erase(std::unique(stripes.begin(), stripes.end()), stripes.end());
  return RunLocked(std::move(stripes), origin, fn);
}

Status Engine::WithEveryKeyLocked(const Origin& origin,
                                  const std::function<Status(LockedKeys&)>& fn) {
  std::vector<size_t> stripes(kStripes);
  for (size_t i = 0; i < kStripes; ++i) stripes[i] = i;
  return RunLocked(std::move(stripes), origin, fn);
}

Status Engine::RunLocked(std::vector<size_t> stripes, const Origin& origin,
                         const std::function<Status(LockedKeys&)>& fn) {
  LockedKeys locked(this, origin, std::move(stripes));
  Status result;
  {
    // Ascending stripe order, as AllStripesLock takes them: no two lockers wait on each other.
    struct Hold {
      std::array<std::mutex, kStripes>& all;
      const std::vector<size_t>& held;
      Hold(std::array<std::mutex, kStripes>& all, const std::vector<size_t>& held)
          : all(all), held(held) {
        for (size_t stripe : held) all[stripe].lock();
      }
      ~Hold() {
        for (size_t stripe : held) all[stripe].unlock();
      }
    } hold(stripes_, locked.stripes_);
    result = fn(locked);
  }
  Status durable = WaitDurable(locked.last_seq_);
  return durable.ok() ? result : durable;
}

bool Engine::LockedKeys::Holds(std::string_view key) const {
  return std::binary_search(stripes_.begin(), stripes_.end(), StripeIndex(key));
}

Status Engine::LockedKeys::Read(std::string_view key, Current* current, std::string* storage) {
  if (!Holds(key)) return Status::InvalidArgument("key not held by this multi-key write");
  *current = Current();
  Status s = engine_->store_->Get(key, storage);
  if (s.IsNotFound()) return Status::Ok();
  if (!s.ok()) return s;
  s = Unwrap(key, *storage, &current->meta, &current->payload);
  if (!s.ok()) return s;
  current->exists = !IsExpired(current->meta, NowSeconds());
  if (!current->exists) current->payload = {};
  return Status::Ok();
}

Status Engine::LockedKeys::Set(std::string_view key, std::string_view payload,
                               const ValueMeta& meta) {
  if (!Holds(key)) return Status::InvalidArgument("key not held by this multi-key write");
  uint64_t seq = 0;
  Status s = engine_->StoreLocked(key, origin_, payload, meta, &seq, nullptr);
  if (seq != 0) last_seq_ = seq;
  return s;
}

Status Engine::LockedKeys::Remove(std::string_view key) {
  if (!Holds(key)) return Status::InvalidArgument("key not held by this multi-key write");
  std::string stored;
  Status s = engine_->store_->Get(key, &stored);
  if (!s.ok()) return s;
  uint64_t seq = 0;
  s = engine_->RemoveLocked(key, origin_, &seq);
  if (seq != 0) last_seq_ = seq;
  return s;
}

Status Engine::LockedKeys::Mutate(std::string_view key, const Mutation& fn, ValueMeta* written) {
  if (!Holds(key)) return Status::InvalidArgument("key not held by this multi-key write");
  uint64_t seq = 0;
  Status s = engine_->MutateLocked(key, origin_, fn, written, &seq);
  if (seq != 0) last_seq_ = seq;
  return s;
}

Status Engine::LockedKeys::Vanish() {
  if (stripes_.size() != kStripes) {
    return Status::InvalidArgument("vanish needs every key held (WithEveryKeyLocked)");
  }
  uint64_t seq = 0;
  Status s = engine_->VanishLocked(origin_, &seq);
  if (seq != 0) last_seq_ = seq;
  return s;
}

Status Engine::StoreLocked(std::string_view key, const Origin& origin, std::string_view payload,
                           const ValueMeta& wanted, uint64_t* seq, ValueMeta* written) {
  uint64_t ts;
  // Without a log the record body is not needed: do not build a copy of the value.
  Status s = LogRecord(origin, ulog_ != nullptr ? StoreBody(key, payload, wanted) : std::string(),
                       &ts, seq);
  if (!s.ok()) return s;
  ValueMeta meta = wanted;
  meta.version = ts;
  std::string envelope;
  EncodeEnvelope(meta, payload, &envelope);
  s = store_->Set(key, envelope);
  if (!s.ok()) return Compensate(key, origin, s);
  if (meta.expires_at != 0) ScheduleLocked(key, meta.expires_at);
  if (written != nullptr) *written = meta;
  return Status::Ok();
}

Status Engine::RemoveLocked(std::string_view key, const Origin& origin, uint64_t* seq) {
  uint64_t ts;
  Status s = LogRecord(origin, OutBody(key), &ts, seq);
  if (!s.ok()) return s;
  s = store_->Remove(key);
  if (!s.ok() && !s.IsNotFound()) return Compensate(key, origin, s);
  return Status::Ok();
}

Status Engine::Compensate(std::string_view key, const Origin& origin, const Status& failure) {
  LogError("the database refused a change that is already in the update log (", failure.ToString(),
           "); logging the key's unchanged state so that the log matches the database");
  // Read the store directly: Get() would purge an expired value, taking the
  // stripe that the caller already holds.
  std::string stored;
  ValueMeta meta;
  std::string_view payload;
  const bool exists = store_->Get(key, &stored).ok() && Unwrap(key, stored, &meta, &payload).ok();
  uint64_t ts, seq;
  Status s = LogRecord(origin, exists ? StoreBody(key, payload, meta) : OutBody(key), &ts, &seq);
  if (!s.ok()) {
    LogError("the compensating record could not be logged either (", s.ToString(),
             "): the update log now disagrees with the database for one key");
  }
  return failure;
}

Status Engine::Reapply(const UlogRecord& record) {
  ParsedBody body;
  Status s = ParseBody(record.body, &body);
  if (!s.ok()) return s;
  switch (body.command) {
    case kCmdPut:
    case kRecordPutMeta: {
      std::lock_guard lock(StripeOf(body.key));
      ValueMeta meta = body.meta;  // all zero for a put
      meta.version = record.ts;
      std::string envelope;
      EncodeEnvelope(meta, body.value, &envelope);
      s = store_->Set(body.key, envelope);
      if (s.ok() && meta.expires_at != 0) ScheduleLocked(body.key, meta.expires_at);
      return s;
    }
    case kCmdOut: {
      std::lock_guard lock(StripeOf(body.key));
      s = store_->Remove(body.key);
      return s.IsNotFound() ? Status::Ok() : s;
    }
    case kCmdVanish: {
      AllStripesLock lock(stripes_);
      s = store_->Clear();
      ClearSchedulesLocked();
      return s;
    }
    case kCmdSync:
    case kCmdOptimize:
      return Status::Ok();  // no data to bring back
    default:
      return Status::Unsupported(std::string(CommandName(body.command)) +
                                 " records are not effects of this server and are not re-applied");
  }
}

Status Engine::Put(std::string_view key, std::string_view value, const Origin& origin) {
  // A blind write: the current value does not matter, so it is not read.
  uint64_t seq = 0;
  {
    std::lock_guard lock(StripeOf(key));
    Status s = StoreLocked(key, origin, value, ValueMeta{}, &seq, nullptr);
    if (!s.ok()) return s;
  }
  return WaitDurable(seq);
}

Status Engine::PutWithMeta(std::string_view key, std::string_view value, const ValueMeta& meta,
                           const Origin& origin, ValueMeta* written) {
  uint64_t seq = 0;
  {
    std::lock_guard lock(StripeOf(key));
    Status s = StoreLocked(key, origin, value, meta, &seq, written);
    if (!s.ok()) return s;
  }
  return WaitDurable(seq);
}

bool Engine::PurgeIfExpired(std::string_view key) {
  std::lock_guard lock(StripeOf(key));
  bool expired = false;
  Status s = store_->Read(key, [&](std::string_view stored) {
    ValueMeta meta;
    std::string_view payload;
    expired = DecodeEnvelope(stored, &meta, &payload) && IsExpired(meta, NowSeconds());
  });
  if (!s.ok() || !expired) return false;
  if (!store_->Remove(key).ok()) return false;
  expired_purged_.fetch_add(1, std::memory_order_relaxed);
  return true;
}

bool Engine::ScheduleLocked(std::string_view key, int64_t expires_at) {
  ExpirySchedule& schedule = schedules_[StripeIndex(key)];
  if (!schedule.Holds(key)) {
    if (scheduled_.load(std::memory_order_relaxed) >= schedule_max_) {
      unscheduled_writes_.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
    scheduled_.fetch_add(1, std::memory_order_relaxed);
  }
  schedule.Note(key, expires_at);
  return true;
}

void Engine::ClearSchedulesLocked() {
  for (ExpirySchedule& schedule : schedules_) schedule.Clear();
  scheduled_.store(0, std::memory_order_relaxed);
  unscheduled_writes_.fetch_add(1, std::memory_order_relaxed);
}

uint64_t Engine::ExpireDue() {
  const int64_t now = NowSeconds();
  uint64_t purged = 0;
  std::vector<std::string> due;
  for (size_t stripe = 0; stripe < kStripes; ++stripe) {
    due.clear();
    {
      // The count changes under the stripe, as in ScheduleLocked, so that a
      // vanish (which zeroes it holding every stripe) never comes between.
      std::lock_guard lock(stripes_[stripe]);
      schedules_[stripe].TakeDue(now, &due);
      scheduled_.fetch_sub(due.size(), std::memory_order_relaxed);
    }
    // Re-checked under the stripe: a key rewritten since without an expiry stays.
    for (const std::string& key : due) purged += PurgeIfExpired(key) ? 1 : 0;
  }
  return purged;
}

uint64_t Engine::SweepExpired(const std::function<bool()>& stop) {
  const uint64_t unscheduled_at_start = unscheduled_writes_.load(std::memory_order_relaxed);
  // Every value with an expiry written since a sweep last left none behind
  // is in a schedule: a database whose expiring keys the schedule holds (or
  // that memcached clients never gave an expiry) is not read every interval.
  if (unscheduled_at_start == clean_after_writes_) return 0;
  // Collect first, purge after: a cursor must not walk a database that it
  // is changing, and each purge re-checks the value under its stripe.
  constexpr size_t kBatch = 1024;
  std::unique_ptr<StoreCursor> cursor = store_->NewCursor();
  if (!cursor->Jump().ok()) return 0;
  uint64_t purged = 0;
  bool left_unscheduled = false;
  std::vector<std::string> expired;
  std::vector<std::pair<std::string, int64_t>> later;
  std::string key, stored;
  const int64_t now = NowSeconds();
  bool more = true;
  while (more) {
    if (stop && stop()) return purged;
    expired.clear();
    later.clear();
    while (expired.size() + later.size() < kBatch) {
      if (!cursor->Next(&key, &stored).ok()) {
        more = false;
        break;
      }
      ValueMeta meta;
      std::string_view payload;
      if (!DecodeEnvelope(stored, &meta, &payload) || meta.expires_at == 0) continue;
      if (IsExpired(meta, now)) {
        expired.push_back(key);
      } else {
        later.emplace_back(key, meta.expires_at);
      }
    }
    for (const std::string& k : expired) purged += PurgeIfExpired(k) ? 1 : 0;
    for (const auto& [k, expires_at] : later) {
      std::lock_guard lock(StripeOf(k));
      // A key held already was noted by a write, newer than what was read here.
      if (schedules_[StripeIndex(k)].Holds(k)) continue;
      if (!ScheduleLocked(k, expires_at)) left_unscheduled = true;
    }
  }
  // A value with an expiry left out of the schedules keeps the sweep going;
  // none left ends it until the next write the schedules cannot take.
  clean_after_writes_ = left_unscheduled ? kNeverClean : unscheduled_at_start;
  return purged;
}

Status Engine::PutKeep(std::string_view key, std::string_view value, const Origin& origin) {
  return Mutate(key, origin, [value](const Current& cur) {
    if (cur.exists) return Change::Keep(Status::Exists());
    return Change::Set(std::string(value));
  });
}

Status Engine::PutCat(std::string_view key, std::string_view value, const Origin& origin) {
  return Mutate(key, origin, [value](const Current& cur) {
    std::string joined;
    joined.reserve(cur.payload.size() + value.size());
    joined.append(cur.payload).append(value);
    return Change::Set(std::move(joined), KeptMeta(cur));
  });
}

Status Engine::PutShl(std::string_view key, std::string_view value, int32_t width,
                      const Origin& origin) {
  if (width < 0) return Status::InvalidArgument("putshl width is negative");
  return Mutate(key, origin, [value, width](const Current& cur) {
    if (!cur.exists) return Change::Set(std::string(value));
    std::string joined;
    joined.reserve(cur.payload.size() + value.size());
    joined.append(cur.payload).append(value);
    size_t keep = std::min(joined.size(), static_cast<size_t>(width));
    return Change::Set(joined.substr(joined.size() - keep), KeptMeta(cur));
  });
}

Status Engine::Out(std::string_view key, const Origin& origin) {
  return Mutate(key, origin, [](const Current& cur) {
    if (!cur.exists) return Change::Keep(Status::NotFound());
    return Change::Remove();
  });
}

Status Engine::AddInt(std::string_view key, int32_t delta, int32_t* sum, const Origin& origin) {
  return Mutate(key, origin, [delta, sum](const Current& cur) {
    int32_t value = 0;
    if (cur.exists) {
      if (cur.payload.size() != sizeof(int32_t)) {
        return Change::Keep(Status::Failed("the existing value is not a 4-byte integer"));
      }
      std::memcpy(&value, cur.payload.data(), sizeof value);
    }
    // Wraps like the original's int arithmetic, without signed-overflow UB.
    value = static_cast<int32_t>(static_cast<uint32_t>(value) + static_cast<uint32_t>(delta));
    *sum = value;
    if (cur.exists && delta == 0) return Change::Keep();
    std::string bytes(sizeof value, '\0');
    std::memcpy(bytes.data(), &value, sizeof value);
    return Change::Set(std::move(bytes), KeptMeta(cur));
  });
}

Status Engine::AddDouble(std::string_view key, double delta, double* sum, const Origin& origin) {
  return Mutate(key, origin, [delta, sum](const Current& cur) {
    double value = 0;
    if (cur.exists) {
      if (cur.payload.size() != sizeof(double)) {
        return Change::Keep(Status::Failed("the existing value is not an 8-byte double"));
      }
      std::memcpy(&value, cur.payload.data(), sizeof value);
    }
    value += delta;
    if (std::isnan(value)) return Change::Keep(Status::Failed("the sum is not a number"));
    *sum = value;
    if (cur.exists && delta == 0) return Change::Keep();
    std::string bytes(sizeof value, '\0');
    std::memcpy(bytes.data(), &value, sizeof value);
    return Change::Set(std::move(bytes), KeptMeta(cur));
  });
}

Status Engine::WholeDatabase(const Origin& origin, const std::string& body,
                             const std::function<Status()>& fn) {
  uint64_t seq = 0;
  {
    AllStripesLock lock(stripes_);
    Status s = fn();
    if (s.ok()) {
      uint64_t ts;
      s = LogRecord(origin, body, &ts, &seq);
    }
    if (!s.ok()) return s;
  }
  return WaitDurable(seq);
}

Status Engine::Vanish(const Origin& origin) {
  uint64_t seq = 0;
  Status s;
  {
    AllStripesLock lock(stripes_);
    s = VanishLocked(origin, &seq);
  }
  Status durable = WaitDurable(seq);
  return durable.ok() ? s : durable;
}

Status Engine::VanishLocked(const Origin& origin, uint64_t* seq) {
  // A clear that failed part-way (one partition of several) may still have
  // removed records, so the vanish is logged either way: the log then errs
  // toward the empty database the client asked for, and the error says so.
  Status clear = store_->Clear();
  ClearSchedulesLocked();
  if (!clear.ok()) LogError("vanish failed part-way and is logged anyway: ", clear.ToString());
  uint64_t ts;
  Status s = LogRecord(origin, VanishBody(), &ts, seq);
  return s.ok() ? clear : s;
}

Status Engine::Optimize(std::string_view params, const Origin& origin) {
  return WholeDatabase(origin, OptimizeBody(params),
                       [this, params] { return store_->Optimize(params); });
}

Status Engine::Sync(const Origin& origin) {
  uint64_t synced_through = 0;
  Status s = WholeDatabase(origin, SyncBody(), [this, &synced_through] {
    // Every stripe is held: each logged record has reached the store.
    synced_through = clock_->Last();
    return store_->Synchronize(true);
  });
  if (s.ok() && ulog_ != nullptr) s = ulog_->Sync();
  if (s.ok() && ulog_ != nullptr) s = WriteCheckpoint(ulog_->dir(), synced_through);
  return s;
}

namespace {

// Runs `command` through /bin/sh with the current time in µs appended as its
// argument, as the original's "copy @command" does, and waits for it. The
// child gets an empty signal mask and default dispositions (the server blocks
// SIGTERM/SIGINT/SIGHUP and ignores SIGPIPE, which must not reach it).
Status RunCopyCommand(const std::string& command) {
  std::string line = command + " " + std::to_string(NowMicros());
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  const char* argv[] = {"sh", "-c", line.c_str(), nullptr};
  pid_t pid;
  int rc = posix_spawn(&pid, "/bin/sh", nullptr, &attr, const_cast<char**>(argv), environ);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) return Status::Failed("cannot run copy command `" + command + "`: " + strerror(rc));
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return Status::Failed("copy command `" + line + "` failed (wait status " +
                          std::to_string(status) + ")");
  }
  return Status::Ok();
}

}  // namespace

Status Engine::Checkpoint() {
  if (ulog_ == nullptr) return Status::Ok();
  uint64_t covered;
  {
    // With every stripe held no write is between its log append and its
    // store apply: every record up to now is in the store.
    AllStripesLock lock(stripes_);
    covered = clock_->Last();
  }
  Status s = store_->Synchronize(true);
  if (s.ok()) s = WriteCheckpoint(ulog_->dir(), covered);
  return s;
}

Status Engine::Copy(const std::string& path) {
  if (!path.empty() && path[0] == '@') return RunCopyCommand(path.substr(1));
  return store_->Copy(path);
}

}  // namespace tt
