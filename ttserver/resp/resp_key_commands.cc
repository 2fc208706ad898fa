// Redis's key and database commands (resp_call.h): DEL EXISTS TYPE RENAME
// COPY KEYS, expiry, DBSIZE FLUSHALL.
#include <limits>
#include <memory>

#include "common/commands.h"
#include "common/logging.h"
#include "ttserver/resp/resp_call.h"
#include "ttserver/resp/resp_glob.h"
#include "ttserver/resp/resp_parser.h"
#include "ttserver/resp/resp_reply.h"

namespace tt::resp {

namespace {

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
  Status s = call.Mutate(args[1], [&](const Current& current) {
    if (!current.exists) return Change::Keep();
    const int64_t current_at = current.meta.expires_at;  // 0 = never
    if ((nx && current_at != 0) || (xx && current_at == 0)) return Change::Keep();
    // No expiry counts as an infinitely distant one.
    if (gt && (current_at == 0 || gone || expires_at <= current_at)) return Change::Keep();
    if (lt && current_at != 0 && !gone && expires_at >= current_at) return Change::Keep();
    changed = true;
    if (gone) return Change::Remove();
    return ExpiryChange(current, expires_at);
  });
  if (!s.ok()) {
    call.Failed(s);
    return {};
  }
  Count(changed ? stats.touch_hits : stats.touch_misses);
  AppendInteger(call.out, changed ? 1 : 0);
  return {};
}

// TTL PTTL EXPIRETIME PEXPIRETIME: -2 for a missing key, -1 for one
// without expiry, else `of` the expiry (absolute UNIX seconds).
Outcome ExpiryQuery(Call& call, int64_t (*of)(int64_t expires_at)) {
  call.stats().CountCommand(kCmdGet);
  int64_t expires_at = 0;
  Status s = call.Read(
      call.args[1], [&](std::string_view, const ValueMeta& meta) { expires_at = meta.expires_at; });
  if (s.IsNotFound()) {
    Count(call.stats().get_miss);
    AppendInteger(call.out, -2);
  } else if (!s.ok()) {
    call.Failed(s);
  } else {
    AppendInteger(call.out, expires_at == 0 ? -1 : of(expires_at));
  }
  return {};
}

// Whole seconds left, rounded down: right after EX n it reads n.
int64_t SecondsLeft(int64_t expires_at) { return RemainingMs(expires_at, NowMs()) / 1000; }
int64_t MillisecondsLeft(int64_t expires_at) { return RemainingMs(expires_at, NowMs()); }
int64_t AtSeconds(int64_t expires_at) { return expires_at; }
int64_t AtMilliseconds(int64_t expires_at) {
  return expires_at > kInt64Max / 1000 ? kInt64Max : expires_at * 1000;
}

}  // namespace

