// The inside of the Redis command set (resp_commands.h is its outside): one
// command being run (Call), the command table's row (CommandSpec), the
// error replies and helpers the command groups share, and every command's
// handler, by group (resp_string_commands.cc, resp_key_commands.cc,
// resp_scan_commands.cc, resp_info.cc, resp_admin_commands.cc,
// resp_server_commands.cc, resp_client_commands.cc, resp_replication.cc,
// resp_transaction.cc; the table is in
// resp_commands.cc).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "engine/engine.h"
#include "ttserver/resp/resp_commands.h"
#include "ttserver/server_context.h"

namespace tt::resp {

constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();
constexpr int64_t kInt64Min = std::numeric_limits<int64_t>::min();

// Redis's error replies.
constexpr std::string_view kSyntaxError = "ERR syntax error";
constexpr std::string_view kNotInteger = "ERR value is not an integer or out of range";
// Ours: Redis's limits are proto-max-bulk-len, ours --max-key and --max-value.
constexpr std::string_view kValueTooLarge = "ERR string exceeds maximum allowed size (--max-value)";
constexpr std::string_view kKeyTooLarge = "ERR key exceeds maximum allowed size (--max-key)";
constexpr std::string_view kReplyTooLarge =
    "ERR reply exceeds maximum allowed size (--max-value): ask for fewer keys";
constexpr std::string_view kStoreFailed =
    "ERR the database or the update log failed (see the server log)";

// What HELLO and INFO report as the server's version: the Redis release
// whose behaviour this build follows (and whose Debian package the tests
// check it against).
constexpr std::string_view kRedisVersion = "7.0.15";

// The time now in UNIX milliseconds.
int64_t NowMs();
// Adds one to a Stats counter.
inline void Count(std::atomic<uint64_t>& counter) {
  counter.fetch_add(1, std::memory_order_relaxed);
}
// ASCII case-insensitive equality (Redis's option words).
bool EqualsIgnoreCase(std::string_view a, std::string_view b);
// `text` in ASCII lower case.
std::string Lower(std::string_view text);
// "ERR wrong number of arguments for '<name>' command".
std::string WrongArity(std::string_view name);
// The envelope meta of a value written by a Redis command: no memcached
// flags, the given expiry (absolute UNIX seconds, 0 = none).
inline ValueMeta PlainMeta(int64_t expires_at) { return ValueMeta{.expires_at = expires_at}; }

// The change that gives `current` (which exists) the expiry `expires_at`
// (absolute UNIX seconds, 0 = none), keeping its payload, flags and CAS.
Change ExpiryChange(const Current& current, int64_t expires_at);

struct CommandSpec;

// One command being run. Inside EXEC, `locked` holds the stripes of every
// key the transaction names, and the data methods below go through it (the
// Engine's own methods would wait for those stripes forever); otherwise
// they go to the Engine. Handlers reach the data only through them.
struct Call {
  ServerContext& context;
  Client& client;
  const std::vector<std::string_view>& args;
  std::string* out;
  const CommandSpec& spec;
  Engine::LockedKeys* locked = nullptr;

  Engine& engine() { return *context.engine; }
  Stats& stats() { return *context.stats; }
  void Error(std::string_view message);
  // A failure of the store or the update log: the client gets an error, the
  // operator the reason.
  void Failed(const Status& s);
  // False (with the error replied) when `key` is too long to be written.
  bool WritableKey(std::string_view key);
  // False (with the error replied) when `value` is too long to be stored.
  bool StorableValue(std::string_view value);

