#include "ttserver/resp/resp_commands.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <optional>
#include <unordered_map>

#include "common/clock.h"
#include "common/commands.h"
#include "common/logging.h"
#include "ttserver/resp/resp_parser.h"
#include "ttserver/resp/resp_reply.h"

namespace tt::resp {

namespace {

constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();
constexpr int64_t kInt64Min = std::numeric_limits<int64_t>::min();

// Redis's error replies.
constexpr std::string_view kSyntaxError = "ERR syntax error";
constexpr std::string_view kNotInteger = "ERR value is not an integer or out of range";
constexpr std::string_view kNotFloat = "ERR value is not a valid float";
constexpr std::string_view kOverflow = "ERR increment or decrement would overflow";
constexpr std::string_view kNanOrInfinity = "ERR increment would produce NaN or Infinity";
// Ours: Redis's limits are proto-max-bulk-len, ours --max-key and --max-value.
constexpr std::string_view kValueTooLarge = "ERR string exceeds maximum allowed size (--max-value)";
constexpr std::string_view kKeyTooLarge = "ERR key exceeds maximum allowed size (--max-key)";
constexpr std::string_view kReplyTooLarge =
    "ERR reply exceeds maximum allowed size (--max-value): ask for fewer keys";
constexpr std::string_view kStoreFailed =
    "ERR the database or the update log failed (see the server log)";

// Redis's longest number text for INCRBYFLOAT (MAX_LONG_DOUBLE_CHARS).
constexpr size_t kMaxLongDoubleChars = 5 * 1024;

// What HELLO reports as the server's version: the Redis release whose
// behaviour this build follows (and whose Debian package the tests check it
// against).
constexpr std::string_view kRedisVersion = "7.0.15";

int64_t NowMs() { return static_cast<int64_t>(NowMicros() / 1000); }

void Count(std::atomic<uint64_t>& counter) { counter.fetch_add(1, std::memory_order_relaxed); }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string Lower(std::string_view text) {
  std::string lower(text);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower;
}

struct CommandSpec;

// One command being run.
struct Call {
  ServerContext& context;
  Client& client;
  const std::vector<std::string_view>& args;
  std::string* out;
  const CommandSpec& spec;

