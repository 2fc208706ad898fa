// Redis's transactions (resp_call.h): MULTI queues, EXEC runs the queue with
// the stripes of every key it names (and every key WATCH watches) held, so
// no other write from any protocol comes between its commands, and after
// checking that no watched key changed since WATCH.
#include <memory>
#include <utility>

#include "common/logging.h"
#include "ttserver/resp/resp_call.h"
#include "ttserver/resp/resp_reply.h"

namespace tt::resp {

namespace {

constexpr std::string_view kExecAbort =
    "EXECABORT Transaction discarded because of previous errors.";

// What EXEC runs: the queue and the watched keys, owned (a deferred EXEC
// runs after the request's bytes are gone).
struct Transaction {
  std::vector<std::vector<std::string>> queued;
  std::vector<WatchedKey> watched;
};

// Ends the client's MULTI state and its watches, handing over what they held.
Transaction TakeTransaction(Client& client) {
  Transaction transaction{std::move(client.queued), std::move(client.watched)};
  client.in_multi = false;
  client.queued.clear();
  client.queued_bytes = 0;
  client.multi_refused = false;
  client.watched.clear();
  return transaction;
}

// True when a watched key no longer is as WATCH saw it.
bool WatchedKeyChanged(const WatchedKey& watched, Engine::LockedKeys& locked, Status* error) {
  std::string storage;
  Current current;
  *error = locked.Read(watched.key, &current, &storage);
  if (!error->ok()) return true;
  if (current.exists != watched.existed) return true;
  return current.exists && current.meta.version != watched.version;
}

// EXEC's work with the keys held: the null array if a watched key changed,
// else the array of the queued commands' replies.
Status RunTransaction(ServerContext& context, Client& client, const Transaction& transaction,
                      Engine::LockedKeys& locked, std::string* reply) {
  for (const WatchedKey& watched : transaction.watched) {
    Status error;
    if (WatchedKeyChanged(watched, locked, &error)) {
      if (!error.ok()) return error;
      reply->append("*-1\r\n");  // RESP2's null array: Redis's EXEC after a watched key changed
      return Status::Ok();
    }
  }
  AppendArrayHeader(reply, transaction.queued.size());
  std::vector<std::string_view> args;
  for (const std::vector<std::string>& words : transaction.queued) {
    args.assign(words.begin(), words.end());
    RunHeld(context, client, args, &locked, reply);
  }
  return Status::Ok();
}

// The keys EXEC holds: every key its commands name and every watched key.
std::vector<std::string_view> TransactionKeys(const Transaction& transaction,
                                              bool* whole_database) {
  std::vector<std::string_view> keys;
  *whole_database = false;
  std::vector<std::string_view> args;
  for (const std::vector<std::string>& words : transaction.queued) {
    args.assign(words.begin(), words.end());
    const CommandSpec& spec = *FindCommand(args[0]);
    if (spec.whole_database) *whole_database = true;
    for (std::string_view key : CommandKeys(spec, args)) keys.push_back(key);
  }
  for (const WatchedKey& watched : transaction.watched) keys.push_back(watched.key);
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
  std::vector<WatchedKey>& watched = call.client.watched;
  for (size_t i = 1; i < call.args.size(); ++i) {
    const std::string_view key = call.args[i];
    bool known = false;
    for (const WatchedKey& w : watched) known = known || w.key == key;
    if (known) continue;
    WatchedKey entry{.key = std::string(key)};
    Status s = call.Read(key, [&entry](std::string_view, const ValueMeta& meta) {
      entry.existed = true;
      entry.version = meta.version;
    });
    if (!s.ok() && !s.IsNotFound()) {
      call.Failed(s);
      return {};
    }
    watched.push_back(std::move(entry));
  }
  AppendSimple(call.out, "OK");
  return {};
}

Outcome Unwatch(Call& call) {
  call.client.watched.clear();
  AppendSimple(call.out, "OK");
  return {};
}

// EXEC. A queue holding FLUSHALL/FLUSHDB holds every key and runs off the
// event loop (as FLUSHALL alone does); its commands then see a copy of the
// connection's state, so a HELLO SETNAME among them names nobody.
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
  bool whole_database = false;
  const std::vector<std::string_view> keys = TransactionKeys(*transaction, &whole_database);
  if (!whole_database) {
    std::string reply;
    Status s = call.engine().WithLockedKeys(keys, Origin{}, [&](Engine::LockedKeys& locked) {
      return RunTransaction(call.context, client, *transaction, locked, &reply);
    });
    call.out->append(s.ok() ? reply : FailedReply(s));
    return {};
  }
  Outcome outcome;
  outcome.kind = Outcome::Kind::kDeferred;
  outcome.work = [context = &call.context, copy = client, transaction]() mutable {
    std::string reply;
    Status s = context->engine->WithEveryKeyLocked(Origin{}, [&](Engine::LockedKeys& locked) {
      return RunTransaction(*context, copy, *transaction, locked, &reply);
    });
    return s.ok() ? reply : FailedReply(s);
  };
  return outcome;
}

}  // namespace tt::resp
