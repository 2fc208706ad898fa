// Redis's connection and server commands (resp_call.h): PING ECHO QUIT
// SELECT HELLO COMMAND.
#include <optional>

#include "ttserver/resp/resp_call.h"
#include "ttserver/resp/resp_parser.h"
#include "ttserver/resp/resp_reply.h"

namespace tt::resp {

namespace {}  // namespace

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
    if (!ValidClientName(call, *name)) return {};
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
  AppendBulk(out, call.context.master->Get().host.empty() ? "master" : "replica");
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

}  // namespace tt::resp
