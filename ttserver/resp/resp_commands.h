// The Redis commands this build serves, with Redis 7.0's semantics and
// replies, over the Engine: a command table (name, arity, the binary command
// whose -mask bits refuse it) and one function per command.
//
// The data model is the one every protocol shares (partition/envelope.h): a
// Redis string is a stored value's payload, its TTL the envelope's expiry
// (memcached's), kept in whole seconds: an expiry asked for in milliseconds
// is rounded up to the next second, so a key never expires before the time
// asked for, and at most a second after it. SET and MSET write plain values
// (no memcached flags); APPEND, INCR and EXPIRE keep a value's flags. Every
// write goes through the Engine (Mutate, PutWithMeta, WithLockedKeys,
// Vanish), so it is logged and replicated like any other.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "ttserver/net/protocol_session.h"
#include "ttserver/server_context.h"

namespace tt::resp {

// A key as WATCH saw it: EXEC goes ahead only if the key still exists (or
// still does not) with the same version (the envelope's, which every write
// through any protocol changes).
// A watched key's state as WATCH saw it.
struct WatchedKey {
  bool existed = false;
  uint64_t version = 0;  // with existed
};

// A connection's state that commands read and change.
struct Client {
  uint64_t id = 0;   // unique within the process (HELLO's id)
  std::string name;  // HELLO SETNAME, CLIENT SETNAME
  // For CLIENT INFO: the socket, its peer's and its own address ("" when
  // not TCP/IP), and when the connection began (UNIX ms).
  int fd = -1;
  std::string addr;
  std::string laddr;
  int64_t created_ms = 0;
  // CLIENT REPLY: OFF sends no reply until ON; SKIP none to the next command.
  bool reply_off = false;
  bool skip_next_reply = false;
  // Between MULTI and EXEC/DISCARD: the commands queued, each its words.
  bool in_multi = false;
  std::vector<std::vector<std::string>> queued;
  size_t queued_bytes = 0;          // of `queued`'s words, bounded by --max-value
  bool multi_refused = false;       // a command was refused while queueing: EXEC aborts
  // WATCH, until EXEC, DISCARD or UNWATCH: key -> state; the keys' bytes,
  // bounded by --max-value.
  std::unordered_map<std::string, WatchedKey> watched;
  size_t watched_bytes = 0;
  // The timestamp of this connection's last write, or a later one (the
  // newest record's when the write did not say which was its own): WAIT
  // counts the slaves that have acknowledged it. 0 before any write.
  uint64_t last_write_ts = 0;
};

// What a command asks of its session once its reply is in `out`.
struct Outcome {
  enum class Kind {
    kReply,     // go on with the next request
    kClose,     // close the connection after the reply (QUIT)
    kDeferred,  // `work` is the slow rest of the command and returns its reply
  };
  Kind kind = Kind::kReply;
  ProtocolSession::DeferredWork work;
  // kDeferred: `work` writes (its records count as the connection's last
  // write once it has returned).
  bool writes = false;
};

// Runs the command `args` (args[0] is its name, in any case; args is not
// empty) for `client` and appends its reply to *out. Counts itself into
// context.stats (stats.h: a GET is a get, a SET a put, ...).
Outcome RunCommand(ServerContext& context, Client& client,
                   const std::vector<std::string_view>& args, std::string* out);

// How many commands the table holds (COMMAND COUNT).
size_t CommandCount();

// A new client id: 1, 2, ... within the process. Thread-safe.
uint64_t NextClientId();

// The expiry a Redis time gives the envelope: `at_ms` (UNIX milliseconds,
// > 0) rounded up to whole seconds.
int64_t ExpiresAtOf(int64_t at_ms);

// Milliseconds from `now_ms` until `expires_at` (UNIX seconds, not 0).
int64_t RemainingMs(int64_t expires_at, int64_t now_ms);

// Redis's reply to INCRBYFLOAT: `value` with 17 decimals, trailing zeros
// (and a trailing point) dropped, "-0" as "0".
std::string FormatLongDouble(long double value);

}  // namespace tt::resp
