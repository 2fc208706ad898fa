// Engine: the only code that changes data (design.md "data path").
//
// Every write — from any protocol, from restore, from replication — is a
// Mutation run by Engine::Mutate, which locks the key's stripe, reads the
// current value, lets the mutation decide, appends the effect record to the
// update log (taking its timestamp, which becomes the value's version), applies
// it to the Store, and unlocks. So for every key, log order equals apply order,
// and every record reproduces a result rather than a command (design.md §2).
// With --ulog-sync always, Mutate returns only once the record is durable
// (group commit), after the stripe is released.
//
// Reads go straight to the Store and see payloads: envelopes are stripped and
// expired values read as absent.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "engine/expiry_schedule.h"
#include "partition/envelope.h"
#include "partition/store.h"
#include "ulog/record.h"
#include "ulog/ulog_writer.h"

namespace tt {

// Who a write comes from, for its log record: sid = origin server (0 = this
// server), mid = the master it was received from (0 = written here).
struct Origin {
  uint16_t sid = 0;
  uint16_t mid = 0;
  // The record may wait in the update log's memory (UlogWriter::Append
  // `deferred`) until UlogWriter::Flush(); no wait for --ulog-sync always.
  // For the replication slave, which saves its position only after a flush
  // and applies the records after it again after a crash.
  bool deferred_log = false;
};

// A key's value as a Mutation sees it. `payload` is valid only during the call.
struct Current {
  bool exists = false;
  std::string_view payload;
  ValueMeta meta;
};

// What a Mutation decides. kKeep changes nothing and logs nothing; `status`
// is what Mutate returns (e.g. Exists for putkeep on an existing key).
struct Change {
  enum class Kind { kKeep, kSet, kRemove };
  Kind kind = Kind::kKeep;
  std::string payload;       // kSet
  // kSet: the memcached metadata to store (flags, expires_at = absolute UNIX
  // seconds or 0, state, client cas). `meta.version` is ignored: the write's
  // record timestamp becomes the version.
  ValueMeta meta;
  Status status;

  static Change Keep(Status s = Status::Ok()) { Change c; c.status = std::move(s); return c; }
  static Change Set(std::string payload, const ValueMeta& meta = {}) {
    Change c;
    c.kind = Kind::kSet;
    c.payload = std::move(payload);
    c.meta = meta;
    return c;
  }
  static Change Remove() { Change c; c.kind = Kind::kRemove; return c; }
};

// Decides a key's new state from its current one. Runs with the key's stripe
// locked: it must not call back into the Engine.
using Mutation = std::function<Change(const Current&)>;

// A connection's walk over the database: keys with their payloads, expired
// values skipped. Not thread-safe (owned by one connection, design.md §8).
class ValueCursor {
 public:
  explicit ValueCursor(std::unique_ptr<StoreCursor> cursor) : cursor_(std::move(cursor)) {}
  Status Jump() { return cursor_->Jump(); }
  // See StoreCursor::Jump(key).
  Status Jump(std::string_view key) { return cursor_->Jump(key); }
  // NotFound at the end. `payload` may be null when only keys are wanted;
  // the value's metadata goes to *meta if given.
  Status Next(std::string* key, std::string* payload, ValueMeta* meta = nullptr);

 private:
  std::unique_ptr<StoreCursor> cursor_;
  std::string raw_;
};

class Engine {
 public:
  struct Options {
    Store* store = nullptr;          // REQUIRED, not owned
    UlogWriter* ulog = nullptr;      // optional (no update log), not owned
    TimestampClock* clock = nullptr; // REQUIRED, not owned; shared with `ulog`
    uint16_t sid = 0;                // this server's id (records of local writes)
    // The most keys with an expiry held in the expiry schedule (ExpireDue);
    // the periodic sweep finds the others.
    size_t expiry_schedule_max = 1000000;
  };
  explicit Engine(const Options& options);

