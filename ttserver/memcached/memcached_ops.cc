#include "ttserver/memcached/memcached_ops.h"

#include <charconv>
#include <ctime>
#include <functional>

#include "common/clock.h"
#include "common/commands.h"
#include "common/logging.h"

namespace tt::mc {

namespace {

int64_t NowSeconds() { return static_cast<int64_t>(time(nullptr)); }

void Count(std::atomic<uint64_t>& counter) { counter.fetch_add(1, std::memory_order_relaxed); }

// A failure of the store or the update log behind a memcached request: the
// client gets SERVER_ERROR, the operator the reason.
Result Failure(std::string_view what, std::string_view key, const Status& s) {
  LogError("memcached ", what, " of a key of ", key.size(), " bytes failed: ", s.ToString());
  return Result::kError;
}

// memcached's reading of a stored number: optional leading blanks, decimal
// digits that fit in 64 bits, optional trailing whitespace. False otherwise.
bool ParseStoredNumber(std::string_view text, uint64_t* value) {
  size_t begin = text.find_first_not_of(" \t");
  if (begin == std::string_view::npos) return false;
  size_t end = text.find_first_not_of("0123456789", begin);
  if (end == begin) return false;
  if (end != std::string_view::npos &&
      text.find_first_not_of(" \t\r\n\v\f", end) != std::string_view::npos) {
    return false;
  }
  if (end == std::string_view::npos) end = text.size();
  auto [ptr, ec] = std::from_chars(text.data() + begin, text.data() + end, *value);
  return ec == std::errc() && ptr == text.data() + end;
}

// Whether a conditional write (cas != 0) may go ahead on `current`.
// kStored = yes; kNotFound or kExists otherwise.
Result CheckCas(uint64_t cas, const Current& current) {
  if (cas == 0) return Result::kStored;
  if (!current.exists) return Result::kNotFound;
  return current.meta.Cas() == cas ? Result::kStored : Result::kExists;
}

}  // namespace

uint8_t CountedCommand(StoreMode mode) {
  switch (mode) {
    case StoreMode::kAdd: return kCmdPutKeep;
    case StoreMode::kAppend: return kCmdPutCat;
    default: return kCmdPut;
  }
}

bool Forbidden(const ServerContext& context, uint8_t command) {
  return context.mask.ForbidsVia(command, kMaskAllMc);
}

bool IsValidKey(std::string_view key, size_t max_key) {
  return !key.empty() && key.size() <= std::min(kMaxKeyLength, max_key);
}

int64_t AbsoluteExpiry(int64_t exptime, int64_t now_s) {
  if (exptime == 0) return 0;
  if (exptime < 0) return 1;  // long past: the item is expired from the start
  if (exptime <= kMaxRelativeExptime) return now_s + exptime;
  return exptime;
}

MemcacheState::MemcacheState() : slots_(std::make_unique<Slot[]>(kSlots)) {}

void MemcacheState::ScheduleFlush(int64_t deadline) {
  flush_at_.store(deadline);
  if (on_schedule_) on_schedule_();
}

bool MemcacheState::TakeDueFlush(int64_t now_s) {
  int64_t deadline = flush_at_.load();
  while (deadline != 0 && deadline <= now_s) {
    if (flush_at_.compare_exchange_weak(deadline, 0)) return true;
  }
  return false;
}

namespace {

// A non-zero hash of a key (0 marks an empty fetch-table slot).
uint64_t KeyHash(std::string_view key) { return std::hash<std::string_view>{}(key) | 1; }

}  // namespace

uint64_t MemcacheState::RecordFetch(std::string_view key, uint64_t now_us, uint64_t since_us) {
  const uint64_t hash = KeyHash(key);
  Slot& slot = slots_[hash % kSlots];
  const bool same_key = slot.key_hash.load(std::memory_order_relaxed) == hash;
  const uint64_t before = same_key ? slot.at_us.load(std::memory_order_relaxed) : 0;
  // Two relaxed stores: a reader racing with them may pair one key's hash
  // with another's time, which costs one wrong "last access" answer at worst.
  if (!same_key) slot.key_hash.store(hash, std::memory_order_relaxed);
  slot.at_us.store(now_us, std::memory_order_relaxed);
  return before > since_us ? before : 0;
}

uint64_t MemcacheState::LastFetch(std::string_view key, uint64_t since_us) const {
  const uint64_t hash = KeyHash(key);
  const Slot& slot = slots_[hash % kSlots];
  if (slot.key_hash.load(std::memory_order_relaxed) != hash) return 0;
  const uint64_t at = slot.at_us.load(std::memory_order_relaxed);
  return at > since_us ? at : 0;
}

Result Store(ServerContext& context, const StoreRequest& req, uint64_t* cas_out) {
  Stats& stats = *context.stats;
  stats.CountCommand(CountedCommand(req.mode));
  Result result = Result::kStored;
  if (TooLarge(context, req.key.size(), req.value.size())) {
    result = Result::kTooLarge;
  } else {
    const int64_t expires_at = AbsoluteExpiry(req.exptime, NowSeconds());
    ValueMeta written;
    // A plain set does not depend on the current value: a blind write, no read.
    const bool blind = req.mode == StoreMode::kSet && req.cas == 0;
    Status s = blind ? context.engine->PutWithMeta(
                           req.key, req.value,
                           ValueMeta{.flags = req.flags, .expires_at = expires_at, .cas = req.new_cas},
                           Origin{}, &written)
                     : context.engine->Mutate(req.key, Origin{}, [&](const Current& cur) {
      const uint64_t cas = req.mode == StoreMode::kCas && req.cas == 0 ? ~uint64_t{0} : req.cas;
      result = CheckCas(cas, cur);
      ValueMeta meta{.flags = req.flags, .expires_at = expires_at, .cas = req.new_cas};
      if (result == Result::kExists && req.invalidate && req.cas < cur.meta.Cas()) {
        // meta I: a write based on an older value still lands, but the item
        // stays stale with its TTL, and a recache token already handed out
        // stays handed out (its winner is still expected to recache), as in
        // memcached.
        meta.state = kValueStale | (cur.meta.state & kValueWinTokenSent);
        meta.expires_at = cur.meta.expires_at;
        result = Result::kStored;
      }
      if (result != Result::kStored) return Change::Keep();
      switch (req.mode) {
        case StoreMode::kAdd:
          if (cur.exists) result = Result::kNotStored;
          break;
        case StoreMode::kReplace:
        case StoreMode::kAppend:
        case StoreMode::kPrepend:
          if (!cur.exists) result = Result::kNotStored;
          break;
        default:
          break;
      }
      if (result != Result::kStored) return Change::Keep();
      if (req.mode != StoreMode::kAppend && req.mode != StoreMode::kPrepend) {
        return Change::Set(std::string(req.value), meta);
      }
      // An append past the limit is not stored, the item kept, as in memcached.
      if (TooLarge(context, req.key.size(), cur.payload.size() + req.value.size())) {
        result = Result::kNotStored;
        return Change::Keep();
      }
      // append/prepend keep the item's flags and expiry.
      meta.flags = cur.meta.flags;
      meta.expires_at = cur.meta.expires_at;
      meta.state |= cur.meta.state & kValueStale;
      std::string joined;
      joined.reserve(cur.payload.size() + req.value.size());
      if (req.mode == StoreMode::kAppend) {
        joined.append(cur.payload).append(req.value);
      } else {
        joined.append(req.value).append(cur.payload);
      }
      return Change::Set(std::move(joined), meta);
    }, &written);
    if (!s.ok()) result = Failure("store", req.key, s);
    if (result == Result::kStored && cas_out != nullptr) *cas_out = written.Cas();
  }
  if (result != Result::kStored) Count(stats.put_miss);
  if (req.mode == StoreMode::kCas) {
    if (result == Result::kStored) Count(stats.cas_hits);
    if (result == Result::kNotFound) Count(stats.cas_misses);
    if (result == Result::kExists) Count(stats.cas_badval);
  }
  return result;
}

void RefuseTooLarge(ServerContext& context, StoreMode mode, std::string_view key) {
  context.stats->CountCommand(CountedCommand(mode));
  Count(context.stats->put_miss);
  if (mode != StoreMode::kSet) return;
  Status s = context.engine->Out(key);
  if (!s.ok() && !s.IsNotFound()) Failure("removal of a too large set", key, s);
}

Result Get(ServerContext& context, std::string_view key, Item* item, bool mark_fetched) {
  Stats& stats = *context.stats;
  stats.CountCommand(kCmdGet);
  bool expired = false;
  Status s = context.engine->Read(
      key,
      [item](std::string_view payload, const ValueMeta& meta) {
        item->value.assign(payload);
        item->meta = meta;
      },
      &expired);
  if (!s.ok()) {
    Count(stats.get_miss);
    if (expired) Count(stats.get_expired);
    if (s.IsNotFound()) return Result::kNotFound;
    return Failure("get", key, s);
  }
  // The meta version is in µs, like the fetch times.
  item->last_fetch_us = mark_fetched
                            ? context.memcache->RecordFetch(key, NowMicros(), item->meta.version)
                            : context.memcache->LastFetch(key, item->meta.version);
  return Result::kStored;
}

Result Touch(ServerContext& context, std::string_view key, int64_t exptime, Item* item,
             bool mark_fetched) {
  Stats& stats = *context.stats;
  Count(stats.touch_cmds);
  const int64_t expires_at = AbsoluteExpiry(exptime, NowSeconds());
  bool found = false;
  std::string value;
  ValueMeta written;
  Status s = context.engine->Mutate(key, Origin{}, [&](const Current& cur) {
    found = cur.exists;
    if (!found) return Change::Keep();
    ValueMeta meta = cur.meta;
    meta.expires_at = expires_at;
    meta.cas = cur.meta.Cas();  // a touch keeps the CAS unique, as in memcached
    if (item != nullptr) {
      value.assign(cur.payload);
      item->last_fetch_us = mark_fetched
                                ? context.memcache->RecordFetch(key, NowMicros(), cur.meta.version)
                                : context.memcache->LastFetch(key, cur.meta.version);
    }
    return Change::Set(std::string(cur.payload), meta);
  }, &written);
  if (!s.ok()) return Failure("touch", key, s);
  if (!found) {
    Count(stats.touch_misses);
    return Result::kNotFound;
  }
  Count(stats.touch_hits);
  if (item != nullptr) {
    item->value = std::move(value);
    item->meta = written;
  }
  return Result::kStored;
}

Result Delete(ServerContext& context, const DeleteRequest& req) {
  Stats& stats = *context.stats;
  stats.CountCommand(kCmdOut);
  Result result = Result::kStored;
  const int64_t expires_at = req.touch ? AbsoluteExpiry(req.exptime, NowSeconds()) : 0;
  Status s = context.engine->Mutate(req.key, Origin{}, [&](const Current& cur) {
    result = CheckCas(req.cas, cur);
    if (result == Result::kStored && !cur.exists) result = Result::kNotFound;
    if (result != Result::kStored) return Change::Keep();
    if (!req.invalidate) return Change::Remove();
    ValueMeta meta = cur.meta;
    meta.state |= kValueStale;
    meta.state &= static_cast<uint8_t>(~kValueWinTokenSent);
    meta.cas = 0;
    if (req.touch) meta.expires_at = expires_at;
    return Change::Set(std::string(cur.payload), meta);
  });
  if (!s.ok() && !s.IsNotFound()) return Failure("delete", req.key, s);
  if (result == Result::kNotFound) Count(stats.out_miss);
  return result;
}

Result Delta(ServerContext& context, const DeltaRequest& req, DeltaResult* out) {
  Stats& stats = *context.stats;
  Result result = Result::kStored;
  bool found = false;
  const int64_t now = NowSeconds();
  ValueMeta written;
  *out = DeltaResult();
  Status s = context.engine->Mutate(req.key, Origin{}, [&](const Current& cur) {
    found = cur.exists;
    result = CheckCas(req.cas, cur);
    if (result != Result::kStored && !(result == Result::kNotFound && req.vivify)) {
      return Change::Keep();
    }
    if (!cur.exists) {
      if (!req.vivify) {
        result = Result::kNotFound;
        return Change::Keep();
      }
      result = Result::kStored;
      out->value = req.initial;
      out->created = true;
      ValueMeta meta{.flags = req.flags,
                     .expires_at = AbsoluteExpiry(req.touch ? req.touch_exptime : req.exptime, now),
                     .cas = req.new_cas};
      return Change::Set(std::to_string(req.initial), meta);
    }
    uint64_t number;
    if (!ParseStoredNumber(cur.payload, &number)) {
      result = Result::kNonNumeric;
      return Change::Keep();
    }
    if (req.incr) {
      number += req.delta;  // wraps modulo 2^64, as memcached does
    } else {
      number = number < req.delta ? 0 : number - req.delta;
    }
    out->value = number;
    ValueMeta meta = cur.meta;
    meta.cas = req.new_cas;
    if (req.touch) meta.expires_at = AbsoluteExpiry(req.touch_exptime, now);
    return Change::Set(std::to_string(number), meta);
  }, &written);
  if (!s.ok()) return Failure(req.incr ? "incr" : "decr", req.key, s);
  if (found) {
    Count(req.incr ? stats.incr_hits : stats.decr_hits);
  } else {
    Count(req.incr ? stats.incr_misses : stats.decr_misses);
  }
  if (result == Result::kStored) out->meta = written;
  return result;
}

Result Vivify(ServerContext& context, std::string_view key, int64_t exptime, uint64_t new_cas,
              Item* item) {
  bool created = false;
  ValueMeta written;
  Status s = context.engine->Mutate(key, Origin{}, [&](const Current& cur) {
    if (cur.exists) {
      item->value.assign(cur.payload);
      item->meta = cur.meta;
      return Change::Keep();
    }
    created = true;
    ValueMeta meta{.expires_at = AbsoluteExpiry(exptime, NowSeconds()),
                   .state = kValueWinTokenSent,
                   .cas = new_cas};
    return Change::Set(std::string(), meta);
  }, &written);
  if (!s.ok()) return Failure("vivify", key, s);
  if (!created) return Result::kNotFound;
  item->value.clear();
  item->meta = written;
  item->last_fetch_us = 0;
  return Result::kStored;
}

bool RecacheDue(const Item& item, bool has_recache, int64_t recache_ttl) {
  if ((item.meta.state & kValueStale) != 0) return true;
  return has_recache && item.meta.expires_at != 0 &&
         item.meta.expires_at < AbsoluteExpiry(recache_ttl, NowSeconds());
}

bool ClaimRecacheToken(ServerContext& context, std::string_view key, uint64_t cas) {
  bool claimed = false;
  Status s = context.engine->Mutate(key, Origin{}, [&](const Current& cur) {
    if (!cur.exists || cur.meta.Cas() != cas || (cur.meta.state & kValueWinTokenSent) != 0) {
      return Change::Keep();
    }
    claimed = true;
    ValueMeta meta = cur.meta;
    meta.state |= kValueWinTokenSent;
    meta.cas = cur.meta.Cas();  // handing out the token does not change the CAS
    return Change::Set(std::string(cur.payload), meta);
  });
  if (!s.ok()) Failure("recache token", key, s);
  return s.ok() && claimed;
}

Result Peek(ServerContext& context, std::string_view key, Item* item) {
  Status s = context.engine->Read(key, [item](std::string_view payload, const ValueMeta& meta) {
    item->value.assign(payload);
    item->meta = meta;
  });
  if (s.IsNotFound()) return Result::kNotFound;
  if (!s.ok()) return Failure("peek", key, s);
  item->last_fetch_us = context.memcache->LastFetch(key, item->meta.version);
  return Result::kStored;
}

FlushWork Flush(ServerContext& context, int64_t exptime) {
  context.stats->CountCommand(kCmdVanish);
  const int64_t now = NowSeconds();
  const int64_t deadline = exptime > 0 ? AbsoluteExpiry(exptime, now) : 0;
  if (deadline > now) {
    context.memcache->ScheduleFlush(deadline);
    return nullptr;
  }
  context.memcache->ScheduleFlush(0);
  return [engine = context.engine] {
    Status s = engine->Vanish();
    return s.ok() ? Result::kStored : Failure("flush_all", "", s);
  };
}

bool TooLarge(const ServerContext& context, size_t key_size, size_t value_size) {
  return key_size + value_size > context.limits.mc_item_max;
}

}  // namespace tt::mc
