#include "repl/tail/tail_options.h"

#include <functional>
#include <map>
#include <string_view>

#include "common/args.h"

namespace tt {

namespace {

constexpr char kUsage[] =
    "tttail: streams the changes of a ttserver (or Tokyo Tyrant) master as it\n"
    "replicates them: to standard output as JSON or TSV lines, or into an SQLite or\n"
    "PostgreSQL table.\n"
    "\n"
    "usage: tttail [options] host\n"
    "\n"
    "  --port N             the master's port (default 1978)\n"
    "  --sid N              the server id tttail announces to the master, 1-65535\n"
    "                       (default 65535); it must differ from every real server's\n"
    "                       sid, since a master leaves out the records of that sid;\n"
    "                       our master keeps its log for the position tttail\n"
    "                       acknowledges under it: one sid per tttail\n"
    "  --follow             stream forever, reconnecting when the link breaks\n"
    "                       (the default)\n"
    "  --stop-at-end        stop once all the master held at the start is delivered\n"
    "  --ts N               start at timestamp N (microseconds, or \"now\") when\n"
    "                       there is no checkpoint yet (default: the oldest record)\n"
    "  --tls                reach the master over TLS (--port is then its --tls-port)\n"
    "  --tls-ca FILE        PEM CA certificates the master's certificate must be\n"
    "                       signed by (default: the system's CAs)\n"
    "  --tls-cert FILE, --tls-key FILE\n"
    "                       PEM certificate and key shown to a master that asks\n"
    "                       for one (its --tls-ca)\n"
    "\n"
    "standard output (at least once):\n"
    "  --format json|tsv    one JSON object per record (default), or the line of\n"
    "                       `ttulmgr export`\n"
    "  --encoding text|base64\n"
    "                       JSON keys and values: text (default) writes UTF-8 bytes\n"
    "                       as \"key\" and anything else as \"key_base64\"; base64\n"
    "                       always writes \"key_base64\"\n"
    "  --checkpoint PATH    remember the last delivered timestamp in PATH and resume\n"
    "                       after it (exit 1 if the master's log no longer reaches it)\n"
    "\n"
    "sinks (exactly once; the checkpoint lives in the database, and like\n"
    "--checkpoint it is acknowledged to our master, which keeps its log for it):\n"
    "  --sqlite PATH        apply the changes to table kv of SQLite database PATH\n"
    "  --postgres CONNINFO  apply them to table kv of a PostgreSQL database, e.g.\n"
    "                       'host=127.0.0.1 port=5432 user=app dbname=app'\n"
    "  --source NAME        the sink's checkpoint row (default host:port)\n"
    "\n"
    "  --progress           show records/s, total and lag on standard error (default\n"
    "                       when it is a terminal); --no-progress turns it off\n"
    "  --help, --version\n"
    "\n"
    "See tttail(1).\n";

// Options that take a value, and how each is stored.
using Setter =
    std::function<bool(std::string_view value, TailOptions* options, std::string* error)>;

bool Fail(std::string* error, std::string text) {
  *error = std::move(text);
  return false;
}

// A setter that keeps the value as it is in `field`.
template <typename Field>
Setter StoreText(Field TailOptions::*field) {
  return [field](std::string_view v, TailOptions* o, std::string*) {
    o->*field = std::string(v);
    return true;
  };
}

const std::map<std::string, Setter, std::less<>>& ValueOptions() {
  static const auto* options = new std::map<std::string, Setter, std::less<>>{
      {"port",
       [](std::string_view v, TailOptions* o, std::string* e) {
         std::optional<int64_t> port = ParseWholeInt(v);
         if (!port || *port < 1 || *port > 65535) {
           return Fail(e, "--port wants a TCP port from 1 to 65535, not '" + std::string(v) + "'");
         }
         o->port = static_cast<int>(*port);
         return true;
       }},
      {"sid",
       [](std::string_view v, TailOptions* o, std::string* e) {
         std::optional<int64_t> sid = ParseWholeInt(v);
         if (!sid || *sid < 1 || *sid > 65535) {
           return Fail(e,
                       "--sid wants a server id from 1 to 65535 that no real server "
                       "uses, not '" +
                           std::string(v) + "'");
         }
         o->sid = *sid;
         return true;
       }},
      {"ts",
       [](std::string_view v, TailOptions* o, std::string* e) {
         o->start_ts = ParseTimestampArg(v);
         return o->start_ts ? true
                            : Fail(e, "--ts wants a timestamp in microseconds or \"now\", not '" +
                                          std::string(v) + "'");
       }},
      {"format",
       [](std::string_view v, TailOptions* o, std::string* e) {
         if (v != "json" && v != "tsv") {
           return Fail(e, "--format is json or tsv, not '" + std::string(v) + "'");
         }
         o->format = v == "json" ? TailFormat::kJson : TailFormat::kTsv;
         return true;
       }},
      {"encoding",
       [](std::string_view v, TailOptions* o, std::string* e) {
         if (v != "text" && v != "base64") {
           return Fail(e, "--encoding is text or base64, not '" + std::string(v) + "'");
         }
         o->encoding = v == "text" ? TailEncoding::kText : TailEncoding::kBase64;
         return true;
       }},
      {"checkpoint", StoreText(&TailOptions::checkpoint)},
      {"sqlite", StoreText(&TailOptions::sqlite_path)},
      {"postgres", StoreText(&TailOptions::postgres_conninfo)},
      {"source", StoreText(&TailOptions::source)},
      {"tls-ca", StoreText(&TailOptions::tls_ca)},
      {"tls-cert", StoreText(&TailOptions::tls_cert)},
      {"tls-key", StoreText(&TailOptions::tls_key)},
  };
  return *options;
}

// The rules between options, once all are read.
bool CheckCombination(const std::map<std::string, bool, std::less<>>& seen, TailOptions* options,
                      std::string* error) {
  const bool sink = options->sqlite_path || options->postgres_conninfo;
  if (options->sqlite_path && options->postgres_conninfo) {
    return Fail(error, "--sqlite and --postgres are exclusive; run one tttail per database");
  }
  if (sink && options->checkpoint) {
    return Fail(error,
                "a sink keeps its checkpoint in its table tttail_checkpoint; "
                "drop --checkpoint");
  }
  if (sink && (seen.count("format") || seen.count("encoding"))) {
    return Fail(error,
                "--format and --encoding are for standard output, which a sink does not "
                "use; drop them");
  }
  if (!sink && seen.count("source")) {
    return Fail(error,
                "--source names the checkpoint row of a sink; use it with --sqlite or "
                "--postgres");
  }
  if (!options->tls && (seen.count("tls-ca") || seen.count("tls-cert") || seen.count("tls-key"))) {
    return Fail(error, "--tls-ca, --tls-cert and --tls-key are for TLS: add --tls");
  }
  if (options->tls_cert.empty() != options->tls_key.empty()) {
    return Fail(error, "--tls-cert and --tls-key go together: give both (a certificate and its key)");
  }
  if (seen.count("follow") && seen.count("stop-at-end")) {
    return Fail(error, "--follow and --stop-at-end are exclusive; pick one");
  }
  if (options->source.empty()) {
    options->source = options->host + ":" + std::to_string(options->port);
  }
  return true;
}

}  // namespace

const char* TailUsage() { return kUsage; }

bool ParseTailOptions(const std::vector<std::string>& args, TailOptions* options,
                      TailCommand* command, std::string* error) {
  *command = TailCommand::kRun;
  std::vector<std::string_view> positional;
  std::map<std::string, bool, std::less<>> seen;
  for (size_t i = 1; i < args.size(); ++i) {
    std::string_view arg = args[i];
    if (arg == "--") {
      for (++i; i < args.size(); ++i) positional.push_back(args[i]);
      break;
    }
    if (arg == "--help" || arg == "-h") {
      *command = TailCommand::kHelp;
      return true;
    }
    if (arg == "--version") {
      *command = TailCommand::kVersion;
      return true;
    }
    if (!arg.starts_with("--")) {
      if (arg.size() > 1 && arg[0] == '-') {
        return Fail(error, "unknown option " + std::string(arg) + " (options start with --)");
      }
      positional.push_back(arg);
      continue;
    }
    std::string_view name = arg.substr(2);
    std::optional<std::string_view> value;
    if (size_t eq = name.find('='); eq != std::string_view::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    seen[std::string(name)] = true;
    if (name == "follow" || name == "stop-at-end" || name == "progress" || name == "no-progress" ||
        name == "tls") {
      if (value) return Fail(error, "--" + std::string(name) + " takes no value");
      if (name == "tls") options->tls = true;
      if (name == "follow" || name == "stop-at-end") options->stop_at_end = name == "stop-at-end";
      if (name == "progress" || name == "no-progress") options->progress = name == "progress";
      continue;
    }
    auto option = ValueOptions().find(name);
    if (option == ValueOptions().end()) {
      return Fail(error, "unknown option --" + std::string(name));
    }
    if (!value) {
      if (i + 1 >= args.size()) return Fail(error, "--" + std::string(name) + " needs a value");
      value = args[++i];
    }
    if (!option->second(*value, options, error)) return false;
  }
  if (positional.size() != 1) {
    return Fail(error, positional.empty() ? "no master host given"
                                          : "give exactly one master host, not " +
                                                std::to_string(positional.size()) + " arguments");
  }
  options->host = positional[0];
  return CheckCombination(seen, options, error);
}

}  // namespace tt