  // ---- reads (thread-safe) ----
  // Receives a payload without copying it; valid only during the call.
  using PayloadReader = std::function<void(std::string_view payload, const ValueMeta& meta)>;
  // Calls `reader` with the payload and meta of `key` while the storage
  // library holds the record: `reader` must not call into the Engine or the
  // Store. NotFound if absent or expired; an expired value is purged then,
  // and *expired (if given) says whether NotFound was for an expired value.
  Status Read(std::string_view key, const PayloadReader& reader, bool* expired = nullptr);
  // Ok when `key` holds a value that has not expired, else NotFound (or the
  // store's error). Purges nothing and takes no stripe, so it may run while
  // WithLockedKeys holds stripes (a Redis SCAN inside EXEC).
  Status CheckLive(std::string_view key);
  // NotFound if absent or expired.
  Status Get(std::string_view key, std::string* payload, ValueMeta* meta = nullptr);
  Status ValueSize(std::string_view key, uint64_t* size);
  // Appends (key, payload) for every key found, in request order, duplicates
  // kept, stopping once the pairs found hold `byte_budget` bytes or more (so
  // that a small request cannot make a huge reply). Returns false if it stopped early.
  bool MultiGet(const std::vector<std::string_view>& keys,
                std::vector<std::pair<std::string, std::string>>* found,
                size_t byte_budget = SIZE_MAX);
  // Keys starting with `prefix`; max < 0 = unlimited, 0 = none.
  Status KeysWithPrefix(std::string_view prefix, int64_t max, std::vector<std::string>* keys);
  // A snapshot of the database (a new replication slave's, repl/feeder.h
  // SnapshotSource; the update log's base, engine/rebuild.h): walks the
  // database calling `emit` with the put or putmeta body of each live value
  // and the value's version until it returns false; every record up to
  // *start_ts is reflected in what was read. Writes go on meanwhile.
  using SnapshotEmit = std::function<bool(std::string_view body, uint64_t version)>;
  Status ReadSnapshot(uint64_t* start_ts, const SnapshotEmit& emit);
  uint64_t Count();
  uint64_t SizeBytes();
  std::unique_ptr<ValueCursor> NewCursor();

  // ---- the write path (thread-safe) ----
  // Runs `fn` on `key` as described at the top of this file. On kSet the new
  // value's meta (version = record timestamp) is stored in *written if given.
  Status Mutate(std::string_view key, const Origin& origin, const Mutation& fn,
                ValueMeta* written = nullptr);

  // Several keys written as one: the stripes of every key of `keys` are held
  // (in a fixed order, as Vanish holds them) while `fn` runs, so no other
  // write or whole-database operation comes between its reads and writes
  // (Redis's MSET and MSETNX). Inside, `fn` reads and writes through the
  // LockedKeys given to it, for keys of `keys` only; each write is logged as
  // its own record, as Mutate logs it. Returns what `fn` returns; with
  // --ulog-sync always, only once every record is durable.
  class LockedKeys;
  Status WithLockedKeys(const std::vector<std::string_view>& keys, const Origin& origin,
                        const std::function<Status(LockedKeys&)>& fn);
  // WithLockedKeys over every key there is (every stripe, as Vanish holds
  // them): for a group of writes that includes LockedKeys::Vanish (Redis's
  // EXEC of a queue with FLUSHALL). No other write runs meanwhile.
  Status WithEveryKeyLocked(const Origin& origin, const std::function<Status(LockedKeys&)>& fn);

  // The binary protocol's writes, built on Mutate. Put replaces the value
  // and its memcached metadata; PutCat, PutShl, AddInt and AddDouble change
  // the bytes of a value and keep its flags and expiry.
  Status Put(std::string_view key, std::string_view value, const Origin& origin = {});
  // A blind write of `value` with the memcached metadata of `meta` (version
  // ignored), logged as put or putmeta (ulog/record.h StoreBody). The stored
  // meta (with its version) goes to *written if given.
  Status PutWithMeta(std::string_view key, std::string_view value, const ValueMeta& meta,
                     const Origin& origin = {}, ValueMeta* written = nullptr);
  Status PutKeep(std::string_view key, std::string_view value, const Origin& origin = {});  // Exists
  Status PutCat(std::string_view key, std::string_view value, const Origin& origin = {});
  // Keeps the last `width` bytes of old‖value; an absent key stores `value`
  // whole (the original's quirk, binary-protocol.md §3.2).
  Status PutShl(std::string_view key, std::string_view value, int32_t width, const Origin& origin = {});
  Status Out(std::string_view key, const Origin& origin = {});  // NotFound
  // Adds to the 4-byte little-endian int32 stored at `key` (created if
  // absent). Failed if the value is not 4 bytes long.
  Status AddInt(std::string_view key, int32_t delta, int32_t* sum, const Origin& origin = {});
  // Adds to the 8-byte host-order double at `key`. Failed if the value is not
  // 8 bytes long or the sum is NaN.
  Status AddDouble(std::string_view key, double delta, double* sum, const Origin& origin = {});

