// Command-line grammar of tcrmgr (spec/server-options.md §4), separated from
// the tool so it can be tested without a server. As in the original, options
// are recognised only before the first positional argument (so a key or a
// number such as "-5" after the host is data, not an option); each option may
// be spelled `-name` (the original) or `--name`. `--` ends the options.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/args.h"
#include "common/status.h"

namespace tt::tcrmgr {

// One subcommand's parsed command line.
struct Args {
  std::string command;                                     // "put", "get", ...
  std::map<std::string, std::vector<std::string>> values;  // option -> values (flags: empty)
  std::vector<std::vector<std::string>> pairs;             // -ah name value, in order
  std::vector<std::string> positional;

  bool Has(std::string_view name) const { return values.count(std::string(name)) > 0; }
  // The last value given for `name`, or `fallback`.
  std::string Value(std::string_view name, std::string fallback = "") const;
};

// Parses argv (argv[0] = program, argv[1] = subcommand). InvalidArgument (with
// a one-line reason) for an unknown subcommand or option, a missing option
// value, or too few / too many positional arguments.
Status ParseArgs(int argc, const char* const* argv, Args* args);

// The full usage text of the original's form, "usage:" line first.
std::string UsageText();

// Where to connect: `host`, or a `host:port[#name=value...]` expression when
// the host contains ':' or '#' (the port in the expression wins over -port;
// `#timeout=S` / `#tout=S` sets the request timeout).
struct Endpoint {
  std::string host;
  int port = 1978;
  double timeout_s = 0;
};
Endpoint ParseHostExpr(std::string_view expr, int default_port, double default_timeout_s);

// The separator of `-sep chr`: "\t", "\r", "\n", "\\", "\xHH" escapes, else the
// first character. nullopt for an empty string.
std::optional<char> ParseSeparator(std::string_view text);

// An argument as bytes: hex-decoded with -sx (nullopt if not hex), else with
// every `sep` character replaced by NUL when a separator is set.
std::optional<std::string> DecodeArgument(std::string_view arg, bool sx, std::optional<char> sep);

// Data as tcrmgr prints it: space-separated upper-case hex with -px, else the
// raw bytes with NUL shown as `sep` when a separator is set.
std::string FormatData(std::string_view data, bool px, std::optional<char> sep);

}  // namespace tt::tcrmgr
