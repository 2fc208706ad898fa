#include "ttserver/resp/resp_commands.h"

#include <atomic>
#include <unordered_map>

#include "common/commands.h"
#include "ttserver/resp/resp_call.h"
#include "ttserver/resp/resp_reply.h"

namespace tt::resp {

namespace {

// Key spans (Redis's first key, last key, step).
constexpr KeySpan kNoKey{};
constexpr KeySpan kOneKey{1, 1, 1};
constexpr KeySpan kTwoKeys{1, 2, 1};
constexpr KeySpan kAllKeys{1, -1, 1};
constexpr KeySpan kKeyValuePairs{1, -1, 2};

// The command table. MULTI, EXEC, DISCARD, WATCH, QUIT and RESET run at once even
// between MULTI and EXEC; every other command is queued then.
constexpr CommandSpec kCommands[] = {
    {"append", 3, Append, kCmdPutCat, kOneKey},
    {"bgsave", -1, BgSave, kCmdSync, kNoKey},
    {"client", -2, ClientCommand, 0, kNoKey},
    {"command", -1, Command, 0, kNoKey},
    {"config", -2, Config, kCmdStat, kNoKey},
    {"copy", -3, Copy, kCmdPut, kTwoKeys},
    {"dbsize", 1, DbSize, kCmdRnum, kNoKey},
    {"decr", 2, Decr, kCmdAddInt, kOneKey},
    {"decrby", 3, DecrBy, kCmdAddInt, kOneKey},
    {"del", -2, Del, kCmdOut, kAllKeys},
    {"discard", 1, Discard, 0, kNoKey},
    {"echo", 2, Echo, 0, kNoKey},
    {"exec", 1, Exec, 0, kNoKey},
    {"exists", -2, Exists, kCmdGet, kAllKeys},
    {"expire", -3, Expire, kCmdPut, kOneKey},
    {"expireat", -3, ExpireAt, kCmdPut, kOneKey},
    {"expiretime", 2, ExpireTime, kCmdGet, kOneKey},
    {"flushall", -1, Flush, kCmdVanish, kNoKey, true},
    {"flushdb", -1, Flush, kCmdVanish, kNoKey, true},
    {"get", 2, Get, kCmdGet, kOneKey},
    {"getdel", 2, GetDel, kCmdOut, kOneKey},
    {"getex", -2, GetEx, kCmdPut, kOneKey},
    {"getrange", 4, GetRange, kCmdGet, kOneKey},
    {"getset", 3, GetSet, kCmdPut, kOneKey},
    {"hello", -1, Hello, 0, kNoKey},
    {"incr", 2, Incr, kCmdAddInt, kOneKey},
    {"incrby", 3, IncrBy, kCmdAddInt, kOneKey},
    {"incrbyfloat", 3, IncrByFloat, kCmdAddDouble, kOneKey},
    {"info", -1, Info, kCmdStat, kNoKey},
    {"keys", 2, Keys, kCmdFwmKeys, kNoKey, false, /*off_loop=*/true},
    {"lastsave", 1, LastSave, kCmdStat, kNoKey},
    {"mget", -2, MGet, kCmdGet, kAllKeys},
    {"mset", -3, MSet, kCmdPut, kKeyValuePairs},
    {"msetnx", -3, MSetNx, kCmdPutKeep, kKeyValuePairs},
    {"multi", 1, Multi, 0, kNoKey},
    {"persist", 2, Persist, kCmdPut, kOneKey},
    {"pexpire", -3, PExpire, kCmdPut, kOneKey},
    {"pexpireat", -3, PExpireAt, kCmdPut, kOneKey},
    {"pexpiretime", 2, PExpireTime, kCmdGet, kOneKey},
    {"ping", -1, Ping, 0, kNoKey},
    {"psetex", 4, PSetEx, kCmdPut, kOneKey},
    {"pttl", 2, PTtl, kCmdGet, kOneKey},
    {"quit", -1, Quit, 0, kNoKey},
    {"randomkey", 1, RandomKey, kCmdIterNext, kNoKey},
    {"rename", 3, Rename, kCmdPut, kTwoKeys},
    {"renamenx", 3, RenameNx, kCmdPutKeep, kTwoKeys},
    {"replicaof", 3, ReplicaOf, kCmdSetMst, kNoKey},
    {"reset", 1, Reset, 0, kNoKey},
    {"role", 1, Role, kCmdStat, kNoKey},
    {"save", 1, Save, kCmdSync, kNoKey, false, false, /*no_multi=*/true},
    {"scan", -2, Scan, kCmdIterNext, kNoKey, false, /*off_loop=*/true},
    {"select", 2, Select, 0, kNoKey},
    {"set", -3, Set, kCmdPut, kOneKey},
    {"setex", 4, SetEx, kCmdPut, kOneKey},
    {"setnx", 3, SetNx, kCmdPutKeep, kOneKey},
    {"setrange", 4, SetRange, kCmdPut, kOneKey},
    {"slaveof", 3, ReplicaOf, kCmdSetMst, kNoKey},
    {"strlen", 2, StrLen, kCmdVsiz, kOneKey},
    {"time", 1, Time, 0, kNoKey},
    {"ttl", 2, Ttl, kCmdGet, kOneKey},
    {"type", 2, Type, kCmdGet, kOneKey},
    {"unlink", -2, Del, kCmdOut, kAllKeys},
    {"unwatch", 1, Unwatch, 0, kNoKey},
    {"wait", 3, Wait, 0, kNoKey},
    {"watch", -2, Watch, 0, kAllKeys},
};

// The commands that run at once between MULTI and EXEC (Redis's list).
bool RunsInMulti(const CommandSpec& spec) {
  return spec.handler == Exec || spec.handler == Discard || spec.handler == Multi ||
         spec.handler == Watch || spec.handler == Quit || spec.handler == Reset;
}

// Redis's reply to a command it does not know: the name and the start of
// the arguments, each cut at 128 bytes.
std::string UnknownCommandError(const std::vector<std::string_view>& args) {
  std::string message = "ERR unknown command '";
  message.append(args[0].substr(0, 128)).append("', with args beginning with: ");
  std::string listed;
  for (size_t i = 1; i < args.size() && listed.size() < 128; ++i) {
    const size_t room = 128 - listed.size();
    listed.append("'").append(args[i].substr(0, room)).append("' ");
  }
  return message + listed;
}

// Queues `args` for EXEC and replies +QUEUED; a transaction whose queue
// would take more than --max-value bytes of memory (its words, each word's
// string and each command's vector) is refused (EXECABORT).
void Queue(ServerContext& context, Client& client, const std::vector<std::string_view>& args,
           std::string* out) {
  size_t bytes = sizeof(std::vector<std::string>);
  for (std::string_view arg : args) bytes += sizeof(std::string) + arg.size();
  if (client.queued_bytes + bytes > context.limits.max_value) {
    client.multi_refused = true;
    AppendError(out,
                "ERR transaction exceeds maximum allowed size (--max-value): "
                "split it into smaller ones");
    return;
  }
  client.queued_bytes += bytes;
  client.queued.emplace_back(args.begin(), args.end());
  AppendSimple(out, "QUEUED");
}

}  // namespace

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

Outcome RunCommand(ServerContext& context, Client& client,
                   const std::vector<std::string_view>& args, std::string* out) {
  const CommandSpec* spec = FindCommand(args[0]);
  // A command refused here, between MULTI and EXEC, makes EXEC abort.
  auto refuse = [&](std::string_view message) {
    AppendError(out, message);
    if (client.in_multi) client.multi_refused = true;
    return Outcome{};
  };
  if (spec == nullptr) return refuse(UnknownCommandError(args));
  const auto words = static_cast<int64_t>(args.size());
  if ((spec->arity > 0 && words != spec->arity) || words < -spec->arity) {
    return refuse(WrongArity(spec->name));
  }
  if (spec->mask_command != 0 && context.mask.ForbidsVia(spec->mask_command, kMaskAllResp)) {
    // Redis's refusal of a command the user may not run.
    return refuse("NOPERM this user has no permissions to run the '" + std::string(spec->name) +
                  "' command");
  }
  if (client.in_multi && spec->no_multi) {
    return refuse("ERR Command not allowed inside a transaction");
  }
  if (client.in_multi && !RunsInMulti(*spec)) {
    Queue(context, client, args, out);
    return {};
  }
  Call call{context, client, args, out, *spec};
  return spec->handler(call);
}

Outcome RunHeld(ServerContext& context, Client& client, const std::vector<std::string_view>& args,
                Engine::LockedKeys* locked, std::string* out) {
  const CommandSpec* spec = FindCommand(args[0]);
  Call call{context, client, args, out, *spec, locked};
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

}  // namespace tt::resp
