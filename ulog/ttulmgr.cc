// ttulmgr: exports an update-log directory as TSV and imports TSV into one
// (ulog-and-replication.md §8). Options are accepted in the original's
// single-dash spelling (-ts) as well as ours (--ts, --ts=N).
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/args.h"
#include "common/clock.h"
#include "common/commands.h"
#include "common/hex.h"
#include "common/logging.h"
#include "ulog/export_line.h"
#include "ulog/record.h"
#include "ulog/ulog_reader.h"
#include "ulog/ulog_writer.h"

namespace tt {
namespace {

constexpr char kUsage[] =
    "ttulmgr: the update log utility of ttserver\n"
    "\n"
    "usage:\n"
    "  ttulmgr export [-ts num] [-sid num] upath\n"
    "  ttulmgr import [-lim num] upath\n"
    "  ttulmgr --version\n"
    "  ttulmgr --help\n"
    "\n"
    "  export   print the records of update log directory upath, one TSV line each:\n"
    "           ts, sid:mid, command name, body as spaced hex\n"
    "    -ts num    start at this timestamp in microseconds (\"now\" or negative = now)\n"
    "    -sid num   leave out records whose origin or master id is num\n"
    "  import   read such lines from standard input and append them to upath\n"
    "    -lim num   start a new file when one reaches num bytes (k, m, g, t, p or e suffix)\n"
    "\n"
    "Options may also be spelled --ts, --sid, --lim. See ttulmgr(1).\n";

int UsageError(const std::string& what) {
  fprintf(stderr, "ttulmgr: error: %s; see the usage below\n\n%s", what.c_str(), kUsage);
  return 1;
}

int Fail(const std::string& what, const std::string& todo) {
  fprintf(stderr, "ttulmgr: error: %s; %s\n", what.c_str(), todo.c_str());
  return 1;
}

struct Options {
  std::string command;
  std::string upath;
  uint64_t ts = 0;
  std::optional<int64_t> sid;
  uint64_t limit = 0;
};

// Returns 0 and fills *opts, -1 when help was printed, or a usage error's exit code.
int ParseArgs(const std::vector<std::string>& args, Options* opts) {
  bool help = false;
  bool version = false;
  std::vector<std::string_view> positional;
  std::set<std::string> seen;
  for (size_t i = 1; i < args.size(); ++i) {
    std::string_view arg = args[i];
    if (arg == "--") {
      for (++i; i < args.size(); ++i) positional.push_back(args[i]);
      break;
    }
    if (arg == "--help" || arg == "-h") {
      help = true;
      continue;
    }
    if (arg == "--version") {
      version = true;
      continue;
    }
    if (!arg.starts_with("--")) {
      if (arg.size() > 1 && arg[0] == '-') return UsageError("unknown option " + std::string(arg));
      positional.push_back(arg);
      continue;
    }
    std::string_view name = arg.substr(2);
    std::optional<std::string_view> value;
    if (size_t eq = name.find('='); eq != std::string_view::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    if (name != "ts" && name != "sid" && name != "lim") {
      return UsageError("unknown option --" + std::string(name));
    }
    seen.insert(std::string(name));
    if (!value) {
      if (i + 1 >= args.size()) {
        return UsageError("option -" + std::string(name) + " needs a value");
      }
      value = args[++i];
    }
    if (name == "ts") {
      std::optional<uint64_t> ts = ParseTimestampArg(*value);
      if (!ts) {
        return UsageError("-ts wants a timestamp in microseconds or \"now\", not '" +
                          std::string(*value) + "'");
      }
      opts->ts = *ts;
    } else if (name == "sid") {
      opts->sid = ParseWholeInt(*value);
      if (!opts->sid) {
        return UsageError("-sid wants a decimal server id, not '" + std::string(*value) + "'");
      }
    } else {
      std::optional<uint64_t> limit = ParseSizeWithSuffix(*value);
      if (!limit) {
        return UsageError("-lim wants a size in bytes such as 1073741824 or 1g, not '" +
                          std::string(*value) + "'");
      }
      opts->limit = *limit;
    }
  }
  if (help) {
    fputs(kUsage, stdout);
    return -1;
  }
  if (version) {
    printf("ttulmgr (ttserver) %s, compatible with Tokyo Tyrant 1.1.41\n", TT_VERSION);
    return -1;
  }
  if (positional.empty()) return UsageError("no command given");
  opts->command = positional[0];
  if (opts->command != "export" && opts->command != "import") {
    return UsageError("unknown command '" + opts->command + "'");
  }
  if (positional.size() != 2) return UsageError(opts->command + " takes exactly one upath");
  opts->upath = positional[1];
  if (opts->command == "export" && seen.count("lim")) return UsageError("-lim belongs to import");
  if (opts->command == "import" && (seen.count("ts") || seen.count("sid"))) {
    return UsageError("-ts and -sid belong to export");
  }
  return 0;
}

int Export(const Options& opts) {
  std::unique_ptr<UlogReader> reader;
  Status s = UlogReader::Open(opts.upath, opts.ts, &reader);
  if (!s.ok()) return Fail(s.message(), "give an existing update log directory");
  std::string out;
  UlogRecord rec;
  for (;;) {
    s = reader->Next(&rec);
    if (!s.ok()) break;
    if (opts.sid && *opts.sid > 0 && (rec.sid == *opts.sid || rec.mid == *opts.sid)) continue;
    out.append(FormatExportLine(rec));
    if (out.size() >= 1 << 16) {
      fwrite(out.data(), 1, out.size(), stdout);
      out.clear();
    }
  }
  fwrite(out.data(), 1, out.size(), stdout);
  if (fflush(stdout) != 0 || ferror(stdout)) {
    return Fail(std::string("cannot write standard output: ") + strerror(errno),
                "check where the output goes");
  }
  if (!s.IsNotFound()) {
    return Fail(s.message(), "the records before it were exported; the log cannot be read past it");
  }
  return 0;
}

// One import line (§8.2); false when it is skipped.
bool ParseImportLine(std::string_view line, UlogRecord* rec) {
  size_t tab1 = line.find('\t');
  if (tab1 == std::string_view::npos) return false;
  int64_t ts = ParseDecimalPrefix(line.substr(0, tab1));
  if (ts < 0) ts = static_cast<int64_t>(NowMicros());
  if (ts < 1) return false;
  std::string_view rest = line.substr(tab1 + 1);
  size_t tab2 = rest.find('\t');
  if (tab2 == std::string_view::npos) return false;
  std::string_view ids = rest.substr(0, tab2);
  int64_t sid = ParseDecimalPrefix(ids);
  int64_t mid = 0;
  if (size_t colon = ids.find(':'); colon != std::string_view::npos) {
    mid = ParseDecimalPrefix(ids.substr(colon + 1));
  }
  rest = rest.substr(tab2 + 1);
  size_t tab3 = rest.find('\t');
  if (tab3 == std::string_view::npos) return false;
  std::optional<std::string> body = HexDecode(rest.substr(tab3 + 1));
  if (!body || body->size() < 3 || static_cast<uint8_t>((*body)[0]) != kMagicRequest) return false;
  rec->ts = static_cast<uint64_t>(ts);
  rec->sid = static_cast<uint16_t>(sid);
  rec->mid = static_cast<uint16_t>(mid);
  rec->body = std::move(*body);
  return true;
}

int Import(const Options& opts) {
  TimestampClock clock;  // unused for records that carry their own timestamp
  UlogWriterOptions wopts;
  wopts.dir = opts.upath;
  wopts.limit = opts.limit;
  wopts.clock = &clock;
  std::unique_ptr<UlogWriter> writer;
  Status s = UlogWriter::Open(wopts, &writer);
  if (!s.ok()) return Fail(s.message(), "give an existing directory that you can write");
  std::string line;
  UlogRecord rec;
  auto flush_line = [&]() -> bool {
    bool ok = true;
    if (!line.empty() && ParseImportLine(line, &rec)) {
      uint64_t seq;
      s = writer->AppendRecord(rec, &seq);
      ok = s.ok();
    }
    line.clear();
    return ok;
  };
  char buf[1 << 16];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, stdin)) > 0) {
    for (size_t i = 0; i < n; ++i) {
      char c = buf[i];
      if (c == '\0') continue;
      if (c == '\n' || c == '\r') {
        if (!flush_line())
          return Fail(s.message(), "check the disk and the directory's permissions");
        continue;
      }
      line.push_back(c);
    }
  }
  if (ferror(stdin)) {
    return Fail(std::string("cannot read standard input: ") + strerror(errno), "check the input");
  }
  if (!flush_line()) return Fail(s.message(), "check the disk and the directory's permissions");
  s = writer->Sync();
  if (!s.ok()) return Fail(s.message(), "check the disk");
  return 0;
}

}  // namespace
}  // namespace tt

int main(int argc, char** argv) {
  // Standard output carries the export; diagnostics of the log code go to stderr.
  (void)tt::ConfigureLog("/dev/stderr", tt::LogLevel::kInfo);
  std::vector<std::string> args = tt::NormalizeLegacyFlags(argc, argv, {"ts", "sid", "lim"});
  tt::Options opts;
  int rc = tt::ParseArgs(args, &opts);
  if (rc != 0) return rc < 0 ? 0 : rc;
  return opts.command == "export" ? tt::Export(opts) : tt::Import(opts);
}
