// ttulmgr: exports an update-log directory as TSV and imports TSV into one
// (ulog-and-replication.md §8), and deletes its old files (purge, ours:
// ulog/retention.h). Options are accepted in the original's single-dash
// spelling (-ts) as well as ours (--ts, --ts=N).
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>
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
#include "ulog/base_file.h"
#include "ulog/export_line.h"
#include "ulog/record.h"
#include "ulog/retention.h"
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
    "  ttulmgr purge [-age time] [-size num] [-ts num] [-hold time] [-force] [-dry-run] upath\n"
    "  ttulmgr --version\n"
    "  ttulmgr --help\n"
    "\n"
    "  export   print the records of update log directory upath, one TSV line each:\n"
    "           ts, sid:mid, command name, body as spaced hex\n"
    "    -ts num    start at this timestamp in microseconds (\"now\" or negative = now)\n"
    "    -sid num   leave out records whose origin or master id is num\n"
    "  import   read such lines from standard input and append them to upath\n"
    "    -lim num   start a new file when one reaches num bytes (k, m, g, t, p or e suffix)\n"
    "  purge    delete the oldest files of upath, never the newest one, never one holding\n"
    "           records after the checkpoint (ttserver.checkpoint) or the base snapshot\n"
    "           (ttserver.base), or still needed by a slave in ttserver.slaves; at least\n"
    "           one of -age, -size, -ts:\n"
    "    -age time  files whose records are all older than time (s, m, h or d: 7d)\n"
    "    -size num  oldest files while all of them total more than num bytes (10g)\n"
    "    -ts num    files whose records are all older than this timestamp in microseconds\n"
    "    -hold time keep what slaves that acknowledged within time need (default 7d)\n"
    "    -force     also delete records after the base: the database cannot be rebuilt\n"
    "               from the log until the server writes a new base (at its next start\n"
    "               or checkpoint)\n"
    "    -dry-run   only print what would be deleted\n"
    "\n"
    "Options may also be spelled --ts, --sid, --lim, --age, ... See ttulmgr(1).\n";

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
  RetentionPolicy purge;  // -age, -size, and -ts for purge
  double hold_s = kDefaultRetainHoldSeconds;
  bool dry_run = false;
  bool force = false;  // purge past the base snapshot
};

// The options each command takes ("dry-run" and "force" take no value).
const std::map<std::string, std::set<std::string>, std::less<>>& CommandOptions() {
  static const std::map<std::string, std::set<std::string>, std::less<>> options = {
      {"export", {"ts", "sid"}},
      {"import", {"lim"}},
      {"purge", {"age", "size", "ts", "hold", "force", "dry-run"}},
  };
  return options;
}