// DEL and UNLINK (the same here: removal is never slow for one key).
Outcome Del(Call& call) {
  Stats& stats = call.stats();
  int64_t removed = 0;
  for (size_t i = 1; i < call.args.size(); ++i) {
    stats.CountCommand(kCmdOut);
    bool existed = false;
    Status s = call.Mutate(call.args[i], [&](const Current& current) {
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
    Status s = call.Read(call.args[i], [](std::string_view, const ValueMeta&) {});
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

Outcome Expire(Call& call) { return ExpireGeneric(call, TimeUnit::kSeconds, false); }

Outcome PExpire(Call& call) { return ExpireGeneric(call, TimeUnit::kMilliseconds, false); }

Outcome ExpireAt(Call& call) { return ExpireGeneric(call, TimeUnit::kSeconds, true); }

Outcome PExpireAt(Call& call) { return ExpireGeneric(call, TimeUnit::kMilliseconds, true); }

Outcome Ttl(Call& call) { return ExpiryQuery(call, SecondsLeft); }

Outcome PTtl(Call& call) { return ExpiryQuery(call, MillisecondsLeft); }

Outcome Persist(Call& call) {
  Stats& stats = call.stats();
  Count(stats.touch_cmds);
  bool changed = false;
  Status s = call.Mutate(call.args[1], [&](const Current& current) {
    if (!current.exists || current.meta.expires_at == 0) return Change::Keep();
    changed = true;
    return ExpiryChange(current, 0);
  });
  if (!s.ok()) {
    call.Failed(s);
    return {};
  }
  Count(changed ? stats.touch_hits : stats.touch_misses);
  AppendInteger(call.out, changed ? 1 : 0);
  return {};
}

// DBSIZE: the keys whose expiry has come are purged first, so that none is
// counted (those the expiry schedule holds: all but past --expiry-schedule-max);
// not inside EXEC, whose held stripes the purge would wait for.
Outcome DbSize(Call& call) {
  call.stats().CountCommand(kCmdRnum);
  if (call.locked == nullptr) call.engine().ExpireDue();
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
  if (call.locked != nullptr) {  // inside EXEC, which holds every key for it
    Status s = call.locked->Vanish();
    call.NoteWrite();
    s.ok() ? AppendSimple(call.out, "OK") : call.Failed(s);
    return {};
  }
  Outcome outcome;
  outcome.kind = Outcome::Kind::kDeferred;
  outcome.writes = true;
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

namespace {

// RENAME and RENAMENX: the value, its flags and its expiry move to `dst`
// in one step (both keys' stripes held).
Outcome RenameGeneric(Call& call, bool nx) {
  const std::string_view src = call.args[1], dst = call.args[2];
  if (!call.WritableKey(dst)) return {};
  Stats& stats = call.stats();
  stats.CountCommand(kCmdPut);
  stats.CountCommand(kCmdOut);
  enum class Result { kNoSuchKey, kRefused, kMoved } result = Result::kNoSuchKey;
  Status s = call.WithKeys({src, dst}, [&](Engine::LockedKeys& locked) {
    std::string src_storage, dst_storage;
    Current from, to;
    if (Status read = locked.Read(src, &from, &src_storage); !read.ok()) return read;
    if (!from.exists) return Status::Ok();
    if (src == dst) {  // Redis: OK for RENAME, 0 for RENAMENX, nothing written
      result = nx ? Result::kRefused : Result::kMoved;
      return Status::Ok();
    }
    if (nx) {
      if (Status read = locked.Read(dst, &to, &dst_storage); !read.ok()) return read;
      if (to.exists) {
        result = Result::kRefused;
        return Status::Ok();
      }
    }
    const ValueMeta meta{.flags = from.meta.flags, .expires_at = from.meta.expires_at};
    if (Status set = locked.Set(dst, from.payload, meta); !set.ok()) return set;
    result = Result::kMoved;
    return locked.Remove(src);
  });
  if (!s.ok()) {
    call.Failed(s);
  } else if (result == Result::kNoSuchKey) {
    Count(stats.put_miss);
    call.Error("ERR no such key");
  } else if (nx) {
    AppendInteger(call.out, result == Result::kMoved ? 1 : 0);
  } else {
    AppendSimple(call.out, "OK");
  }
  return {};
}

// KEYS' reply over the live keys of `engine`, or an error once it would
// hold more than `budget` bytes.
std::string KeysReply(Engine& engine, const std::string& pattern, size_t budget) {
  std::unique_ptr<ValueCursor> cursor = engine.NewCursor();
  std::string keys, key, reply;
  size_t count = 0;
  Status s = cursor->Jump();
  while (s.ok()) {
    s = cursor->Next(&key, nullptr);
    if (!s.ok()) break;
    if (!GlobMatch(pattern, key)) continue;
    AppendBulk(&keys, key);
    ++count;
    if (keys.size() > budget) {
      AppendError(&reply, kReplyTooLarge);
      return reply;
    }
  }
  if (!s.IsNotFound()) {
    LogError("RESP keys failed: ", s.ToString());
    AppendError(&reply, kStoreFailed);
    return reply;
  }
  AppendArrayHeader(&reply, count);
  reply.append(keys);
  return reply;
}

}  // namespace

Outcome Type(Call& call) {
  call.stats().CountCommand(kCmdGet);
  Status s = call.Read(call.args[1], [](std::string_view, const ValueMeta&) {});
  if (s.ok() || s.IsNotFound()) {
    AppendSimple(call.out, s.ok() ? "string" : "none");
  } else {
    call.Failed(s);
  }
  return {};
}

Outcome Rename(Call& call) { return RenameGeneric(call, false); }
Outcome RenameNx(Call& call) { return RenameGeneric(call, true); }

// COPY source destination [DB 0] [REPLACE]: the value with its flags and
// expiry. One database: DB other than 0 is out of range, as SELECT says.
Outcome Copy(Call& call) {
  const std::vector<std::string_view>& args = call.args;
  bool replace = false;
  for (size_t j = 3; j < args.size(); ++j) {
    if (EqualsIgnoreCase(args[j], "replace")) {
      replace = true;
    } else if (EqualsIgnoreCase(args[j], "db") && j + 1 < args.size()) {
      int64_t db = 0;
      if (!ParseInteger(args[++j], &db) || db < std::numeric_limits<int32_t>::min() ||
          db > std::numeric_limits<int32_t>::max()) {
        call.Error(kNotInteger);
        return {};
      }
      if (db != 0) {
        call.Error("ERR DB index is out of range");
        return {};
      }
    } else {
      call.Error(kSyntaxError);
      return {};
    }
  }
  const std::string_view src = args[1], dst = args[2];
  if (src == dst) {
    call.Error("ERR source and destination objects are the same");
    return {};
  }
  if (!call.WritableKey(dst)) return {};
  call.stats().CountCommand(kCmdPut);
  bool copied = false;
  Status s = call.WithKeys({src, dst}, [&](Engine::LockedKeys& locked) {
    std::string src_storage, dst_storage;
    Current from, to;
    if (Status read = locked.Read(src, &from, &src_storage); !read.ok()) return read;
    if (!from.exists) return Status::Ok();
    if (Status read = locked.Read(dst, &to, &dst_storage); !read.ok()) return read;
    if (to.exists && !replace) return Status::Ok();
    copied = true;
    return locked.Set(dst, from.payload,
                      ValueMeta{.flags = from.meta.flags, .expires_at = from.meta.expires_at});
  });
  if (!s.ok()) {
    call.Failed(s);
  } else {
    if (!copied) Count(call.stats().put_miss);
    AppendInteger(call.out, copied ? 1 : 0);
  }
  return {};
}

Outcome ExpireTime(Call& call) { return ExpiryQuery(call, AtSeconds); }
Outcome PExpireTime(Call& call) { return ExpiryQuery(call, AtMilliseconds); }

// KEYS pattern: a walk over the whole database, so off the event loop
// (inside EXEC it runs in place, under the transaction's keys). The reply
// holds at most --max-value bytes, as MGET's.
Outcome Keys(Call& call) {
  call.stats().CountCommand(kCmdFwmKeys);
  const size_t budget = call.context.limits.max_value;
  if (call.locked != nullptr) {
    call.out->append(KeysReply(call.engine(), std::string(call.args[1]), budget));
    return {};
  }
  Outcome outcome;
  outcome.kind = Outcome::Kind::kDeferred;
  outcome.work = [engine = call.context.engine, pattern = std::string(call.args[1]), budget] {
    return KeysReply(*engine, pattern, budget);
  };
  return outcome;
}

}  // namespace tt::resp
