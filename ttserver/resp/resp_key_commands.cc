// Redis's key and database commands (resp_call.h): DEL EXISTS, expiry,
// DBSIZE FLUSHALL.
#include "common/commands.h"
#include "common/logging.h"
#include "ttserver/resp/resp_call.h"
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

// TTL and PTTL: -2 for a missing key, -1 for one without expiry.
Outcome TtlGeneric(Call& call, TimeUnit unit) {
  call.stats().CountCommand(kCmdGet);
  int64_t expires_at = 0;
  Status s = call.Read(
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

Outcome Ttl(Call& call) { return TtlGeneric(call, TimeUnit::kSeconds); }

Outcome PTtl(Call& call) { return TtlGeneric(call, TimeUnit::kMilliseconds); }

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
  if (call.locked != nullptr) {  // inside EXEC, which holds every key for it
    Status s = call.locked->Vanish();
    s.ok() ? AppendSimple(call.out, "OK") : call.Failed(s);
    return {};
  }
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

}  // namespace tt::resp
