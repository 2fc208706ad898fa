// memcached's semantics over the Engine, shared by the text, meta and binary
// memcached sessions: what set/add/replace/append/prepend/cas, get, touch,
// delete, incr/decr and flush_all do to an item, following memcached 1.6
// (protocol.txt). Sessions parse and encode; they decide nothing here.
//
// An item is a stored value with its envelope (partition/envelope.h): flags
// and absolute expiry are kept in the envelope, the CAS unique is the value's
// version (the timestamp of the write that produced it) unless a meta client
// chose one with E (touch and the recache token keep the CAS by setting it
// explicitly). Every write goes through the Engine's write path (Mutate, or
// PutWithMeta for a plain set, Vanish for flush_all), so it is logged (as
// put, putmeta, out or vanish) and replicated like any other write. Every
// function counts itself into ServerContext::stats (see stats.h).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "engine/engine.h"
#include "ttserver/memcached/memcached_prefix_stats.h"
#include "ttserver/server_context.h"

namespace tt::mc {

constexpr size_t kMaxKeyLength = 250;
// exptimes up to this many seconds are relative to now, larger ones absolute.
constexpr int64_t kMaxRelativeExptime = 60 * 60 * 24 * 30;
// What `version` answers on the memcached protocols (and memcached `stats`
// reports as version): the memcached release whose protocol we follow.
// Clients parse it to pick features, and libmemcached refuses a major
// version 0, so it cannot be ttserver's own version (stats tt_version has that).
constexpr std::string_view kMemcachedVersion = "1.6.18";

// True for a key memcached accepts: 1 to 250 bytes (fewer when `max_key`,
// the server's --max-key, is less), any bytes. In the text
// and meta protocols a key is a token, so it holds no space or line feed (and
// a NUL ends the command line): control bytes, DEL and bytes above 0x7F are
// key bytes there too, as in memcached (memaslap's keys start with 0x10s).
bool IsValidKey(std::string_view key, size_t max_key);

// The absolute expiry (UNIX seconds, 0 = never) of memcached exptime
// `exptime` received at `now_s`: 0 = never, negative = already expired, up to
// 30 days = relative to now, more = an absolute UNIX time.
int64_t AbsoluteExpiry(int64_t exptime, int64_t now_s);

// What every memcached session of one server shares: the pending delayed
// flush_all, a fixed-size table of recent fetches (for the meta `h` and
// `l` flags; a key whose entry was overwritten by another key's reads as
// "not fetched since written"), and the `stats detail` counts. Thread-safe.
class MemcacheState {
 public:
  MemcacheState();
  // Schedules a flush of every item at UNIX second `deadline`; 0 cancels.
  // Then calls the listener, so that the thread running flushes can plan.
  void ScheduleFlush(int64_t deadline);
  // Sets the listener ScheduleFlush calls. Set it before any session runs.
  void OnScheduleFlush(std::function<void()> listener) { on_schedule_ = std::move(listener); }
  int64_t flush_deadline() const { return flush_at_.load(); }
  // True once, when a scheduled flush is due at `now_s` (and unschedules it):
  // the caller then flushes.
  bool TakeDueFlush(int64_t now_s);
  // Records that `key` was fetched at `now_us` and returns when it was
  // fetched before, in µs, if that is known and after `since_us` (its
  // write); otherwise 0. One table slot per key: a read touches it once.
  uint64_t RecordFetch(std::string_view key, uint64_t now_us, uint64_t since_us);
  // When `key` was last fetched, as RecordFetch returns it, without recording.
  uint64_t LastFetch(std::string_view key, uint64_t since_us) const;
  // `stats detail`: the sessions count the classic commands into it.
  PrefixStats& prefix_stats() { return prefix_stats_; }