  // Crash recovery: applies a record of this server's own update log to the
  // store without logging it again (it is in the log already), the value's
  // version being the record's timestamp. Only effect records (put, putmeta,
  // out, vanish; sync and optimize do nothing) are re-applied; other kinds
  // give Unsupported. Idempotent.
  Status Reapply(const UlogRecord& record);

  // ---- expiry (design.md §4) ----
  // Every value written with an expiry is noted in an in-memory schedule
  // (expiry_schedule.h), up to Options::expiry_schedule_max keys; ExpireDue,
  // run each second, removes the keys that are due. The sweep walks the
  // database for the rest: keys noted before a restart or past the limit.
  //
  // Removes `key` if its value has expired (re-checked under the key's
  // stripe). Not logged: an expired value reads as absent everywhere, and the
  // log's record of it carries the same absolute expiry. True if removed.
  bool PurgeIfExpired(std::string_view key);
  // Purges every scheduled key whose expiry has come (each re-checked: one
  // since rewritten without an expiry stays). Returns how many were removed.
  // Thread-safe; takes each stripe briefly.
  uint64_t ExpireDue();
  // Walks the whole database, purges every expired value and schedules the
  // values with a later expiry that the schedule does not hold yet (the
  // background sweep). Returns how many were removed. Runs without holding
  // stripes between keys, so writes go on meanwhile; returns early once
  // `stop` (checked every 1024 records) says so. Once a sweep finds no value
  // with an expiry that it could not schedule, later sweeps return at once
  // until a value with an expiry goes unscheduled. One caller at a time.
  uint64_t SweepExpired(const std::function<bool()>& stop = nullptr);
  // Keys the expiry schedule holds now.
  size_t ScheduledExpiries() const { return scheduled_.load(std::memory_order_relaxed); }
  // Expired values removed so far, by reads that met them and by sweeps.
  uint64_t ExpiredPurged() const { return expired_purged_.load(std::memory_order_relaxed); }

  // Whole-database operations: every stripe is locked while they run.
  Status Vanish(const Origin& origin = {});
  Status Optimize(std::string_view params, const Origin& origin = {});
  Status Sync(const Origin& origin = {});  // store and update log to the device; logged as sync
  // Synchronizes the store to the device and advances the update log's
  // checkpoint (ulog/checkpoint.h) over every record logged before the call,
  // bounding what start-up recovery re-applies. Holds the stripes only while
  // it reads the clock, so writes go on during the sync. Not logged. No-op
  // without an update log.
  Status Checkpoint();
  Status Copy(const std::string& path);    // hot backup; "@cmd" runs cmd with the time in µs

  // The keys WithLockedKeys holds, for its function's reads and writes.
  class LockedKeys {
   public:
    // The state of `key`; `current->payload` points into *storage. An
    // expired value reads as absent. InvalidArgument for a key not held.
    Status Read(std::string_view key, Current* current, std::string* storage);
    // Stores `payload` with the memcached metadata of `meta` (version
    // ignored), logged as put or putmeta.
    Status Set(std::string_view key, std::string_view payload, const ValueMeta& meta);
    // Removes `key` (logged as out); NotFound if it is not stored.
    Status Remove(std::string_view key);
    // Engine::Mutate of `key` with its stripe already held: the same
    // decisions, records and return values (NotFound for the removal of an
    // absent key), the durability wait left to the end of the group.
    Status Mutate(std::string_view key, const Mutation& fn, ValueMeta* written = nullptr);
    // Engine::Vanish with every stripe already held (WithEveryKeyLocked);
    // InvalidArgument otherwise.
    Status Vanish();

   private:
    friend class Engine;
    LockedKeys(Engine* engine, const Origin& origin, std::vector<size_t> stripes)
        : engine_(engine), origin_(origin), stripes_(std::move(stripes)) {}
    bool Holds(std::string_view key) const;

    Engine* engine_;
    Origin origin_;
    std::vector<size_t> stripes_;  // sorted
    uint64_t last_seq_ = 0;        // of the newest record written, for WaitDurable
  };

