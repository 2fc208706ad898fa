#include "client/tcrmgr_args.h"

#include <climits>
#include <cstdlib>

#include "common/hex.h"

namespace tt::tcrmgr {

namespace {

struct OptionSpec {
  std::string_view name;
  int arity;  // number of values that follow the option
};

struct CommandSpec {
  std::string_view name;
  std::vector<OptionSpec> options;
  size_t min_positional;
  size_t max_positional;
};

constexpr size_t kUnbounded = static_cast<size_t>(-1);
const OptionSpec kPort{"port", 1};
const OptionSpec kTimeout{"timeout", 1};  // ours: request timeout in seconds
const OptionSpec kSx{"sx", 0};
const OptionSpec kSep{"sep", 1};
const OptionSpec kPx{"px", 0};
const OptionSpec kPz{"pz", 0};

const std::vector<CommandSpec>& Commands() {
  static const std::vector<CommandSpec> commands = {
      {"inform", {kPort, kTimeout, {"st", 0}}, 1, 1},
      {"put",
       {kPort, kTimeout, kSx, kSep, {"dk", 0}, {"dc", 0}, {"dai", 0}, {"dad", 0}, {"ds", 1}},
       3,
       3},
      {"out", {kPort, kTimeout, kSx, kSep}, 2, 2},
      {"get", {kPort, kTimeout, kSx, kSep, kPx, kPz}, 2, 2},
      {"mget", {kPort, kTimeout, kSx, kSep, kPx}, 1, kUnbounded},
      {"list", {kPort, kTimeout, kSep, {"m", 1}, {"pv", 0}, kPx, {"fm", 1}}, 1, 1},
      {"ext", {kPort, kTimeout, {"xlr", 0}, {"xlg", 0}, kSx, kSep, kPx, kPz}, 2, 4},
      {"sync", {kPort, kTimeout}, 1, 1},
      {"optimize", {kPort, kTimeout}, 1, 2},
      {"vanish", {kPort, kTimeout}, 1, 1},
      {"copy", {kPort, kTimeout}, 2, 2},
      {"misc", {kPort, kTimeout, {"mnu", 0}, kSx, kSep, kPx}, 2, kUnbounded},
      {"importtsv", {kPort, kTimeout, {"nr", 0}, {"sc", 0}, kSep}, 1, 2},
      {"restore", {kPort, kTimeout, {"ts", 1}, {"rcc", 0}}, 2, 2},
      {"setmst", {kPort, kTimeout, {"mport", 1}, {"ts", 1}, {"rcc", 0}}, 1, 2},
      {"repl", {kPort, kTimeout, {"ts", 1}, {"sid", 1}, {"ph", 0}}, 1, 1},
      {"http", {kTimeout, {"ah", 2}, {"ih", 0}}, 1, 1},
      {"version", {}, 0, 0},
  };
  return commands;
}

}  // namespace

std::string Args::Value(std::string_view name, std::string fallback) const {
  auto it = values.find(std::string(name));
  if (it == values.end() || it->second.empty()) return fallback;
  return it->second.back();
}

Status ParseArgs(int argc, const char* const* argv, Args* args) {
  *args = Args();
  if (argc < 2) return Status::InvalidArgument("no subcommand given");
  std::string_view command = argv[1];
  if (command == "--version" || command == "-version") command = "version";
  const CommandSpec* spec = nullptr;
  for (const CommandSpec& c : Commands()) {
    if (c.name == command) spec = &c;
  }
  if (spec == nullptr) {
    return Status::InvalidArgument("unknown subcommand '" + std::string(command) + "'");
  }
  args->command = std::string(command);
  bool options_done = false;
  for (int i = 2; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (!options_done && args->positional.empty() && arg.size() > 1 && arg[0] == '-') {
      if (arg == "--") {
        options_done = true;
        continue;
      }
      std::string_view name = arg.substr(arg.size() > 2 && arg[1] == '-' ? 2 : 1);
      const OptionSpec* opt = nullptr;
      for (const OptionSpec& o : spec->options) {
        if (o.name == name) opt = &o;
      }
      if (opt == nullptr) {
        return Status::InvalidArgument("unknown option '" + std::string(arg) + "' for " +
                                       args->command);
      }
      if (i + opt->arity >= argc) {
        return Status::InvalidArgument("option '" + std::string(arg) + "' needs " +
                                       std::to_string(opt->arity) + " value(s)");
      }
      std::vector<std::string>& values = args->values[std::string(name)];
      std::vector<std::string> group;
      for (int k = 0; k < opt->arity; ++k) group.emplace_back(argv[++i]);
      if (opt->arity == 2) args->pairs.push_back(group);
      values.insert(values.end(), group.begin(), group.end());
      continue;
    }
    args->positional.emplace_back(arg);
  }
  if (args->positional.size() < spec->min_positional) {
    return Status::InvalidArgument("too few arguments for " + args->command);
  }
  if (args->positional.size() > spec->max_positional) {
    return Status::InvalidArgument("too many arguments for " + args->command);
  }
  return Status::Ok();
}

std::string UsageText() {
  return "tcrmgr: the command line utility of the remote database API\n"
         "\n"
         "usage:\n"
         "  tcrmgr inform [-port num] [-st] host\n"
         "  tcrmgr put [-port num] [-sx] [-sep chr] [-dk|-dc|-dai|-dad|-ds num] host key value\n"
         "  tcrmgr out [-port num] [-sx] [-sep chr] host key\n"
         "  tcrmgr get [-port num] [-sx] [-sep chr] [-px] [-pz] host key\n"
         "  tcrmgr mget [-port num] [-sx] [-sep chr] [-px] host [key...]\n"
         "  tcrmgr list [-port num] [-sep chr] [-m num] [-pv] [-px] [-fm str] host\n"
         "  tcrmgr ext [-port num] [-xlr|-xlg] [-sx] [-sep chr] [-px] [-pz] host func [key "
         "[value]]\n"
         "  tcrmgr sync [-port num] host\n"
         "  tcrmgr optimize [-port num] host [params]\n"
         "  tcrmgr vanish [-port num] host\n"
         "  tcrmgr copy [-port num] host dpath\n"
         "  tcrmgr misc [-port num] [-mnu] [-sx] [-sep chr] [-px] host func [arg...]\n"
         "  tcrmgr importtsv [-port num] [-nr] [-sc] [-sep chr] host [file]\n"
         "  tcrmgr restore [-port num] [-ts num] [-rcc] host upath\n"
         "  tcrmgr setmst [-port num] [-mport num] [-ts num] [-rcc] host [mhost]\n"
         "  tcrmgr repl [-port num] [-ts num] [-sid num] [-ph] host\n"
         "  tcrmgr http [-ah name value] [-ih] url\n"
         "  tcrmgr version\n"
         "\n"
         "Options may also be spelled --name; every network subcommand accepts\n"
         "--timeout sec (request timeout, default none).\n";
}

Endpoint ParseHostExpr(std::string_view expr, int default_port, double default_timeout_s) {
  Endpoint ep;
  ep.port = default_port;
  ep.timeout_s = default_timeout_s;
  std::string_view hostport = expr.substr(0, expr.find('#'));
  size_t colon = hostport.rfind(':');
  if (colon != std::string_view::npos) {
    ep.host = std::string(hostport.substr(0, colon));
    ep.port = static_cast<int>(ParseDecimalPrefix(hostport.substr(colon + 1)));
  } else {
    ep.host = std::string(hostport);
  }
  if (ep.host.size() > 2 && ep.host.front() == '[' && ep.host.back() == ']') {
    ep.host = ep.host.substr(1, ep.host.size() - 2);
  }
  size_t pos = expr.find('#');
  while (pos != std::string_view::npos) {
    size_t next = expr.find('#', pos + 1);
    std::string_view param = expr.substr(
        pos + 1, next == std::string_view::npos ? std::string_view::npos : next - pos - 1);
    size_t eq = param.find('=');
    if (eq != std::string_view::npos) {
      std::string_view name = param.substr(0, eq);
      if (name == "timeout" || name == "tout") {
        ep.timeout_s = std::atof(std::string(param.substr(eq + 1)).c_str());
      }
    }
    pos = next;
  }
  return ep;
}

std::optional<char> ParseSeparator(std::string_view text) {
  if (text.empty()) return std::nullopt;
  if (text.size() >= 2 && text[0] == '\\') {
    switch (text[1]) {
      case 't':
        return '\t';
      case 'r':
        return '\r';
      case 'n':
        return '\n';
      case '\\':
        return '\\';
      case 'x':
        if (text.size() == 4 && HexDigitValue(text[2]) >= 0 && HexDigitValue(text[3]) >= 0) {
          return static_cast<char>(HexDigitValue(text[2]) * 16 + HexDigitValue(text[3]));
        }
        break;
      default:
        break;
    }
  }
  return text[0];
}

std::optional<std::string> DecodeArgument(std::string_view arg, bool sx, std::optional<char> sep) {
  if (sx) return HexDecode(arg);
  std::string out(arg);
  if (sep) {
    for (char& c : out) {
      if (c == *sep) c = '\0';
    }
  }
  return out;
}

std::string FormatData(std::string_view data, bool px, std::optional<char> sep) {
  if (px) return HexSpaced(data);
  std::string out(data);
  if (sep) {
    for (char& c : out) {
      if (c == '\0') c = *sep;
    }
  }
  return out;
}

}  // namespace tt::tcrmgr