  Engine& engine() { return *context.engine; }
  Stats& stats() { return *context.stats; }
  void Error(std::string_view message) { AppendError(out, message); }
  // A failure of the store or the update log: the client gets an error, the
  // operator the reason.
  void Failed(const Status& s) {
    LogError("RESP ", args[0], " failed: ", s.ToString());
    Error(kStoreFailed);
  }
  // False (with the error replied) when `key` is too long to be written.
  bool WritableKey(std::string_view key) {
    if (key.size() <= context.limits.max_key) return true;
    Error(kKeyTooLarge);
    return false;
  }
  bool StorableValue(std::string_view value) {
    if (value.size() <= context.limits.max_value) return true;
    Error(kValueTooLarge);
    return false;
  }
};

using Handler = Outcome (*)(Call&);

struct CommandSpec {
  std::string_view name;  // lower case, as errors name it
  int arity;              // Redis's: n = exactly n words with the name, -n = at least n
  Handler handler;
  // The binary command whose -mask bits refuse this command (ForbidsVia
  // with allresp); 0 = never refused.
  uint8_t mask_command;
};

// ---- expiry ----

enum class TimeUnit { kSeconds, kMilliseconds };

// An absolute time in UNIX milliseconds from a SET/SETEX/PSETEX argument, as
// Redis checks it: kNotInteger, or "invalid expire time" for a time of 0 or
// less or one that overflows. False with the error replied.
bool SetExpiry(Call& call, std::string_view text, TimeUnit unit, bool absolute, int64_t now_ms,
               int64_t* at_ms) {
  int64_t value = 0;
  if (!ParseInteger(text, &value)) {
    call.Error(kNotInteger);
    return false;
  }
  const bool invalid = value <= 0 || (unit == TimeUnit::kSeconds && value > kInt64Max / 1000);
  if (!invalid) {
    if (unit == TimeUnit::kSeconds) value *= 1000;
    if (absolute || value <= kInt64Max - now_ms) {
      *at_ms = absolute ? value : value + now_ms;
      return true;
    }
  }
  call.Error("ERR invalid expire time in '" + std::string(call.spec.name) + "' command");
  return false;
}

// The envelope meta of a value written by a Redis command: no memcached
// flags, the given expiry.
ValueMeta PlainMeta(int64_t expires_at) { return ValueMeta{.expires_at = expires_at}; }

// ---- strings ----

// Appends the bulk reply of `key`'s value, or null, and counts a get; on a
// failure of the store appends nothing and returns it.
Status AppendValue(Call& call, std::string_view key) {
  Stats& stats = call.stats();
  stats.CountCommand(kCmdGet);
  bool expired = false;
  std::string* out = call.out;
  Status s = call.engine().Read(
      key, [out](std::string_view payload, const ValueMeta&) { AppendBulk(out, payload); },
      &expired);
  if (s.ok()) return s;
  Count(stats.get_miss);
  if (expired) Count(stats.get_expired);
  if (!s.IsNotFound()) return s;
  AppendNull(out);
  return Status::Ok();
}

Outcome Get(Call& call) {
  if (Status s = AppendValue(call, call.args[1]); !s.ok()) call.Failed(s);
  return {};
}

// SET's options (Redis 7.0 parses them all before anything else).
struct SetOptions {
  bool nx = false;
  bool xx = false;
  bool get = false;
  bool keep_ttl = false;
  // EX PX EXAT PXAT: the unit, whether absolute, and the argument.
  std::optional<std::string_view> expire;
  TimeUnit unit = TimeUnit::kSeconds;
  bool absolute = false;
};

bool ParseSetOptions(const std::vector<std::string_view>& args, SetOptions* options) {
  for (size_t j = 3; j < args.size(); ++j) {
    const std::string_view option = args[j];
    const bool has_next = j + 1 < args.size();
    // Each expiry form may repeat (the last wins) but not mix with another or KEEPTTL.
    auto expiry_form = [&](TimeUnit unit, bool absolute) {
      if (options->keep_ttl || !has_next) return false;
      if (options->expire && (options->unit != unit || options->absolute != absolute)) {
        return false;
      }
      options->expire = args[++j];
      options->unit = unit;
      options->absolute = absolute;
      return true;
    };
    if (EqualsIgnoreCase(option, "nx") && !options->xx) {
      options->nx = true;
    } else if (EqualsIgnoreCase(option, "xx") && !options->nx) {
      options->xx = true;
    } else if (EqualsIgnoreCase(option, "get")) {
      options->get = true;
    } else if (EqualsIgnoreCase(option, "keepttl") && !options->expire) {
      options->keep_ttl = true;
    } else if (EqualsIgnoreCase(option, "ex")) {
      if (!expiry_form(TimeUnit::kSeconds, false)) return false;
    } else if (EqualsIgnoreCase(option, "px")) {
      if (!expiry_form(TimeUnit::kMilliseconds, false)) return false;
    } else if (EqualsIgnoreCase(option, "exat")) {
      if (!expiry_form(TimeUnit::kSeconds, true)) return false;
    } else if (EqualsIgnoreCase(option, "pxat")) {
      if (!expiry_form(TimeUnit::kMilliseconds, true)) return false;
    } else {
      return false;
    }
  }
  return true;
}

// What a SET-like write asks for.
struct SetWrite {
  std::string_view key;
  std::string_view value;
  bool nx = false;
  bool xx = false;
  bool keep_ttl = false;
  bool has_expiry = false;
  int64_t at_ms = 0;      // with has_expiry: when the value ends (UNIX ms)
  bool want_old = false;  // SET ... GET, GETSET: the old value is replied
};

// The outcome of a SetWrite.
struct SetResult {
  bool stored = false;  // false: NX or XX said no
  bool existed = false;
  std::string old;  // with want_old and existed
};

// Writes per `write` through the Engine; false (with the error replied) on failure.
bool DoSet(Call& call, const SetWrite& write, SetResult* result) {
  Stats& stats = call.stats();
  stats.CountCommand(write.nx ? kCmdPutKeep : kCmdPut);
  const int64_t now_ms = NowMs();
  // A time already past stores nothing and removes the key, as Redis does.
  const bool gone = write.has_expiry && write.at_ms <= now_ms;
  const int64_t expires_at = write.has_expiry && !gone ? ExpiresAtOf(write.at_ms) : 0;
  Status s;
  if (!write.nx && !write.xx && !write.keep_ttl && !write.want_old && !gone) {
    // A blind write: the current value does not matter, so it is not read.
    s = call.engine().PutWithMeta(write.key, write.value, PlainMeta(expires_at));
    result->stored = s.ok();
  } else {
    s = call.engine().Mutate(write.key, Origin{}, [&](const Current& current) {
      result->existed = current.exists;
      if (write.want_old && current.exists) result->old.assign(current.payload);
      if ((write.nx && current.exists) || (write.xx && !current.exists)) return Change::Keep();
      result->stored = true;
      if (gone) return Change::Remove();
      const int64_t kept = write.keep_ttl && current.exists ? current.meta.expires_at : expires_at;
      return Change::Set(std::string(write.value), PlainMeta(kept));
    });
    if (s.IsNotFound()) s = Status::Ok();  // the removal of a key that was not there
  }
  if (!s.ok()) {
    Count(stats.put_miss);
    call.Failed(s);
    return false;
  }
  if (!result->stored) Count(stats.put_miss);
  return true;
}

Outcome Set(Call& call) {
  SetOptions options;
  if (!ParseSetOptions(call.args, &options)) {
    call.Error(kSyntaxError);
    return {};
  }
  SetWrite write{.key = call.args[1],
                 .value = call.args[2],
                 .nx = options.nx,
                 .xx = options.xx,
                 .keep_ttl = options.keep_ttl,
                 .want_old = options.get};
  if (options.expire) {
    write.has_expiry = true;
    if (!SetExpiry(call, *options.expire, options.unit, options.absolute, NowMs(), &write.at_ms)) {
      return {};
    }
  }
  if (!call.WritableKey(write.key) || !call.StorableValue(write.value)) return {};
  SetResult result;
  if (!DoSet(call, write, &result)) return {};
  if (options.get) {
    result.existed ? AppendBulk(call.out, result.old) : AppendNull(call.out);
  } else if (result.stored) {
    AppendSimple(call.out, "OK");
  } else {
    AppendNull(call.out);
  }
  return {};
}

Outcome SetNx(Call& call) {
  if (!call.WritableKey(call.args[1]) || !call.StorableValue(call.args[2])) return {};
  SetResult result;
  if (DoSet(call, {.key = call.args[1], .value = call.args[2], .nx = true}, &result)) {
    AppendInteger(call.out, result.stored ? 1 : 0);
  }
  return {};
}

// SETEX key seconds value, PSETEX key milliseconds value.
Outcome SetWithExpiry(Call& call, TimeUnit unit) {
  SetWrite write{.key = call.args[1], .value = call.args[3], .has_expiry = true};
  if (!SetExpiry(call, call.args[2], unit, false, NowMs(), &write.at_ms)) return {};
  if (!call.WritableKey(write.key) || !call.StorableValue(write.value)) return {};
  SetResult result;
  if (DoSet(call, write, &result)) AppendSimple(call.out, "OK");
  return {};
}
Outcome SetEx(Call& call) { return SetWithExpiry(call, TimeUnit::kSeconds); }
Outcome PSetEx(Call& call) { return SetWithExpiry(call, TimeUnit::kMilliseconds); }

Outcome GetSet(Call& call) {
  if (!call.WritableKey(call.args[1]) || !call.StorableValue(call.args[2])) return {};
  SetResult result;
  if (DoSet(call, {.key = call.args[1], .value = call.args[2], .want_old = true}, &result)) {
    result.existed ? AppendBulk(call.out, result.old) : AppendNull(call.out);
  }
  return {};
}

Outcome GetDel(Call& call) {
  Stats& stats = call.stats();
  stats.CountCommand(kCmdGet);
  stats.CountCommand(kCmdOut);
  std::optional<std::string> old;
  Status s = call.engine().Mutate(call.args[1], Origin{}, [&](const Current& current) {
    if (!current.exists) return Change::Keep();
    old.emplace(current.payload);
    return Change::Remove();
  });
  if (!s.ok() && !s.IsNotFound()) {
    call.Failed(s);
    return {};
  }
  if (old) {
    AppendBulk(call.out, *old);
  } else {
    Count(stats.get_miss);
    Count(stats.out_miss);
    AppendNull(call.out);
  }
  return {};
}

Outcome MGet(Call& call) {
  // One reply holds at most --max-value bytes (as the binary mget's does),
  // so a short request cannot ask for an unbounded reply.
  const size_t start = call.out->size();
  const size_t budget = call.context.limits.max_value;
  AppendArrayHeader(call.out, call.args.size() - 1);
  for (size_t i = 1; i < call.args.size(); ++i) {
    Status s = AppendValue(call, call.args[i]);
    if (!s.ok()) {
      call.out->resize(start);
      call.Failed(s);
      return {};
    }
    if (call.out->size() - start > budget) {
      call.out->resize(start);
      call.Error(kReplyTooLarge);
      return {};
    }
  }
  return {};
}

// MSET and MSETNX: all keys at once, with their stripes held.
Outcome MSetGeneric(Call& call, bool nx) {
  const std::vector<std::string_view>& args = call.args;
  if (args.size() % 2 == 0) {
    call.Error("ERR wrong number of arguments for '" + std::string(call.spec.name) + "' command");
    return {};
  }
  std::vector<std::string_view> keys;
  keys.reserve(args.size() / 2);
  for (size_t i = 1; i < args.size(); i += 2) {
    if (!call.WritableKey(args[i]) || !call.StorableValue(args[i + 1])) return {};
    keys.push_back(args[i]);
  }
  Stats& stats = call.stats();
  bool stored = true;
  Status s = call.engine().WithLockedKeys(keys, Origin{}, [&](Engine::LockedKeys& locked) {
    if (nx) {
      std::string storage;
      for (std::string_view key : keys) {
        Current current;
        if (Status read = locked.Read(key, &current, &storage); !read.ok()) return read;
        if (current.exists) {
          stored = false;
          return Status::Ok();
        }
      }
    }
    for (size_t i = 1; i < args.size(); i += 2) {
      if (Status set = locked.Set(args[i], args[i + 1], PlainMeta(0)); !set.ok()) return set;
    }
    return Status::Ok();
  });
  for (size_t i = 0; i < keys.size(); ++i) {
    stats.CountCommand(nx ? kCmdPutKeep : kCmdPut);
    if (!s.ok() || !stored) Count(stats.put_miss);
  }
  if (!s.ok()) {
    call.Failed(s);
  } else if (nx) {
    AppendInteger(call.out, stored ? 1 : 0);
  } else {
    AppendSimple(call.out, "OK");
  }
  return {};
}
Outcome MSet(Call& call) { return MSetGeneric(call, false); }
Outcome MSetNx(Call& call) { return MSetGeneric(call, true); }

Outcome Append(Call& call) {
  const std::string_view key = call.args[1], tail = call.args[2];
  if (!call.WritableKey(key)) return {};
  Stats& stats = call.stats();
  stats.CountCommand(kCmdPutCat);
  const size_t max_value = call.context.limits.max_value;
  bool too_large = false;
  size_t length = 0;
  Status s = call.engine().Mutate(key, Origin{}, [&](const Current& current) {
    if (current.payload.size() + tail.size() > max_value) {
      too_large = true;
      return Change::Keep();
    }
    std::string joined;
    joined.reserve(current.payload.size() + tail.size());
    joined.append(current.payload).append(tail);
    length = joined.size();
    // A value's flags and expiry stay, as Redis keeps a key's TTL.
    ValueMeta meta;
    if (current.exists) meta = {.flags = current.meta.flags, .expires_at = current.meta.expires_at};
    return Change::Set(std::move(joined), meta);
  });
  if (!s.ok() || too_large) Count(stats.put_miss);
  if (!s.ok()) {
    call.Failed(s);
  } else if (too_large) {
    call.Error(kValueTooLarge);
  } else {
    AppendInteger(call.out, static_cast<int64_t>(length));
  }
  return {};
}

Outcome StrLen(Call& call) {
  call.stats().CountCommand(kCmdVsiz);
  uint64_t size = 0;
  Status s = call.engine().ValueSize(call.args[1], &size);
  if (!s.ok() && !s.IsNotFound()) {
    call.Failed(s);
    return {};
  }
  AppendInteger(call.out, s.ok() ? static_cast<int64_t>(size) : 0);
  return {};
}

// INCR DECR INCRBY DECRBY: adds `delta` to the integer stored at the key (0
// when absent), keeping its flags and expiry.
Outcome AddInteger(Call& call, int64_t delta) {
  const std::string_view key = call.args[1];
  if (!call.WritableKey(key)) return {};
  call.stats().CountCommand(kCmdAddInt);
  std::string_view error;
  int64_t sum = 0;
  Status s = call.engine().Mutate(key, Origin{}, [&](const Current& current) {
    int64_t value = 0;
    if (current.exists && !ParseInteger(current.payload, &value)) {
      error = kNotInteger;
      return Change::Keep();
    }
    if ((delta < 0 && value < 0 && delta < kInt64Min - value) ||
        (delta > 0 && value > 0 && delta > kInt64Max - value)) {
      error = kOverflow;
      return Change::Keep();
    }
    sum = value + delta;
    ValueMeta meta;
    if (current.exists) meta = {.flags = current.meta.flags, .expires_at = current.meta.expires_at};
    return Change::Set(std::to_string(sum), meta);
  });
  if (!s.ok()) {
    call.Failed(s);
  } else if (!error.empty()) {
    call.Error(error);
  } else {
    AppendInteger(call.out, sum);
  }
  return {};
}
Outcome Incr(Call& call) { return AddInteger(call, 1); }
Outcome Decr(Call& call) { return AddInteger(call, -1); }
Outcome IncrBy(Call& call) {
  int64_t delta = 0;
  if (!ParseInteger(call.args[2], &delta)) {
    call.Error(kNotInteger);
    return {};
  }
  return AddInteger(call, delta);
}
Outcome DecrBy(Call& call) {
  int64_t delta = 0;
  if (!ParseInteger(call.args[2], &delta)) {
    call.Error(kNotInteger);
    return {};
  }
  if (delta == kInt64Min) {
    call.Error("ERR decrement would overflow");
    return {};
  }
  return AddInteger(call, -delta);
}

// Redis's reading of a float argument or value (string2ld): strtold over the
// whole text, no leading blank, not NaN, not out of range.
bool ParseLongDouble(std::string_view text, long double* value) {
  if (text.empty() || text.size() >= kMaxLongDoubleChars) return false;
  if (std::isspace(static_cast<unsigned char>(text[0]))) return false;
  const std::string terminated(text);
  errno = 0;
  char* end = nullptr;
  const long double parsed = std::strtold(terminated.c_str(), &end);
  // Like Redis, stop at a NUL: what follows one is not looked at.
  if (*end != '\0') return false;
  if (errno == ERANGE && (std::isinf(parsed) || parsed == 0)) return false;
  if (std::isnan(parsed)) return false;
  *value = parsed;
  return true;
}

Outcome IncrByFloat(Call& call) {
  const std::string_view key = call.args[1];
  if (!call.WritableKey(key)) return {};
  call.stats().CountCommand(kCmdAddDouble);
  std::string_view error;
  std::string sum;
  Status s = call.engine().Mutate(key, Origin{}, [&](const Current& current) {
    long double value = 0, increment = 0;
    if ((current.exists && !ParseLongDouble(current.payload, &value)) ||
        !ParseLongDouble(call.args[2], &increment)) {
      error = kNotFloat;
      return Change::Keep();
    }
    value += increment;
    if (std::isnan(value) || std::isinf(value)) {
      error = kNanOrInfinity;
      return Change::Keep();
    }
    sum = FormatLongDouble(value);
    ValueMeta meta;
    if (current.exists) meta = {.flags = current.meta.flags, .expires_at = current.meta.expires_at};
    return Change::Set(sum, meta);
  });
  if (!s.ok()) {
    call.Failed(s);
  } else if (!error.empty()) {
    call.Error(error);
  } else {
    AppendBulk(call.out, sum);
  }
  return {};
}

// ---- keys ----

// DEL and UNLINK (the same here: removal is never slow for one key).
Outcome Del(Call& call) {
  Stats& stats = call.stats();
  int64_t removed = 0;
  for (size_t i = 1; i < call.args.size(); ++i) {
    stats.CountCommand(kCmdOut);
    bool existed = false;
    Status s = call.engine().Mutate(call.args[i], Origin{}, [&](const Current& current) {
      existed = current.exists;
      return existed ? Change::Remove() : Change::Keep();
    });
    if (!s.ok() && !s.IsNotFound()) {
      call.Failed(s);
      return {};
    }
    if (existed) {
      ++removed;
    } else {
      Count(stats.out_miss);
    }
  }
  AppendInteger(call.out, removed);
  return {};
}

Outcome Exists(Call& call) {
  Stats& stats = call.stats();
  int64_t found = 0;
  for (size_t i = 1; i < call.args.size(); ++i) {
    stats.CountCommand(kCmdGet);
    Status s = call.engine().Read(call.args[i], [](std::string_view, const ValueMeta&) {});
    if (s.ok()) {
      ++found;
    } else if (s.IsNotFound()) {
      Count(stats.get_miss);
    } else {
      call.Failed(s);
      return {};
    }
  }
  AppendInteger(call.out, found);
  return {};
}

// EXPIRE PEXPIRE EXPIREAT PEXPIREAT key time [NX | XX | GT | LT].
Outcome ExpireGeneric(Call& call, TimeUnit unit, bool absolute) {
  const std::vector<std::string_view>& args = call.args;
  bool nx = false, xx = false, gt = false, lt = false;
  for (size_t j = 3; j < args.size(); ++j) {
    if (EqualsIgnoreCase(args[j], "nx")) {
      nx = true;
    } else if (EqualsIgnoreCase(args[j], "xx")) {
      xx = true;
    } else if (EqualsIgnoreCase(args[j], "gt")) {
      gt = true;
    } else if (EqualsIgnoreCase(args[j], "lt")) {
      lt = true;
    } else {
      call.Error("ERR Unsupported option " + std::string(args[j]));
      return {};
    }
  }
  if (nx && (xx || gt || lt)) {
    call.Error("ERR NX and XX, GT or LT options at the same time are not compatible");
    return {};
  }
  if (gt && lt) {
    call.Error("ERR GT and LT options at the same time are not compatible");
    return {};
  }
  int64_t when = 0;
  if (!ParseInteger(args[2], &when)) {
    call.Error(kNotInteger);
    return {};
  }
  const int64_t now_ms = NowMs();
  const int64_t base = absolute ? 0 : now_ms;
  bool invalid = false;
  if (unit == TimeUnit::kSeconds) {
    invalid = when > kInt64Max / 1000 || when < kInt64Min / 1000;
    if (!invalid) when *= 1000;
  }
  invalid = invalid || when > kInt64Max - base;
  if (invalid) {
    call.Error("ERR invalid expire time in '" + std::string(call.spec.name) + "' command");
    return {};
  }
  when += base;
  Stats& stats = call.stats();
  Count(stats.touch_cmds);
  const bool gone = when <= now_ms;
  const int64_t expires_at = gone ? 0 : ExpiresAtOf(when);
  bool changed = false;
  Status s = call.engine().Mutate(args[1], Origin{}, [&](const Current& current) {
    if (!current.exists) return Change::Keep();
    const int64_t current_at = current.meta.expires_at;  // 0 = never
    if ((nx && current_at != 0) || (xx && current_at == 0)) return Change::Keep();
    // No expiry counts as an infinitely distant one.
    if (gt && (current_at == 0 || gone || expires_at <= current_at)) return Change::Keep();
    if (lt && current_at != 0 && !gone && expires_at >= current_at) return Change::Keep();
    changed = true;
    if (gone) return Change::Remove();
    ValueMeta meta = current.meta;
    meta.expires_at = expires_at;
    meta.cas = current.meta.Cas();  // as memcached's touch, the CAS stays
    return Change::Set(std::string(current.payload), meta);
  });
  if (!s.ok()) {
    call.Failed(s);
    return {};
  }
  Count(changed ? stats.touch_hits : stats.touch_misses);
  AppendInteger(call.out, changed ? 1 : 0);
  return {};
}
Outcome Expire(Call& call) { return ExpireGeneric(call, TimeUnit::kSeconds, false); }
Outcome PExpire(Call& call) { return ExpireGeneric(call, TimeUnit::kMilliseconds, false); }
Outcome ExpireAt(Call& call) { return ExpireGeneric(call, TimeUnit::kSeconds, true); }
Outcome PExpireAt(Call& call) { return ExpireGeneric(call, TimeUnit::kMilliseconds, true); }

// TTL and PTTL: -2 for a missing key, -1 for one without expiry.
Outcome TtlGeneric(Call& call, TimeUnit unit) {
  call.stats().CountCommand(kCmdGet);
  int64_t expires_at = 0;
  Status s = call.engine().Read(
      call.args[1], [&](std::string_view, const ValueMeta& meta) { expires_at = meta.expires_at; });
  if (s.IsNotFound()) {
    Count(call.stats().get_miss);
    AppendInteger(call.out, -2);
  } else if (!s.ok()) {
    call.Failed(s);
  } else if (expires_at == 0) {
    AppendInteger(call.out, -1);
  } else {
    const int64_t remaining = RemainingMs(expires_at, NowMs());
    // Whole seconds left, rounded down: right after EX n it reads n.
    AppendInteger(call.out, unit == TimeUnit::kSeconds ? remaining / 1000 : remaining);
  }
  return {};
}
Outcome Ttl(Call& call) { return TtlGeneric(call, TimeUnit::kSeconds); }
Outcome PTtl(Call& call) { return TtlGeneric(call, TimeUnit::kMilliseconds); }

Outcome Persist(Call& call) {
  Stats& stats = call.stats();
  Count(stats.touch_cmds);
  bool changed = false;
  Status s = call.engine().Mutate(call.args[1], Origin{}, [&](const Current& current) {
    if (!current.exists || current.meta.expires_at == 0) return Change::Keep();
    changed = true;
    ValueMeta meta = current.meta;
    meta.expires_at = 0;
    meta.cas = current.meta.Cas();
    return Change::Set(std::string(current.payload), meta);
  });
  if (!s.ok()) {
    call.Failed(s);
    return {};
  }
  Count(changed ? stats.touch_hits : stats.touch_misses);
  AppendInteger(call.out, changed ? 1 : 0);
  return {};
}

// ---- the database ----

Outcome DbSize(Call& call) {
  call.stats().CountCommand(kCmdRnum);
  AppendInteger(call.out, static_cast<int64_t>(call.engine().Count()));
  return {};
}

// FLUSHDB and FLUSHALL [ASYNC | SYNC]: one database, so both empty it. It
// may take long, so it runs off the event loop (kDeferred); either way the
// reply comes once the database is empty.
Outcome Flush(Call& call) {
  if (call.args.size() > 2 || (call.args.size() == 2 && !EqualsIgnoreCase(call.args[1], "async") &&
                               !EqualsIgnoreCase(call.args[1], "sync"))) {
    call.Error(kSyntaxError);
    return {};
  }
  call.stats().CountCommand(kCmdVanish);
  Outcome outcome;
  outcome.kind = Outcome::Kind::kDeferred;
  outcome.work = [engine = call.context.engine, name = std::string(call.spec.name)] {
    Status s = engine->Vanish();
    std::string reply;
    if (s.ok()) {
      AppendSimple(&reply, "OK");
    } else {
      LogError("RESP ", name, " failed: ", s.ToString());
      AppendError(&reply, kStoreFailed);
    }
    return reply;
  };
  return outcome;
}

// ---- connection ----

Outcome Ping(Call& call) {
  if (call.args.size() > 2) {
    call.Error("ERR wrong number of arguments for 'ping' command");
  } else if (call.args.size() == 2) {
    AppendBulk(call.out, call.args[1]);
  } else {
    AppendSimple(call.out, "PONG");
  }
  return {};
}

Outcome Echo(Call& call) {
  AppendBulk(call.out, call.args[1]);
  return {};
}

Outcome Quit(Call& call) {
  AppendSimple(call.out, "OK");
  Outcome outcome;
  outcome.kind = Outcome::Kind::kClose;
  return outcome;
}

Outcome Select(Call& call) {
  int64_t index = 0;
  if (!ParseInteger(call.args[1], &index) || index < std::numeric_limits<int32_t>::min() ||
      index > std::numeric_limits<int32_t>::max()) {
    call.Error(kNotInteger);
  } else if (index != 0) {
    // One database: Redis's answer for an index it does not have.
    call.Error("ERR DB index is out of range");
  } else {
    AppendSimple(call.out, "OK");
  }
  return {};
}

// HELLO [protover [AUTH username password] [SETNAME clientname]]: RESP2 only
// in this build; version 3 is refused as Redis refuses versions it lacks.
Outcome Hello(Call& call) {
  const std::vector<std::string_view>& args = call.args;
  if (args.size() >= 2) {
    int64_t version = 0;
    if (!ParseInteger(args[1], &version)) {
      call.Error("ERR Protocol version is not an integer or out of range");
      return {};
    }
    if (version != 2) {
      call.Error("NOPROTO unsupported protocol version");
      return {};
    }
  }
  std::optional<std::string_view> name;
  for (size_t j = 2; j < args.size(); ++j) {
    const size_t more = args.size() - j - 1;
    if (EqualsIgnoreCase(args[j], "auth") && more >= 2) {
      // No passwords here: the default user (Redis's "nopass") is the only one.
      if (args[j + 1] != "default") {
        call.Error("WRONGPASS invalid username-password pair or user is disabled.");
        return {};
      }
      j += 2;
    } else if (EqualsIgnoreCase(args[j], "setname") && more >= 1) {
      name = args[++j];
    } else {
      call.Error("ERR Syntax error in HELLO option '" + std::string(args[j]) + "'");
      return {};
    }
  }
  if (name) {
    for (char c : *name) {
      if (c < '!' || c > '~') {
        call.Error("ERR Client names cannot contain spaces, newlines or special characters.");
        return {};
      }
    }
    call.client.name = std::string(*name);
  }
  std::string* out = call.out;
  AppendArrayHeader(out, 14);
  AppendBulk(out, "server");
  AppendBulk(out, "redis");
  AppendBulk(out, "version");
  AppendBulk(out, kRedisVersion);
  AppendBulk(out, "proto");
  AppendInteger(out, 2);
  AppendBulk(out, "id");
  AppendInteger(out, static_cast<int64_t>(call.client.id));
  AppendBulk(out, "mode");
  AppendBulk(out, "standalone");
  AppendBulk(out, "role");
  AppendBulk(out, "master");
  AppendBulk(out, "modules");
  AppendArrayHeader(out, 0);
  return {};
}

// COMMAND [COUNT | DOCS [name ...]]: enough for redis-cli to start. DOCS
// has no documentation to give (an empty map), and COMMAND alone an empty
// table; COMMAND INFO and LIST are not served yet.
Outcome Command(Call& call) {
  const std::vector<std::string_view>& args = call.args;
  if (args.size() == 1) {
    AppendArrayHeader(call.out, 0);
  } else if (EqualsIgnoreCase(args[1], "count")) {
    if (args.size() != 2) {
      call.Error("ERR wrong number of arguments for 'command|count' command");
    } else {
      AppendInteger(call.out, static_cast<int64_t>(CommandCount()));
    }
  } else if (EqualsIgnoreCase(args[1], "docs")) {
    AppendArrayHeader(call.out, 0);
  } else {
    call.Error("ERR unknown subcommand '" + std::string(args[1].substr(0, 128)) +
               "'. Try COMMAND HELP.");
  }
  return {};
}

constexpr CommandSpec kCommands[] = {
    {"append", 3, Append, kCmdPutCat},
    {"command", -1, Command, 0},
    {"dbsize", 1, DbSize, kCmdRnum},
    {"decr", 2, Decr, kCmdAddInt},
    {"decrby", 3, DecrBy, kCmdAddInt},
    {"del", -2, Del, kCmdOut},
    {"echo", 2, Echo, 0},
    {"exists", -2, Exists, kCmdGet},
    {"expire", -3, Expire, kCmdPut},
    {"expireat", -3, ExpireAt, kCmdPut},
    {"flushall", -1, Flush, kCmdVanish},
    {"flushdb", -1, Flush, kCmdVanish},
    {"get", 2, Get, kCmdGet},
    {"getdel", 2, GetDel, kCmdOut},
    {"getset", 3, GetSet, kCmdPut},
    {"hello", -1, Hello, 0},
    {"incr", 2, Incr, kCmdAddInt},
    {"incrby", 3, IncrBy, kCmdAddInt},
    {"incrbyfloat", 3, IncrByFloat, kCmdAddDouble},
    {"mget", -2, MGet, kCmdGet},
    {"mset", -3, MSet, kCmdPut},
    {"msetnx", -3, MSetNx, kCmdPutKeep},
    {"persist", 2, Persist, kCmdPut},
    {"pexpire", -3, PExpire, kCmdPut},
    {"pexpireat", -3, PExpireAt, kCmdPut},
    {"ping", -1, Ping, 0},
    {"psetex", 4, PSetEx, kCmdPut},
    {"pttl", 2, PTtl, kCmdGet},
    {"quit", -1, Quit, 0},
    {"select", 2, Select, 0},
    {"set", -3, Set, kCmdPut},
    {"setex", 4, SetEx, kCmdPut},
    {"setnx", 3, SetNx, kCmdPutKeep},
    {"strlen", 2, StrLen, kCmdVsiz},
    {"ttl", 2, Ttl, kCmdGet},
    {"unlink", -2, Del, kCmdOut},
};

const CommandSpec* FindCommand(std::string_view name) {
  static const std::unordered_map<std::string_view, const CommandSpec*> table = [] {
    std::unordered_map<std::string_view, const CommandSpec*> map;
    for (const CommandSpec& spec : kCommands) map.emplace(spec.name, &spec);
    return map;
  }();
  // No command name is this long: a longer word is no command.
  if (name.size() > 15) return nullptr;
  const auto it = table.find(Lower(name));
  return it == table.end() ? nullptr : it->second;
}

// Redis's reply to a command it does not know: the name and the start of
// the arguments, each cut at 128 bytes.
void UnknownCommand(const std::vector<std::string_view>& args, std::string* out) {
  std::string message = "ERR unknown command '";
  message.append(args[0].substr(0, 128)).append("', with args beginning with: ");
  std::string listed;
  for (size_t i = 1; i < args.size() && listed.size() < 128; ++i) {
    const size_t room = 128 - listed.size();
    listed.append("'").append(args[i].substr(0, room)).append("' ");
  }
  AppendError(out, message + listed);
}

}  // namespace

Outcome RunCommand(ServerContext& context, Client& client,
                   const std::vector<std::string_view>& args, std::string* out) {
  const CommandSpec* spec = FindCommand(args[0]);
  if (spec == nullptr) {
    UnknownCommand(args, out);
    return {};
  }
  const auto words = static_cast<int64_t>(args.size());
  if ((spec->arity > 0 && words != spec->arity) || words < -spec->arity) {
    AppendError(out, "ERR wrong number of arguments for '" + std::string(spec->name) + "' command");
    return {};
  }
  if (spec->mask_command != 0 && context.mask.ForbidsVia(spec->mask_command, kMaskAllResp)) {
    // Redis's refusal of a command the user may not run.
    AppendError(out, "NOPERM this user has no permissions to run the '" + std::string(spec->name) +
                         "' command");
    return {};
  }
  Call call{context, client, args, out, *spec};
  return spec->handler(call);
}

size_t CommandCount() { return std::size(kCommands); }

uint64_t NextClientId() {
  static std::atomic<uint64_t> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

int64_t ExpiresAtOf(int64_t at_ms) { return at_ms / 1000 + (at_ms % 1000 > 0 ? 1 : 0); }

int64_t RemainingMs(int64_t expires_at, int64_t now_ms) {
  // Beyond what milliseconds can count: as far as they reach.
  if (expires_at > kInt64Max / 1000) return kInt64Max - now_ms;
  return expires_at * 1000 - now_ms;
}

std::string FormatLongDouble(long double value) {
  char buffer[kMaxLongDoubleChars];
  int length = std::snprintf(buffer, sizeof(buffer), "%.17Lf", value);
  if (length < 0) return "0";
  length = std::min<int>(length, static_cast<int>(sizeof(buffer)) - 1);
  std::string text(buffer, static_cast<size_t>(length));
  if (text.find('.') != std::string::npos) {
    text.erase(text.find_last_not_of('0') + 1);
    if (text.ends_with('.')) text.pop_back();
  }
  if (text == "-0") text = "0";
  return text;
}

}  // namespace tt::resp