  Store& store() { return *store_; }
  UlogWriter* ulog() { return ulog_; }
  // The newest timestamp the clock handed out (the newest record's, with an
  // update log). Thread-safe.
  uint64_t LastTimestamp() const { return clock_->Last(); }
  uint16_t sid() const { return sid_; }

 private:
  static constexpr size_t kStripes = 256;
  static size_t StripeIndex(std::string_view key);
  std::mutex& StripeOf(std::string_view key) { return stripes_[StripeIndex(key)]; }
  // Appends a record (if there is a log) and returns its timestamp, or a
  // fresh clock value when there is no log. *seq is for WaitDurable.
  Status LogRecord(const Origin& origin, std::string_view body, uint64_t* ts, uint64_t* seq);
  Status WaitDurable(uint64_t seq);
  // Logs (key, payload, meta) as a put or putmeta and stores it with the
  // record's timestamp as its version. REQUIRES: the key's stripe is held.
  Status StoreLocked(std::string_view key, const Origin& origin, std::string_view payload,
                     const ValueMeta& meta, uint64_t* seq, ValueMeta* written);
  // Mutate's body: *seq is the record to wait for (0 = none). REQUIRES: the
  // key's stripe is held.
  Status MutateLocked(std::string_view key, const Origin& origin, const Mutation& fn,
                      ValueMeta* written, uint64_t* seq);
  // Locks `stripes` (sorted, unique) in ascending order, runs `fn` over them,
  // then waits for the records it wrote to be durable.
  Status RunLocked(std::vector<size_t> stripes, const Origin& origin,
                   const std::function<Status(LockedKeys&)>& fn);
  // Clears the store and logs a vanish. REQUIRES: every stripe is held.
  Status VanishLocked(const Origin& origin, uint64_t* seq);
  // Logs an out of `key` and removes it. REQUIRES: the key's stripe is held.
  Status RemoveLocked(std::string_view key, const Origin& origin, uint64_t* seq);
  // The store refused a change already appended to the log: appends a record
  // of the key's state as the store still holds it, so the log replays to
  // that. Returns `failure`. REQUIRES: the key's stripe is held.
  Status Compensate(std::string_view key, const Origin& origin, const Status& failure);

  // Read without the purge: `reader` (if not null) gets an unexpired value;
  // NotFound otherwise, with *expired true when an expired value is stored.
  Status ReadUnexpired(std::string_view key, const PayloadReader& reader, bool* expired);
  // Holds every stripe (whole-database operations), in a fixed order.
  class AllStripesLock {
   public:
    explicit AllStripesLock(std::array<std::mutex, kStripes>& stripes) : stripes_(stripes) {
      for (auto& stripe : stripes_) stripe.lock();
    }
    ~AllStripesLock() {
      for (auto& stripe : stripes_) stripe.unlock();
    }

   private:
    std::array<std::mutex, kStripes>& stripes_;
  };
  // Runs `fn` with every stripe locked, logging `body` if it succeeded.
  Status WholeDatabase(const Origin& origin, const std::string& body, const std::function<Status()>& fn);

  Store* store_;
  UlogWriter* ulog_;
  TimestampClock* clock_;
  uint16_t sid_;
  std::array<std::mutex, kStripes> stripes_;
  std::atomic<uint64_t> expired_purged_{0};
  // One expiry schedule per stripe, guarded by that stripe's mutex; the
  // number of keys they hold together, and its limit.
  std::array<ExpirySchedule, kStripes> schedules_;
  std::atomic<size_t> scheduled_{0};
  size_t schedule_max_;
  // Notes `key`'s expiry in its stripe's schedule and returns true, unless
  // the schedules are full (then counts an unscheduled write and returns
  // false). REQUIRES: the key's stripe is held.
  bool ScheduleLocked(std::string_view key, int64_t expires_at);
  // Empties every schedule (the database was cleared); a later sweep finds
  // whatever a partly failed clear left. REQUIRES: every stripe is held.
  void ClearSchedulesLocked();
  // Writes (and re-applied records) of a value with an expiry that no
  // schedule took, so far.
  std::atomic<uint64_t> unscheduled_writes_{0};
  // unscheduled_writes_ as it was when a sweep last found no value with an
  // expiry left unscheduled; kNeverClean until then. Used by SweepExpired's
  // caller only.
  static constexpr uint64_t kNeverClean = UINT64_MAX;
  uint64_t clean_after_writes_ = kNeverClean;
};

}  // namespace tt