 private:
  struct Slot {
    std::atomic<uint64_t> key_hash{0};
    std::atomic<uint64_t> at_us{0};
  };
  static constexpr size_t kSlots = 1 << 16;
  std::atomic<int64_t> flush_at_{0};
  std::function<void()> on_schedule_;
  std::unique_ptr<Slot[]> slots_;
  PrefixStats prefix_stats_;
};

// An item as a reader sees it.
struct Item {
  std::string value;
  ValueMeta meta;              // flags, expires_at, state, Cas()
  uint64_t last_fetch_us = 0;  // the fetch before this one since the write; 0 = none
};

enum class Result {
  kStored,      // STORED / HD; for get, touch, delta: found and done
  kNotStored,   // add of an existing key, replace/append/prepend of a missing one
  kExists,      // CAS unique mismatch
  kNotFound,    // absent or expired (cas, delete, touch, incr/decr, get)
  kTooLarge,    // key + value above --mc-item-max: SERVER_ERROR object too large for cache
  kNonNumeric,  // incr/decr of a value that is not a decimal number
  kError,       // the store or the update log failed (logged): SERVER_ERROR
};

enum class StoreMode { kSet, kAdd, kReplace, kAppend, kPrepend, kCas };

struct StoreRequest {
  StoreMode mode = StoreMode::kSet;
  std::string_view key;
  std::string_view value;
  uint32_t flags = 0;      // ignored by append/prepend (the item keeps its own)
  int64_t exptime = 0;     // memcached exptime; ignored by append/prepend
  uint64_t cas = 0;        // kCas: the unique the client holds. Other modes:
                           // 0 = unconditional, else must equal the item's (binary, meta C)
  uint64_t new_cas = 0;    // meta E: the unique the item gets; 0 = its version
  bool invalidate = false;  // meta I: a cas older than the item's stores it, but the item
                            // stays stale with its expiry and recache token
};

// Stores per req.mode. *cas_out (if given) receives the new item's unique.
Result Store(ServerContext& context, const StoreRequest& req, uint64_t* cas_out = nullptr);

// A store whose item is above --mc-item-max (TooLarge), refused before its bytes were
// kept: counted as a put miss, and, as memcached does, a refused set removes
// the key's old value (a client must not go on reading the value it meant
// to replace).
void RefuseTooLarge(ServerContext& context, StoreMode mode, std::string_view key);

// Reads `key` into *item (counted as a get, noted as a fetch unless
// !mark_fetched: meta u). kNotFound if absent or expired.
Result Get(ServerContext& context, std::string_view key, Item* item, bool mark_fetched = true);

// Sets the expiry of `key` to `exptime` (memcached exptime); with `item`, also
// reads it (gat; noted as a fetch unless !mark_fetched). kNotFound if absent
// or expired.
Result Touch(ServerContext& context, std::string_view key, int64_t exptime, Item* item = nullptr,
             bool mark_fetched = true);

struct DeleteRequest {
  std::string_view key;
  uint64_t cas = 0;         // 0 = unconditional, else must equal the item's unique (kExists)
  bool invalidate = false;  // meta I: mark the item stale instead of removing it
  bool touch = false;       // meta I with T: also set the stale item's expiry to...
  int64_t exptime = 0;      // ...this memcached exptime, in the same write
};

// Deletes (or invalidates) an item. kStored on success, kNotFound if absent.
Result Delete(ServerContext& context, const DeleteRequest& req);

struct DeltaRequest {
  std::string_view key;
  bool incr = true;        // incr wraps at 2^64, decr stops at 0
  uint64_t delta = 0;
  uint64_t cas = 0;        // 0 = unconditional, else must equal the item's unique
  bool vivify = false;     // a missing key is created with `initial` (binary, meta N)
  uint64_t initial = 0;
  int64_t exptime = 0;     // memcached exptime of a vivified item
  uint32_t flags = 0;      // flags of a vivified item
  uint64_t new_cas = 0;    // meta E
  bool touch = false;      // meta T: also set the item's expiry to...
  int64_t touch_exptime = 0;  // ...this memcached exptime, in the same write
};

struct DeltaResult {
  uint64_t value = 0;    // the new number (the initial one if created)
  ValueMeta meta;        // the item as written: Cas(), expires_at
  bool created = false;  // vivified by this request
};

// incr/decr. On kStored fills *result. A vivified item is created with
// `initial` unchanged.
Result Delta(ServerContext& context, const DeltaRequest& req, DeltaResult* result);

// ---- the meta protocol's recache token (mg N, R; W/Z/X flags) ----

// mg N on a miss: creates an empty stub item expiring per `exptime` with its
// recache token handed out (this client wins), unless another writer got
// there first. Either way *item receives the item. Returns kStored when this
// request created it, kNotFound when the item already existed, kError on a
// store or log failure.
Result Vivify(ServerContext& context, std::string_view key, int64_t exptime, uint64_t new_cas,
              Item* item);
// True when a client that read `item` with mg should be asked to recache it
// (if no one was asked yet): the item is stale, or it has an expiry and,
// with `has_recache` (flag R), less than `recache_ttl` seconds left.
bool RecacheDue(const Item& item, bool has_recache, int64_t recache_ttl);
// Marks the recache token of the item whose unique is `cas` as handed out,
// keeping its CAS. False if the item changed meanwhile or another client
// took the token first.
bool ClaimRecacheToken(ServerContext& context, std::string_view key, uint64_t cas);
// Reads an item without counting a get or recording a fetch (meta `me`);
// item->last_fetch_us says when it was last fetched. kNotFound if absent.
Result Peek(ServerContext& context, std::string_view key, Item* item);

// flush_all with memcached exptime `exptime` (0 or negative = now; a delay
// of up to 30 days, or an absolute UNIX time). A later flush is scheduled
// (every item written before its deadline is flushed then; a later flush_all
// replaces the schedule) and nullptr returned. An immediate flush empties the
// database, which may take long: it is returned as work for the caller to
// run off the event loop, giving kStored or kError.
using FlushWork = std::function<Result()>;
FlushWork Flush(ServerContext& context, int64_t exptime);

// True when an item of a `key_size`-byte key and a `value_size`-byte value
// may not be stored: together longer than --mc-item-max. memcached counts
// the key too (and its item header, which has no counterpart here).
bool TooLarge(const ServerContext& context, size_t key_size, size_t value_size);

// The binary command whose counter and -mask bit a store mode shares
// (stats.h): add = putkeep, append = putcat, every other mode = put.
uint8_t CountedCommand(StoreMode mode);
// True when -mask refuses, on the memcached protocols, the memcached
// operation that does binary command `command`'s job (get → kCmdGet, the
// store modes → CountedCommand, delete → kCmdOut, incr/decr → kCmdAddInt,
// touch → kCmdPut, flush_all → kCmdVanish, stats → kCmdStat).
bool Forbidden(const ServerContext& context, uint8_t command);

}  // namespace tt::mc