  // Engine::Read (`*expired` is left false inside EXEC).
  Status Read(std::string_view key, const Engine::PayloadReader& reader, bool* expired = nullptr);
  // Engine::Mutate.
  Status Mutate(std::string_view key, const Mutation& fn, ValueMeta* written = nullptr);
  // Engine::PutWithMeta: a blind write.
  Status Put(std::string_view key, std::string_view value, const ValueMeta& meta);
  // Engine::WithLockedKeys; inside EXEC, `fn` runs on the transaction's
  // held keys (which include `keys`).
  Status WithKeys(const std::vector<std::string_view>& keys,
                  const std::function<Status(Engine::LockedKeys&)>& fn);
  // Notes a write of this command in client.last_write_ts: `version` (its
  // record's timestamp) or, when 0, the newest timestamp.
  void NoteWrite(uint64_t version = 0);
};

using Handler = Outcome (*)(Call&);

// Which words of a command are keys (Redis's first key, last key, step):
// the keys EXEC locks. first == 0: the command names no key. last < 0
// counts from the end (-1 = the last word).
struct KeySpan {
  int first = 0;
  int last = 0;
  int step = 1;
};

struct CommandSpec {
  std::string_view name;  // lower case, as errors name it
  int arity;              // Redis's: n = exactly n words with the name, -n = at least n
  Handler handler;
  // The binary command whose -mask bits refuse this command (ForbidsVia
  // with allresp); 0 = never refused.
  uint8_t mask_command;
  KeySpan keys;
  // The command changes the whole database (FLUSHALL): inside EXEC it
  // needs every key held.
  bool whole_database = false;
  // The command may walk the whole database (KEYS): it runs off the event
  // loop, and so does an EXEC that queues it.
  bool off_loop = false;
  // Refused between MULTI and EXEC (SAVE: it waits for every key, which
  // EXEC holds).
  bool no_multi = false;
};

// The keys `args` names per `spec`, in order (duplicates kept).
std::vector<std::string_view> CommandKeys(const CommandSpec& spec,
                                          const std::vector<std::string_view>& args);

// The table's row of command `name` (any case), or null.
const CommandSpec* FindCommand(std::string_view name);

// Runs `args`, a command queued by MULTI (so known and of the right arity),
// with the keys of `locked` held (EXEC's), appending its reply to *out.
Outcome RunHeld(ServerContext& context, Client& client, const std::vector<std::string_view>& args,
                Engine::LockedKeys* locked, std::string* out);

// ---- expiry (resp_string_commands.cc) ----

enum class TimeUnit { kSeconds, kMilliseconds };

// An absolute time in UNIX milliseconds from a SET/SETEX/PSETEX/GETEX
// argument, as Redis checks it: kNotInteger, or "invalid expire time" for a
// time of 0 or less or one that overflows. False with the error replied.
bool SetExpiry(Call& call, std::string_view text, TimeUnit unit, bool absolute, int64_t now_ms,
               int64_t* at_ms);

// ---- handlers, by group ----

// Strings (resp_string_commands.cc).
Outcome Append(Call& call);
Outcome Decr(Call& call);
Outcome DecrBy(Call& call);
Outcome Get(Call& call);
Outcome GetDel(Call& call);
Outcome GetEx(Call& call);
Outcome GetRange(Call& call);
Outcome GetSet(Call& call);
Outcome Incr(Call& call);
Outcome IncrBy(Call& call);
Outcome IncrByFloat(Call& call);
Outcome MGet(Call& call);
Outcome MSet(Call& call);
Outcome MSetNx(Call& call);
Outcome PSetEx(Call& call);
Outcome Set(Call& call);
Outcome SetEx(Call& call);
Outcome SetNx(Call& call);
Outcome SetRange(Call& call);
Outcome StrLen(Call& call);

// Keys and the database (resp_key_commands.cc).
Outcome Copy(Call& call);
Outcome DbSize(Call& call);
Outcome Del(Call& call);
Outcome Exists(Call& call);
Outcome Expire(Call& call);
Outcome ExpireAt(Call& call);
Outcome ExpireTime(Call& call);
Outcome Flush(Call& call);
Outcome Keys(Call& call);
Outcome PExpire(Call& call);
Outcome PExpireAt(Call& call);
Outcome PExpireTime(Call& call);
Outcome Persist(Call& call);
Outcome PTtl(Call& call);
Outcome Rename(Call& call);
Outcome RenameNx(Call& call);
Outcome Ttl(Call& call);
Outcome Type(Call& call);

// SCAN and RANDOMKEY (resp_scan_commands.cc).
Outcome RandomKey(Call& call);
Outcome Scan(Call& call);

// Server information and administration (resp_info.cc,
// resp_admin_commands.cc).
Outcome BgSave(Call& call);
Outcome Config(Call& call);
Outcome Info(Call& call);
Outcome LastSave(Call& call);
Outcome Save(Call& call);
Outcome Time(Call& call);
// LASTSAVE's answer: UNIX seconds of the last save (SAVE, BGSAVE, or with
// an update log any sync or checkpoint), or of the start.
int64_t LastSaveTime(ServerContext& context);

// Connection and server (resp_server_commands.cc).
Outcome Command(Call& call);
Outcome Echo(Call& call);
Outcome Hello(Call& call);
Outcome Ping(Call& call);
Outcome Quit(Call& call);
Outcome Select(Call& call);

// Replication (resp_replication.cc).
// A slave streaming from this server now, as INFO and ROLE list it.
struct StreamingSlave {
  std::string ip;    // of its connection
  std::string port;  // of its connection (not its listening port, which it does not tell)
  // Update-log timestamp it acknowledged as applied, or was sent (an
  // original ttserver slave does not acknowledge).
  uint64_t offset = 0;
  double lag_s = 0;  // SlaveReport::lag_s
};
std::vector<StreamingSlave> StreamingSlaves(ServerContext& context);
Outcome ReplicaOf(Call& call);
Outcome Role(Call& call);
Outcome Wait(Call& call);

// The connection: CLIENT and RESET (resp_client_commands.cc).
Outcome ClientCommand(Call& call);
Outcome Reset(Call& call);
// True if `name` may name a connection (HELLO SETNAME, CLIENT SETNAME);
// false with Redis's error replied.
bool ValidClientName(Call& call, std::string_view name);

// Transactions (resp_transaction.cc).
// Ends the client's MULTI state and its watches (DISCARD, RESET).
void EndTransaction(Client& client);
Outcome Discard(Call& call);
Outcome Exec(Call& call);
Outcome Multi(Call& call);
Outcome Unwatch(Call& call);
Outcome Watch(Call& call);

}  // namespace tt::resp
