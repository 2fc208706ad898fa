// Redis's transactions (resp_call.h): MULTI queues, EXEC runs the queue with
// the stripes of every key it names (and every key WATCH watches) held, so
// no other write from any protocol comes between its commands, and after
// checking that no watched key changed since WATCH.
#include <memory>
#include <unordered_map>
#include <utility>

#include "common/logging.h"
#include "ttserver/resp/resp_call.h"
#include "ttserver/resp/resp_reply.h"

namespace tt::resp {

namespace {

constexpr std::string_view kExecAbort =
    "EXECABORT Transaction discarded because of previous errors.";
constexpr std::string_view kExecReplyTooLarge =
    "ERR EXEC reply exceeds maximum allowed size (--max-value): every queued command ran, "
    "their replies are not sent; read less per transaction";

// What EXEC runs: the queue and the watched keys, owned (a deferred EXEC
// runs after the request's bytes are gone).
struct Transaction {
  std::vector<std::vector<std::string>> queued;
  std::unordered_map<std::string, WatchedKey> watched;
};

// Ends the client's MULTI state and its watches, handing over what they held.
Transaction TakeTransaction(Client& client) {
  Transaction transaction{std::move(client.queued), std::move(client.watched)};
  client.in_multi = false;
  client.queued.clear();
  client.queued_bytes = 0;
  client.multi_refused = false;
  client.watched.clear();
  client.watched_bytes = 0;
  return transaction;
}

// True when watched `key` no longer is as WATCH saw it (`watched`).
bool WatchedKeyChanged(const std::string& key, const WatchedKey& watched,
                       Engine::LockedKeys& locked, Status* error) {
  std::string storage;
  Current current;
  *error = locked.Read(key, &current, &storage);
  if (!error->ok()) return true;
  if (current.exists != watched.existed) return true;
  return current.exists && current.meta.version != watched.version;
}

// EXEC's work with the keys held: the null array if a watched key changed,
// else the array of the queued commands' replies. Every queued command runs;
// once their replies pass --max-value bytes, the rest are dropped and the
// reply is an error instead.
Status RunTransaction(ServerContext& context, Client& client, const Transaction& transaction,
                      Engine::LockedKeys& locked, std::string* reply) {
  for (const auto& [key, watched] : transaction.watched) {
    Status error;
    if (WatchedKeyChanged(key, watched, locked, &error)) {
      if (!error.ok()) return error;
      reply->append("*-1\r\n");  // RESP2's null array: Redis's EXEC after a watched key changed
      return Status::Ok();
    }
  }
  std::string replies, dropped;
  std::vector<std::string_view> args;
  for (const std::vector<std::string>& words : transaction.queued) {
    args.assign(words.begin(), words.end());
    const bool too_large = replies.size() > context.limits.max_value;
    RunHeld(context, client, args, &locked, too_large ? &dropped : &replies);
    dropped.clear();
  }
  if (replies.size() > context.limits.max_value) {
    AppendError(reply, kExecReplyTooLarge);
    return Status::Ok();
  }
  AppendArrayHeader(reply, transaction.queued.size());
  reply->append(replies);
  return Status::Ok();
}

// The keys EXEC holds: every key its commands name and every watched key;
// whether a command needs every key held, and whether one may walk the
// database (then EXEC runs off the event loop).
std::vector<std::string_view> TransactionKeys(const Transaction& transaction, bool* whole_database,
                                              bool* off_loop) {
  std::vector<std::string_view> keys;
  *whole_database = false;
  *off_loop = false;
  std::vector<std::string_view> args;
  for (const std::vector<std::string>& words : transaction.queued) {
    args.assign(words.begin(), words.end());
    const CommandSpec& spec = *FindCommand(args[0]);
    if (spec.whole_database) *whole_database = true;
    if (spec.off_loop) *off_loop = true;
    for (std::string_view key : CommandKeys(spec, args)) keys.push_back(key);
  }
  for (const auto& [key, watched] : transaction.watched) keys.push_back(key);
  return keys;
}

// The reply of a transaction whose locking or durability failed.
std::string FailedReply(const Status& s) {
  LogError("RESP exec failed: ", s.ToString());
  std::string reply;
  AppendError(&reply, kStoreFailed);
  return reply;
}

}  // namespace

void EndTransaction(Client& client) { TakeTransaction(client); }

Outcome Multi(Call& call) {
  if (call.client.in_multi) {
    call.Error("ERR MULTI calls can not be nested");
    return {};
  }
  call.client.in_multi = true;
  AppendSimple(call.out, "OK");
  return {};
}

Outcome Discard(Call& call) {
  if (!call.client.in_multi) {
    call.Error("ERR DISCARD without MULTI");
    return {};
  }
  TakeTransaction(call.client);
  AppendSimple(call.out, "OK");
  return {};
}

Outcome Watch(Call& call) {
  if (call.client.in_multi) {
    call.Error("ERR WATCH inside MULTI is not allowed");
    return {};
  }
  Client& client = call.client;
  for (size_t i = 1; i < call.args.size(); ++i) {
    const std::string_view key = call.args[i];
    if (client.watched.contains(std::string(key))) continue;
    if (client.watched_bytes + key.size() > call.context.limits.max_value) {
      call.Error(
          "ERR watched keys exceed maximum allowed size (--max-value): UNWATCH, EXEC or "
          "DISCARD first");
      return {};
    }
    WatchedKey entry;
    Status s = call.Read(key, [&entry](std::string_view, const ValueMeta& meta) {
      entry.existed = true;
      entry.version = meta.version;
    });
    if (!s.ok() && !s.IsNotFound()) {
      call.Failed(s);
      return {};
    }
    client.watched.emplace(std::string(key), entry);
    client.watched_bytes += key.size();
  }
  AppendSimple(call.out, "OK");
  return {};
}

Outcome Unwatch(Call& call) {
  call.client.watched.clear();
  call.client.watched_bytes = 0;
  AppendSimple(call.out, "OK");
  return {};
}

// EXEC. A queue holding FLUSHALL/FLUSHDB holds every key, and one holding
// KEYS the keys it names; both run off the event loop (as FLUSHALL and KEYS
// alone do); their commands then see a copy of the connection's state, so a
// HELLO SETNAME among them names nobody.
Outcome Exec(Call& call) {
  Client& client = call.client;
  if (!client.in_multi) {
    call.Error("ERR EXEC without MULTI");
    return {};
  }
  const bool refused = client.multi_refused;
  auto transaction = std::make_shared<Transaction>(TakeTransaction(client));
  if (refused) {
    call.Error(kExecAbort);
    return {};
  }
  bool whole_database = false, off_loop = false;
  std::vector<std::string_view> keys = TransactionKeys(*transaction, &whole_database, &off_loop);
  if (!whole_database && !off_loop) {
    std::string reply;
    Status s = call.engine().WithLockedKeys(keys, Origin{}, [&](Engine::LockedKeys& locked) {
      return RunTransaction(call.context, client, *transaction, locked, &reply);
    });
    call.out->append(s.ok() ? reply : FailedReply(s));
    return {};
  }
  Outcome outcome;
  outcome.kind = Outcome::Kind::kDeferred;
  outcome.writes = true;
  // `keys` view the transaction's words, which the work keeps alive.
  outcome.work = [context = &call.context, copy = client, transaction, whole_database,
                  keys = std::move(keys)]() mutable {
    std::string reply;
    auto run = [&](Engine::LockedKeys& locked) {
      return RunTransaction(*context, copy, *transaction, locked, &reply);
    };
    Status s = whole_database ? context->engine->WithEveryKeyLocked(Origin{}, run)
                              : context->engine->WithLockedKeys(keys, Origin{}, run);
    return s.ok() ? reply : FailedReply(s);
  };
  return outcome;
}

}  // namespace tt::resp
