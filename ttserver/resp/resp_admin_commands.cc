// Redis's server administration commands (resp_call.h): CONFIG GET and SET,
// TIME, LASTSAVE, SAVE and BGSAVE. ttserver is configured by its command
// line, so CONFIG answers what clients probe and refuses changes, naming
// the option that makes them; a save is the binary `sync` (Engine::Sync:
// the database and the update log to the device).
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/commands.h"
#include "common/logging.h"
#include "ttserver/resp/resp_call.h"
#include "ttserver/resp/resp_glob.h"
#include "ttserver/resp/resp_reply.h"
#include "ttserver/resp/resp_state.h"

namespace tt::resp {

namespace {

// A Redis configuration parameter as CONFIG GET reports it, and what to
// change on ttserver's command line instead of CONFIG SET.
struct Parameter {
  std::string_view name;
  std::string (*value)(const ServerContext&);
  std::string_view instead;
};

std::string Yes(bool yes) { return yes ? "yes" : "no"; }

const Parameter kParameters[] = {
    {"appendonly", [](const ServerContext& c) { return Yes(c.engine->ulog() != nullptr); },
     "--ulog DIR (the update log)"},
    {"cluster-enabled", [](const ServerContext&) { return Yes(false); },
     "nothing: there is no cluster mode"},
    {"databases", [](const ServerContext&) { return std::string("1"); },
     "nothing: there is one database"},
    {"maxclients", [](const ServerContext& c) { return std::to_string(c.limits.max_conns); },
     "--max-conns"},
    {"maxmemory", [](const ServerContext&) { return std::string("0"); },
     "the database name's Kyoto Cabinet tuning (#msiz, #capsiz)"},
    {"maxmemory-policy", [](const ServerContext&) { return std::string("noeviction"); },
     "nothing: keys are never evicted"},
    {"proto-max-bulk-len",
     [](const ServerContext& c) {
       return std::to_string(std::max(c.limits.max_key, c.limits.max_value));
     },
     "--max-key and --max-value"},
    {"replica-read-only", [](const ServerContext&) { return Yes(false); },
     "-mask (a slave accepts writes, as a dual master does)"},
    {"save", [](const ServerContext&) { return std::string(); },
     "--ulog and --ulog-sync (the update log takes the place of snapshots)"},
    {"slave-read-only", [](const ServerContext&) { return Yes(false); },
     "-mask (a slave accepts writes, as a dual master does)"},
    {"timeout",
     [](const ServerContext& c) {
       return std::to_string(static_cast<int64_t>(c.limits.idle_timeout_s));
     },
     "--idle-timeout"},
};

// As Redis, a name without a glob character is answered as it was asked
// (in its case), a pattern's matches by their own names.
Outcome ConfigGet(Call& call) {
  std::vector<std::pair<const Parameter*, std::string_view>> found;
  for (size_t i = 2; i < call.args.size(); ++i) {
    const std::string_view asked = call.args[i];
    const bool pattern = asked.find_first_of("*?[") != std::string_view::npos;
    const std::string lower = Lower(asked);
    for (const Parameter& parameter : kParameters) {
      const bool match = pattern ? GlobMatch(lower, parameter.name) : lower == parameter.name;
      const bool listed = std::any_of(found.begin(), found.end(),
                                      [&](const auto& pair) { return pair.first == &parameter; });
      if (match && !listed) found.emplace_back(&parameter, pattern ? parameter.name : asked);
    }
  }
  AppendArrayHeader(call.out, found.size() * 2);
  for (const auto& [parameter, name] : found) {
    AppendBulk(call.out, name);
    AppendBulk(call.out, parameter->value(call.context));
  }
  return {};
}

Outcome ConfigSet(Call& call) {
  const std::string name = Lower(call.args[2]);
  for (const Parameter& parameter : kParameters) {
    if (parameter.name == name) {
      call.Error(
          "ERR CONFIG SET is not supported: ttserver is configured by its command line; "
          "for '" +
          name + "' use " + std::string(parameter.instead) + " (ttserver --help)");
      return {};
    }
  }
  call.Error(
      "ERR CONFIG SET is not supported: ttserver is configured by its command line "
      "(ttserver --help); it has no parameter '" +
      std::string(call.args[2].substr(0, 128)) + "'");
  return {};
}

}  // namespace

// CONFIG GET pattern [pattern ...] | SET parameter value [parameter value ...] |
// RESETSTAT.
Outcome Config(Call& call) {
  const std::vector<std::string_view>& args = call.args;
  if (EqualsIgnoreCase(args[1], "get")) {
    if (args.size() < 3) {
      call.Error("ERR wrong number of arguments for 'config|get' command");
      return {};
    }
    return ConfigGet(call);
  }
  if (EqualsIgnoreCase(args[1], "set")) {
    if (args.size() < 4 || args.size() % 2 != 0) {
      call.Error("ERR wrong number of arguments for 'config|set' command");
      return {};
    }
    return ConfigSet(call);
  }
  if (EqualsIgnoreCase(args[1], "resetstat")) {
    if (args.size() != 2) {
      call.Error("ERR wrong number of arguments for 'config|resetstat' command");
      return {};
    }
    // The counters every protocol shares, as memcached's `stats reset` zeroes them.
    call.stats().Reset();
    AppendSimple(call.out, "OK");
    return {};
  }
  call.Error("ERR unknown subcommand '" + std::string(args[1].substr(0, 128)) +
             "'. Try CONFIG HELP.");
  return {};
}

Outcome Time(Call& call) {
  const uint64_t now = NowMicros();
  AppendArrayHeader(call.out, 2);
  AppendBulk(call.out, std::to_string(now / 1000000));
  AppendBulk(call.out, std::to_string(now % 1000000));
  return {};
}

Outcome LastSave(Call& call) {
  AppendInteger(call.out, LastSaveTime(call.context));
  return {};
}

// SAVE: Engine::Sync off the event loop, answered once it is done (never
// inside EXEC: the table refuses it there).
Outcome Save(Call& call) {
  call.stats().CountCommand(kCmdSync);
  Saves& saves = call.context.resp->saves;
  if (saves.BackgroundRunning()) {
    call.Error("ERR Background save already in progress");
    return {};
  }
  auto work = [engine = call.context.engine, &saves] {
    Status s = engine->Sync();
    saves.Ended(s.ok());
    std::string reply;
    if (s.ok()) {
      AppendSimple(&reply, "OK");
    } else {
      LogError("RESP save failed: ", s.ToString());
      AppendError(&reply, kStoreFailed);
    }
    return reply;
  };
  Outcome outcome;
  outcome.kind = Outcome::Kind::kDeferred;
  outcome.work = work;
  return outcome;
}

// BGSAVE [SCHEDULE]: Engine::Sync on a thread of its own, answered at once.
Outcome BgSave(Call& call) {
  if (call.args.size() > 2 ||
      (call.args.size() == 2 && !EqualsIgnoreCase(call.args[1], "schedule"))) {
    call.Error(kSyntaxError);
    return {};
  }
  call.stats().CountCommand(kCmdSync);
  if (!call.context.resp->saves.StartBackground(call.context.engine)) {
    call.Error("ERR Background save already in progress");
    return {};
  }
  AppendSimple(call.out, "Background saving started");
  return {};
}

}  // namespace tt::resp