// Stores the value of option `name` (one of CommandOptions()) into *opts;
// returns the usage error's exit code, or 0.
int SetOption(std::string_view name, std::string_view value, Options* opts) {
  const std::string text(value);
  if (name == "ts") {
    std::optional<uint64_t> ts = ParseTimestampArg(value);
    if (!ts)
      return UsageError("-ts wants a timestamp in microseconds or \"now\", not '" + text + "'");
    opts->ts = *ts;
  } else if (name == "sid") {
    opts->sid = ParseWholeInt(value);
    if (!opts->sid) return UsageError("-sid wants a decimal server id, not '" + text + "'");
  } else if (name == "lim" || name == "size") {
    std::optional<uint64_t> size = ParseSizeWithSuffix(value);
    if (!size || (name == "size" && *size == 0)) {
      return UsageError("-" + std::string(name) +
                        " wants a size in bytes such as 1073741824 or 1g, not '" + text + "'");
    }
    (name == "lim" ? opts->limit : opts->purge.max_bytes) = *size;
  } else {
    std::optional<double> seconds = ParseDuration(value);
    if (!seconds || (name == "age" && *seconds == 0)) {
      return UsageError("-" + std::string(name) +
                        " wants a duration such as 7d, 12h, 30m or 3600s, not '" + text + "'");
    }
    (name == "age" ? opts->purge.max_age_s : opts->hold_s) = *seconds;
  }
  return 0;
}

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
    bool known = false;
    for (const auto& [command, names] : CommandOptions())
      known = known || names.count(std::string(name)) > 0;
    if (!known) return UsageError("unknown option --" + std::string(name));
    seen.insert(std::string(name));
    if (name == "dry-run" || name == "force") {
      if (value) return UsageError("-" + std::string(name) + " takes no value");
      (name == "dry-run" ? opts->dry_run : opts->force) = true;
      continue;
    }
    if (!value) {
      if (i + 1 >= args.size()) {
        return UsageError("option -" + std::string(name) + " needs a value");
      }
      value = args[++i];
    }
    if (int rc = SetOption(name, *value, opts); rc != 0) return rc;
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
  auto command = CommandOptions().find(opts->command);
  if (command == CommandOptions().end()) {
    return UsageError("unknown command '" + opts->command + "'");
  }
  if (positional.size() != 2) return UsageError(opts->command + " takes exactly one upath");
  opts->upath = positional[1];
  for (const std::string& name : seen) {
    if (command->second.count(name) == 0) {
      return UsageError("-" + name + " does not belong to " + opts->command);
    }
  }
  if (opts->command == "purge") {
    opts->purge.before_ts = seen.count("ts") ? opts->ts : 0;
    if (!opts->purge.any()) {
      return UsageError("purge needs -age, -size or -ts to know which files are old");
    }
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

int Purge(const Options& opts) {
  // What it deletes is printed below; the log's own lines would repeat it.
  (void)ConfigureLog("/dev/stderr", LogLevel::kError);
  RetentionRun run;
  Status s = RunUlogRetention(opts.upath, opts.purge, opts.hold_s, UINT64_MAX,
                              /*read_last_ts=*/true, opts.dry_run, /*keep_base=*/!opts.force, &run);
  const char* verb = opts.dry_run ? "would delete" : "deleted";
  uint64_t bytes = 0;
  for (const UlogDeletion& deletion : run.deleted) {
    printf("%s %s: %s\n", verb, DescribeUlogFile(deletion).c_str(), deletion.reason.c_str());
    bytes += deletion.file.size;
  }
  if (!s.ok()) {
    fflush(stdout);
    return Fail(s.message(), run.deleted.empty() ? "nothing was deleted"
                                                 : "the files listed above were deleted");
  }
  printf("%s %zu of %zu files, %llu of %llu bytes; records from ts %llu on are kept\n", verb,
         run.deleted.size(), run.files_before, static_cast<unsigned long long>(bytes),
         static_cast<unsigned long long>(run.bytes_before),
         static_cast<unsigned long long>(run.keep_from_ts));
  if (opts.force && run.held_by_base > 0 && !run.deleted.empty()) {
    printf(
        "warning: records after the base snapshot %s were deleted: until ttserver writes a new "
        "base (at its next start or checkpoint), a lost or damaged database cannot be rebuilt "
        "from the log\n",
        BasePath(opts.upath).c_str());
  } else if (run.held_by_base > 0) {
    printf(
        "note: %zu more files are kept because the base snapshot %s does not cover their "
        "records, and a rebuild of the database needs the base and every record after it; a "
        "ttserver with --ulog-retain writes a new base before it deletes such files (-force "
        "deletes them now)\n",
        run.held_by_base, BasePath(opts.upath).c_str());
  } else if (run.keep_from_ts <= 1) {
    printf(
        "note: %s has no ttserver.checkpoint, so crash recovery would re-apply the whole log "
        "and every file with records is kept; a ttserver writes one at its next checkpoint "
        "(--checkpoint-interval) or clean stop\n",
        opts.upath.c_str());
  }
  return 0;
}

}  // namespace
}  // namespace tt

int main(int argc, char** argv) {
  // Standard output carries the export; diagnostics of the log code go to stderr.
  (void)tt::ConfigureLog("/dev/stderr", tt::LogLevel::kInfo);
  std::set<std::string, std::less<>> every_option;
  for (const auto& [command, names] : tt::CommandOptions()) {
    every_option.insert(names.begin(), names.end());
  }
  std::vector<std::string> args = tt::NormalizeLegacyFlags(argc, argv, every_option);
  tt::Options opts;
  int rc = tt::ParseArgs(args, &opts);
  if (rc != 0) return rc < 0 ? 0 : rc;
  if (opts.command == "purge") return tt::Purge(opts);
  return opts.command == "export" ? tt::Export(opts) : tt::Import(opts);
}
