// Redis's string commands (resp_call.h): GET SET and their kin, counters.
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <optional>

#include "common/commands.h"
#include "ttserver/resp/resp_call.h"
#include "ttserver/resp/resp_parser.h"
#include "ttserver/resp/resp_reply.h"

namespace tt::resp {

namespace {

constexpr std::string_view kNotFloat = "ERR value is not a valid float";
constexpr std::string_view kOverflow = "ERR increment or decrement would overflow";
constexpr std::string_view kNanOrInfinity = "ERR increment would produce NaN or Infinity";

// Redis's longest number text for INCRBYFLOAT (MAX_LONG_DOUBLE_CHARS).
constexpr size_t kMaxLongDoubleChars = 5 * 1024;

// Keeps a value's flags and expiry (APPEND, INCR, SETRANGE).
ValueMeta KeptMeta(const Current& current) {
  if (!current.exists) return {};
  return {.flags = current.meta.flags, .expires_at = current.meta.expires_at};
}

// Appends the bulk reply of `key`'s value, or null, and counts a get; on a
// failure of the store appends nothing and returns it.
Status AppendValue(Call& call, std::string_view key) {
  Stats& stats = call.stats();
  stats.CountCommand(kCmdGet);
  bool expired = false;
  std::string* out = call.out;
  Status s = call.Read(
      key, [out](std::string_view payload, const ValueMeta&) { AppendBulk(out, payload); },
      &expired);
  if (s.ok()) return s;
  Count(stats.get_miss);
  if (expired) Count(stats.get_expired);
  if (!s.IsNotFound()) return s;
  AppendNull(out);
  return Status::Ok();
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

// SET's and GETEX's expiry options: when args[*j] is EX, PX, EXAT or PXAT,
// sets *is_expiry and takes the time that follows into *options (moving
// *j onto it); false when `blocked` (KEEPTTL, PERSIST), when the time is
// missing, or when another form came before (the same form may repeat:
// the last counts).
bool TakeExpiryOption(const std::vector<std::string_view>& args, size_t* j, bool blocked,
                      SetOptions* options, bool* is_expiry) {
  static constexpr struct {
    std::string_view name;
    TimeUnit unit;
    bool absolute;
  } kForms[] = {{"ex", TimeUnit::kSeconds, false},
                {"px", TimeUnit::kMilliseconds, false},
                {"exat", TimeUnit::kSeconds, true},
                {"pxat", TimeUnit::kMilliseconds, true}};
  *is_expiry = false;
  for (const auto& form : kForms) {
    if (!EqualsIgnoreCase(args[*j], form.name)) continue;
    *is_expiry = true;
    if (blocked || *j + 1 >= args.size()) return false;
    if (options->expire && (options->unit != form.unit || options->absolute != form.absolute)) {
      return false;
    }
    options->expire = args[++*j];
    options->unit = form.unit;
    options->absolute = form.absolute;
    return true;
  }
  return true;
}

bool ParseSetOptions(const std::vector<std::string_view>& args, SetOptions* options) {
  for (size_t j = 3; j < args.size(); ++j) {
    const std::string_view option = args[j];
    bool is_expiry = false;
    if (!TakeExpiryOption(args, &j, options->keep_ttl, options, &is_expiry)) return false;
    if (is_expiry) continue;
    if (EqualsIgnoreCase(option, "nx") && !options->xx) {
      options->nx = true;
    } else if (EqualsIgnoreCase(option, "xx") && !options->nx) {
      options->xx = true;
    } else if (EqualsIgnoreCase(option, "get")) {
      options->get = true;
    } else if (EqualsIgnoreCase(option, "keepttl") && !options->expire) {
      options->keep_ttl = true;
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
    s = call.Put(write.key, write.value, PlainMeta(expires_at));
    result->stored = s.ok();
  } else {
    s = call.Mutate(write.key, [&](const Current& current) {
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

// SETEX key seconds value, PSETEX key milliseconds value.
Outcome SetWithExpiry(Call& call, TimeUnit unit) {
  SetWrite write{.key = call.args[1], .value = call.args[3], .has_expiry = true};
  if (!SetExpiry(call, call.args[2], unit, false, NowMs(), &write.at_ms)) return {};
  if (!call.WritableKey(write.key) || !call.StorableValue(write.value)) return {};
  SetResult result;
  if (DoSet(call, write, &result)) AppendSimple(call.out, "OK");
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
  Status s = call.WithKeys(keys, [&](Engine::LockedKeys& locked) {
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

// INCR DECR INCRBY DECRBY: adds `delta` to the integer stored at the key (0
// when absent), keeping its flags and expiry.
Outcome AddInteger(Call& call, int64_t delta) {
  const std::string_view key = call.args[1];
  if (!call.WritableKey(key)) return {};
  call.stats().CountCommand(kCmdAddInt);
  std::string_view error;
  int64_t sum = 0;
  Status s = call.Mutate(key, [&](const Current& current) {
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
    const ValueMeta meta = KeptMeta(current);
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

// GETEX's options: at most one of EX PX EXAT PXAT (each may repeat, the
// last one counting) or PERSIST. False on a syntax error.
bool ParseGetExOptions(const std::vector<std::string_view>& args, SetOptions* options,
                       bool* persist) {
  for (size_t j = 2; j < args.size(); ++j) {
    bool is_expiry = false;
    if (!TakeExpiryOption(args, &j, *persist, options, &is_expiry)) return false;
    if (is_expiry) continue;
    if (!EqualsIgnoreCase(args[j], "persist") || options->expire) return false;
    *persist = true;
  }
  return true;
}

}  // namespace

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

Outcome Get(Call& call) {
  if (Status s = AppendValue(call, call.args[1]); !s.ok()) call.Failed(s);
  return {};
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
  Status s = call.Mutate(call.args[1], [&](const Current& current) {
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
  Status s = call.Mutate(key, [&](const Current& current) {
    if (current.payload.size() + tail.size() > max_value) {
      too_large = true;
      return Change::Keep();
    }
    std::string joined;
    joined.reserve(current.payload.size() + tail.size());
    joined.append(current.payload).append(tail);
    length = joined.size();
    // A value's flags and expiry stay, as Redis keeps a key's TTL.
    const ValueMeta meta = KeptMeta(current);
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
  size_t size = 0;
  Status s = call.Read(
      call.args[1], [&size](std::string_view payload, const ValueMeta&) { size = payload.size(); });
  if (!s.ok() && !s.IsNotFound()) {
    call.Failed(s);
    return {};
  }
  AppendInteger(call.out, static_cast<int64_t>(size));
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

Outcome IncrByFloat(Call& call) {
  const std::string_view key = call.args[1];
  if (!call.WritableKey(key)) return {};
  call.stats().CountCommand(kCmdAddDouble);
  std::string_view error;
  std::string sum;
  Status s = call.Mutate(key, [&](const Current& current) {
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
    const ValueMeta meta = KeptMeta(current);
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

// GETEX key [EX s | PX ms | EXAT s | PXAT ms | PERSIST]: GET, then the
// expiry changed (a time already past removes the key, as Redis does).
Outcome GetEx(Call& call) {
  SetOptions options;
  bool persist = false;
  if (!ParseGetExOptions(call.args, &options, &persist)) {
    call.Error(kSyntaxError);
    return {};
  }
  const int64_t now_ms = NowMs();
  int64_t at_ms = 0;
  if (options.expire &&
      !SetExpiry(call, *options.expire, options.unit, options.absolute, now_ms, &at_ms)) {
    return {};
  }
  Stats& stats = call.stats();
  stats.CountCommand(kCmdGet);
  std::optional<std::string> value;
  Status s = call.Mutate(call.args[1], [&](const Current& current) {
    if (!current.exists) return Change::Keep();
    value.emplace(current.payload);
    if (options.expire) {
      if (at_ms <= now_ms) return Change::Remove();
      return ExpiryChange(current, ExpiresAtOf(at_ms));
    }
    if (persist && current.meta.expires_at != 0) return ExpiryChange(current, 0);
    return Change::Keep();
  });
  if (!s.ok() && !s.IsNotFound()) {
    call.Failed(s);
  } else if (value) {
    AppendBulk(call.out, *value);
  } else {
    Count(stats.get_miss);
    AppendNull(call.out);
  }
  return {};
}

// GETRANGE key start end: inclusive offsets, negative ones from the end.
Outcome GetRange(Call& call) {
  int64_t start = 0, end = 0;
  if (!ParseInteger(call.args[2], &start) || !ParseInteger(call.args[3], &end)) {
    call.Error(kNotInteger);
    return {};
  }
  call.stats().CountCommand(kCmdGet);
  std::string* out = call.out;
  Status s = call.Read(call.args[1], [&](std::string_view payload, const ValueMeta&) {
    const auto length = static_cast<int64_t>(payload.size());
    if (start < 0 && end < 0 && start > end) {
      AppendBulk(out, "");
      return;
    }
    if (start < 0) start = std::max<int64_t>(length + start, 0);
    if (end < 0) end = std::max<int64_t>(length + end, 0);
    end = std::min(end, length - 1);
    if (start > end || length == 0) {
      AppendBulk(out, "");
    } else {
      AppendBulk(out,
                 payload.substr(static_cast<size_t>(start), static_cast<size_t>(end - start + 1)));
    }
  });
  if (s.IsNotFound()) {
    Count(call.stats().get_miss);
    AppendBulk(out, "");
  } else if (!s.ok()) {
    call.Failed(s);
  }
  return {};
}

// SETRANGE key offset value: overwrites from `offset`, padding with zero
// bytes; the result is bounded by --max-value (Redis's by proto-max-bulk-len).
Outcome SetRange(Call& call) {
  const std::string_view key = call.args[1], part = call.args[3];
  int64_t offset = 0;
  if (!ParseInteger(call.args[2], &offset)) {
    call.Error(kNotInteger);
    return {};
  }
  if (offset < 0) {
    call.Error("ERR offset is out of range");
    return {};
  }
  if (!call.WritableKey(key)) return {};
  const size_t max_value = call.context.limits.max_value;
  const bool too_large = !part.empty() && (static_cast<uint64_t>(offset) > max_value ||
                                           part.size() > max_value - static_cast<size_t>(offset));
  Stats& stats = call.stats();
  stats.CountCommand(kCmdPut);
  size_t length = 0;
  bool refused = false;
  Status s = call.Mutate(key, [&](const Current& current) {
    length = current.payload.size();
    if (part.empty()) return Change::Keep();  // the length, nothing written
    if (too_large) {
      refused = true;
      return Change::Keep();
    }
    const auto at = static_cast<size_t>(offset);
    std::string bytes(current.payload);
    if (bytes.size() < at + part.size()) bytes.resize(at + part.size(), '\0');
    bytes.replace(at, part.size(), part);
    length = bytes.size();
    return Change::Set(std::move(bytes), KeptMeta(current));
  });
  if (!s.ok()) {
    Count(stats.put_miss);
    call.Failed(s);
  } else if (refused) {
    Count(stats.put_miss);
    call.Error(kValueTooLarge);
  } else {
    AppendInteger(call.out, static_cast<int64_t>(length));
  }
  return {};
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
