// Redis's commands about the connection itself (resp_call.h): CLIENT ID,
// SETNAME, GETNAME, INFO, LIST (this connection only: a connection belongs
// to its worker thread, which alone may read its state), NO-EVICT,
// NO-TOUCH, REPLY; and RESET.
#include <string>

#include "ttserver/resp/resp_call.h"
#include "ttserver/resp/resp_reply.h"

namespace tt::resp {

namespace {

// Redis's line of CLIENT INFO and CLIENT LIST for `client`, running `command`
// ("client|info"); the fields of buffers and memory that Redis counts and
// we do not are 0.
std::string ClientLine(const Client& client, std::string_view command) {
  const int64_t age_s = (NowMs() - client.created_ms) / 1000;
  const std::string flags = client.in_multi ? "x" : "N";
  const std::string multi =
      client.in_multi ? std::to_string(client.queued.size()) : std::string("-1");
  return "id=" + std::to_string(client.id) + " addr=" + client.addr + " laddr=" + client.laddr +
         " fd=" + std::to_string(client.fd) + " name=" + client.name +
         " age=" + std::to_string(age_s) + " idle=0 flags=" + flags +
         " db=0 sub=0 psub=0 ssub=0 multi=" + multi +
         " qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=" + std::to_string(client.queued_bytes) +
         " rbs=0 rbp=0 obl=0 oll=0 omem=0 tot-mem=0 events=r cmd=" + std::string(command) +
         " user=default redir=-1 resp=2\n";
}

// ON or OFF (any case) into *on; false with Redis's syntax error otherwise.
bool OnOff(Call& call, std::string_view word, bool* on) {
  if (EqualsIgnoreCase(word, "on") || EqualsIgnoreCase(word, "off")) {
    *on = EqualsIgnoreCase(word, "on");
    return true;
  }
  call.Error(kSyntaxError);
  return false;
}

}  // namespace

bool ValidClientName(Call& call, std::string_view name) {
  for (char c : name) {
    if (c < '!' || c > '~') {
      call.Error("ERR Client names cannot contain spaces, newlines or special characters.");
      return false;
    }
  }
  return true;
}

Outcome ClientCommand(Call& call) {
  const std::vector<std::string_view>& args = call.args;
  Client& client = call.client;
  const std::string sub = Lower(args[1]);
  // Each subcommand's arity, Redis's: n = exactly n words.
  auto arity = [&](size_t words) {
    if (args.size() == words) return true;
    call.Error("ERR wrong number of arguments for 'client|" + sub + "' command");
    return false;
  };
  bool on = false;
  if (sub == "id") {
    if (arity(2)) AppendInteger(call.out, static_cast<int64_t>(client.id));
  } else if (sub == "getname") {
    if (!arity(2)) return {};
    client.name.empty() ? AppendNull(call.out) : AppendBulk(call.out, client.name);
  } else if (sub == "setname") {
    if (!arity(3) || !ValidClientName(call, args[2])) return {};
    client.name = std::string(args[2]);
    AppendSimple(call.out, "OK");
  } else if (sub == "info") {
    if (arity(2)) AppendBulk(call.out, ClientLine(client, "client|info"));
  } else if (sub == "list") {
    if (arity(2)) AppendBulk(call.out, ClientLine(client, "client|list"));
  } else if (sub == "no-evict" || sub == "no-touch") {
    // Nothing is evicted here, and no read changes what eviction would pick.
    if (arity(3) && OnOff(call, args[2], &on)) AppendSimple(call.out, "OK");
  } else if (sub == "reply") {
    if (!arity(3)) return {};
    if (EqualsIgnoreCase(args[2], "on")) {
      client.reply_off = false;
      AppendSimple(call.out, "OK");
    } else if (EqualsIgnoreCase(args[2], "off")) {
      client.reply_off = true;
    } else if (EqualsIgnoreCase(args[2], "skip")) {
      if (!client.reply_off) client.skip_next_reply = true;
    } else {
      call.Error(kSyntaxError);
    }
  } else {
    call.Error("ERR unknown subcommand '" + std::string(args[1].substr(0, 128)) +
               "'. Try CLIENT HELP.");
  }
  return {};
}

// RESET: as a new connection, but for its id: no transaction, no watches,
// no name, replies on.
Outcome Reset(Call& call) {
  Client& client = call.client;
  EndTransaction(client);
  client.name.clear();
  client.reply_off = false;
  client.skip_next_reply = false;
  AppendSimple(call.out, "RESET");
  return {};
}

}  // namespace tt::resp
