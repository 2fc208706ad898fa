#include "ttserver/options.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <optional>
#include <set>
#include <string_view>

#include "common/args.h"

namespace tt {

namespace {

// Every option name of the original plus ours; each is accepted as "-name"
// and as "--name".
const std::set<std::string, std::less<>>& LongNames() {
  static const std::set<std::string, std::less<>> names = {"host",      "port",
                                                           "thnum",     "tout",
                                                           "dmn",       "pid",
                                                           "kl",        "log",
                                                           "ld",        "le",
                                                           "ulog",      "ulim",
                                                           "uas",       "sid",
                                                           "mhost",     "mport",
                                                           "rts",       "rcc",
                                                           "mtls",
                                                           "skel",      "mul",
                                                           "ext",       "extpc",
                                                           "mask",      "unmask",
                                                           "ulog-sync", "ulog-sync-interval",
                                                           "checkpoint-interval",
                                                           "ulog-retain", "ulog-retain-hold",
                                                           "ulog-retain-interval",
                                                           "max-key",   "max-value",
                                                           "mc-item-max",
                                                           "max-conns", "idle-timeout",
                                                           "metrics-port",
                                                           "tls-port",  "tls-cert",
                                                           "tls-key",   "tls-ca",
                                                           "expiry-sweep-interval",
                                                           "expiry-schedule-max",
                                                           "version",   "help"};
  return names;
}

Status Bad(std::string message) { return Status::InvalidArgument(std::move(message)); }

// A whole-string, finite, non-negative decimal number ("1", "0.5").
std::optional<double> ParseSeconds(const std::string& text) {
  char* end = nullptr;
  double value = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(value) || value < 0) {
    return std::nullopt;
  }
  return value;
}

// `name` is spelled as in the messages: "-port" (the original's), "--max-conns" (ours).
// The text must be a whole-string integer (ParseWholeInt), stricter than the
// original's tcatoi, which reads "12abc" as 12 and "abc" as 0: a typo must not
// silently become port 0 or one thread.
Status IntOption(const char* name, const std::string& text, int64_t min, int64_t max,
                 int64_t* value) {
  std::optional<int64_t> v = ParseWholeInt(text);
  if (!v) return Bad(std::string(name) + ": '" + text + "' is not an integer");
  if (*v < min || *v > max) {
    return Bad(std::string(name) + ": " + text + " is out of range (" + std::to_string(min) + ".." +
               std::to_string(max) + ")");
  }
  *value = *v;
  return Status::Ok();
}

Status SecondsOption(const char* name, const std::string& text, double* value) {
  std::optional<double> v = ParseSeconds(text);
  if (!v) return Bad(std::string(name) + ": '" + text + "' is not a number of seconds >= 0");
  *value = *v;
  return Status::Ok();
}

Status SizeOption(const char* name, const std::string& text, uint64_t min, uint64_t max,
                  uint64_t* value) {
  std::optional<uint64_t> v = ParseSizeWithSuffix(text);
  if (!v) {
    return Bad(std::string(name) + ": '" + text +
               "' is not a size (a number with an optional k, m, g, t, p or e suffix)");
  }
  if (*v < min || *v > max) {
    return Bad(std::string(name) + ": " + text + " is out of range (" + std::to_string(min) + ".." +
               std::to_string(max) + " bytes)");
  }
  *value = *v;
  return Status::Ok();
}

// What CLI11 collects: raw strings, converted and checked by Convert() so that
// every message names the option the way the user typed it in the original.
struct RawOptions {
  std::string host, port, thnum, tout, pid, log, ulog, ulim, sid, mhost, mport, rts, mul;
  std::string ulog_sync, ulog_sync_interval, checkpoint_interval, max_key, max_value, max_conns, idle_timeout;
  std::string mc_item_max;
  std::string metrics_port, expiry_sweep_interval, expiry_schedule_max;
  std::string tls_port, tls_cert, tls_key, tls_ca;
  std::string ulog_retain, ulog_retain_hold, ulog_retain_interval;
  std::string skel, ext, dbname;
  std::vector<std::string> extpc, mask, unmask;
  bool dmn = false, kl = false, ld = false, le = false, uas = false, rcc = false;
  bool mtls = false;
  bool version = false;
};

void Define(CLI::App& app, RawOptions& raw) {
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  app.positionals_at_end();  // as the original: options only before dbname
  app.add_option("--host", raw.host, "address to bind, or the UNIX socket path if port < 1")
      ->default_str("127.0.0.1")
      ->type_name("HOST");
  app.add_option("--port", raw.port, "TCP port; < 1 = UNIX-domain socket at -host")
      ->default_str("1978")
      ->type_name("NUM");
  app.add_option("--thnum", raw.thnum, "worker threads")->default_str("8")->type_name("NUM");
  app.add_option("--tout", raw.tout,
                 "request deadline in seconds (0 = none); also the TLS handshake's (else 10 s)")
      ->default_str("0")
      ->type_name("SECONDS");
  app.add_flag("--dmn", raw.dmn, "run as a daemon");
  app.add_option("--pid", raw.pid, "PID file")->type_name("PATH");
  app.add_flag("--kl", raw.kl, "stop the process of an existing PID file first");
  app.add_option("--log", raw.log, "log file (default: stdout)")->type_name("PATH");
  app.add_flag("--ld", raw.ld, "log debug messages too");
  app.add_flag("--le", raw.le, "log errors only");
  app.add_option("--ulog", raw.ulog, "update-log directory (needs -sid)")->type_name("DIR");
  app.add_option("--ulim", raw.ulim, "update-log file size limit")
      ->default_str("1g")
      ->type_name("SIZE");
  app.add_flag("--uas", raw.uas, "accepted for compatibility; has no effect");
  app.add_option("--sid", raw.sid, "server id, 1..65535")->type_name("NUM");
  app.add_option("--mhost", raw.mhost, "replication master host: follow its update log (needs -sid)")->type_name("HOST");
  app.add_option("--mport", raw.mport, "replication master port")
      ->default_str("1978")
      ->type_name("NUM");
  app.add_option("--rts", raw.rts, "replication timestamp file")
      ->default_str("ttserver.rts")
      ->type_name("PATH");
  app.add_flag("--rcc", raw.rcc, "stop replicating at the first inconsistency");
  app.add_flag("--mtls", raw.mtls,
               "reach the master over TLS (its --tls-port), verifying its certificate against "
               "--tls-ca (default: the system's CAs)");
  app.add_option("--mul", raw.mul, "database partitions (at most 127)")->type_name("NUM");
  app.add_option("--mask", raw.mask, "forbid commands (repeatable)")
      ->expected(1)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->type_name("EXPR");
  app.add_option("--unmask", raw.unmask, "allow masked commands again (repeatable)")
      ->expected(1)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll)
      ->type_name("EXPR");
  app.add_option("--ulog-sync", raw.ulog_sync, "update-log durability: none, interval, always")
      ->default_str("none")
      ->type_name("LEVEL");
  app.add_option("--ulog-sync-interval", raw.ulog_sync_interval,
                 "seconds between syncs with --ulog-sync interval")
      ->default_str("1")
      ->type_name("SECONDS");
  app.add_option("--ulog-retain", raw.ulog_retain,
                 "delete old update-log files: age=DURATION and/or size=SIZE, e.g. "
                 "age=7d,size=10g (default: keep every file)")
      ->type_name("SPEC");
  app.add_option("--ulog-retain-hold", raw.ulog_retain_hold,
                 "keep the files a slave that acknowledged within DURATION still needs")
      ->default_str("7d")
      ->type_name("DURATION");
  app.add_option("--ulog-retain-interval", raw.ulog_retain_interval,
                 "seconds between update-log retention passes")
      ->default_str("60")
      ->type_name("SECONDS");
  app.add_option("--checkpoint-interval", raw.checkpoint_interval,
                 "seconds between database syncs that bound crash recovery (0 = off)")
      ->default_str("60")
      ->type_name("SECONDS");
  app.add_option("--metrics-port", raw.metrics_port,
                 "TCP port serving Prometheus metrics at GET /metrics on -host (0 = none)")
      ->default_str("0")
      ->type_name("NUM");
  app.add_option("--tls-port", raw.tls_port,
                 "TCP port on -host serving every protocol over TLS, besides -port (0 = none; "
                 "needs --tls-cert and --tls-key)")
      ->default_str("0")
      ->type_name("NUM");
  app.add_option("--tls-cert", raw.tls_cert,
                 "PEM certificate (then intermediates) of the TLS port, and the one shown to a "
                 "-mtls master; re-read on SIGHUP")
      ->type_name("FILE");
  app.add_option("--tls-key", raw.tls_key,
                 "PEM private key of --tls-cert, without passphrase; re-read on SIGHUP")
      ->type_name("FILE");
  app.add_option("--tls-ca", raw.tls_ca,
                 "PEM CA certificate(s): TLS clients must present a certificate signed by one "
                 "(default: no client certificate), and a -mtls master's must be; re-read on "
                 "SIGHUP")
      ->type_name("FILE");
  app.add_option("--expiry-sweep-interval", raw.expiry_sweep_interval,
                 "seconds between walks of the database for expired items the expiry schedule "
                 "does not hold (0 = none)")
      ->default_str("60")
      ->type_name("SECONDS");
  app.add_option("--expiry-schedule-max", raw.expiry_schedule_max,
                 "most keys with an expiry kept in memory to remove each within a second of "
                 "its expiry (about 150 bytes each)")
      ->default_str("1000000")
      ->type_name("NUM");
  app.add_option("--max-key", raw.max_key, "longest key accepted")
      ->default_str("1m")
      ->type_name("SIZE");
  app.add_option("--max-value", raw.max_value, "longest value accepted")
      ->default_str("256m")
      ->type_name("SIZE");
  app.add_option("--mc-item-max", raw.mc_item_max,
                 "largest memcached item (key + value) on the memcached protocols, like "
                 "memcached's -I; at most --max-value")
      ->default_str("1m")
      ->type_name("SIZE");
  app.add_option("--max-conns", raw.max_conns,
                 "open connections at most, replication streams included")
      ->default_str("10000")
      ->type_name("NUM");
  app.add_option("--idle-timeout", raw.idle_timeout,
                 "close connections idle this many seconds (0 = never)")
      ->default_str("0")
      ->type_name("SECONDS");
  app.add_flag("--version", raw.version, "print the version and exit");
  // Refused with a clear message after parsing (see Convert).
  app.add_option("--skel", raw.skel)->group("");
  app.add_option("--ext", raw.ext)->group("");
  app.add_option("--extpc", raw.extpc)->expected(2)->group("");
  app.add_option("dbname", raw.dbname, "Kyoto Cabinet database name")
      ->default_str("*")
      ->type_name("NAME");
}

// Converts the raw strings into *out, checking every value.
Status Convert(const CLI::App& app, const RawOptions& raw, ServerOptions* out) {
  // A command line relying on these cannot work here at all.
  if (app.count("--ext") > 0 || app.count("--extpc") > 0) {
    return Bad(std::string(app.count("--ext") > 0 ? "-ext" : "-extpc") +
               ": Lua extensions are not supported by this ttserver; remove the option");
  }
  if (app.count("--skel") > 0) {
    return Bad(
        "-skel: skeleton database libraries are not supported by this ttserver; "
        "name a Kyoto Cabinet database instead and remove the option");
  }
  auto given = [&](const char* name) { return app.count(name) > 0; };
  Status s;
  int64_t v = 0;
  uint64_t size = 0;
  if (given("--host")) {
    if (raw.host.empty()) return Bad("-host: empty host name");
    out->host = raw.host;
  }
  if (given("--port")) {
    if (!(s = IntOption("-port", raw.port, INT32_MIN, 65535, &v)).ok()) return s;
    out->port = static_cast<int>(v);
  }
  if (given("--thnum")) {
    if (!(s = IntOption("-thnum", raw.thnum, 1, 4096, &v)).ok()) return s;
    out->threads = static_cast<int>(v);
  }
  if (given("--tout") &&
      !(s = SecondsOption("-tout", raw.tout, &out->limits.request_timeout_s)).ok()) {
    return s;
  }
  out->daemonize = raw.dmn;
  out->kill_running = raw.kl;
  if (given("--pid")) {
    if (raw.pid.empty()) return Bad("-pid: empty path");
    out->pid_path = raw.pid;
  } else if (raw.dmn) {
    out->pid_path = "ttserver.pid";  // as the original: -dmn implies a PID file
  }
  out->log_path = raw.log;
  // -ld / -le: the last one given wins, as in the original.
  for (const CLI::Option* opt : app.parse_order()) {
    if (opt == app.get_option("--ld")) out->log_level = LogLevel::kDebug;
    if (opt == app.get_option("--le")) out->log_level = LogLevel::kError;
  }
  if (given("--ulim") &&
      !(s = SizeOption("-ulim", raw.ulim, 0, UINT64_MAX, &out->ulog_limit)).ok()) {
    return s;
  }
  out->ulog_async = raw.uas;
  if (given("--ulog-sync")) {
    if (raw.ulog_sync == "none") {
      out->ulog_sync = UlogSync::kNone;
    } else if (raw.ulog_sync == "interval") {
      out->ulog_sync = UlogSync::kInterval;
    } else if (raw.ulog_sync == "always") {
      out->ulog_sync = UlogSync::kAlways;
    } else {
      return Bad("--ulog-sync: '" + raw.ulog_sync + "' is not one of none, interval, always");
    }
  }
  if (given("--ulog-sync-interval")) {
    if (!(s = SecondsOption("--ulog-sync-interval", raw.ulog_sync_interval,
                            &out->ulog_sync_interval_s))
             .ok()) {
      return s;
    }
    if (out->ulog_sync_interval_s <= 0) return Bad("--ulog-sync-interval: must be > 0");
  }
  if (given("--checkpoint-interval")) {
    if (!(s = SecondsOption("--checkpoint-interval", raw.checkpoint_interval,
                            &out->checkpoint_interval_s))
             .ok()) {
      return s;
    }
  }
  if (given("--ulog-retain") &&
      !(s = ParseRetentionSpec(raw.ulog_retain, &out->ulog_retain)).ok()) {
    return s;
  }
  if (given("--ulog-retain-hold")) {
    std::optional<double> hold = ParseDuration(raw.ulog_retain_hold);
    if (!hold) {
      return Bad("--ulog-retain-hold: '" + raw.ulog_retain_hold +
                 "' is not a duration (a number with s, m, h or d, e.g. 7d)");
    }
    out->ulog_retain_hold_s = *hold;
  }
  if (given("--ulog-retain-interval")) {
    if (!(s = SecondsOption("--ulog-retain-interval", raw.ulog_retain_interval,
                            &out->ulog_retain_interval_s))
             .ok()) {
      return s;
    }
    if (out->ulog_retain_interval_s <= 0) return Bad("--ulog-retain-interval: must be > 0");
  }
  if (given("--metrics-port")) {
    if (!(s = IntOption("--metrics-port", raw.metrics_port, 0, 65535, &v)).ok()) return s;
    out->metrics_port = static_cast<int>(v);
  }
  if (given("--tls-port")) {
    if (!(s = IntOption("--tls-port", raw.tls_port, 0, 65535, &v)).ok()) return s;
    out->tls_port = static_cast<int>(v);
  }
  out->tls_cert = raw.tls_cert;
  out->tls_key = raw.tls_key;
  out->tls_ca = raw.tls_ca;
  if (out->tls_port > 0 && (out->tls_cert.empty() || out->tls_key.empty())) {
    return Bad("--tls-port needs --tls-cert and --tls-key (the server's PEM certificate and key)");
  }
  out->master_tls = raw.mtls;
  if (out->tls_port == 0 && !out->master_tls &&
      (!out->tls_cert.empty() || !out->tls_key.empty() || !out->tls_ca.empty())) {
    return Bad("--tls-cert, --tls-key and --tls-ca take effect only with --tls-port or -mtls: "
               "give the port that serves TLS, or -mtls to reach the master over TLS");
  }
  if (out->tls_cert.empty() != out->tls_key.empty()) {
    return Bad("--tls-cert and --tls-key go together: give both (a certificate and its key)");
  }
  if (given("--expiry-sweep-interval")) {
    if (!(s = SecondsOption("--expiry-sweep-interval", raw.expiry_sweep_interval,
                            &out->expiry_sweep_interval_s))
             .ok()) {
      return s;
    }
  }
  if (given("--expiry-schedule-max")) {
    if (!(s = IntOption("--expiry-schedule-max", raw.expiry_schedule_max, 0, INT64_MAX, &v)).ok()) {
      return s;
    }
    out->expiry_schedule_max = static_cast<size_t>(v);
  }
  if (given("--sid")) {
    if (!(s = IntOption("-sid", raw.sid, 0, INT64_MAX, &v)).ok()) return s;
    if (v > 65535) {
      out->warnings.push_back("-sid " + raw.sid + " is greater than 65535: using 0 (none)");
      v = 0;
    }
    out->sid = static_cast<uint16_t>(v);
  }
  out->master_host = raw.mhost;
  if (given("--mport")) {
    if (!(s = IntOption("-mport", raw.mport, 1, 65535, &v)).ok()) return s;
    out->master_port = static_cast<int>(v);
  }
  if (given("--rts")) {
    if (raw.rts.empty()) return Bad("-rts: empty path");
    out->rts_path = raw.rts;
  }
  out->replication_check = raw.rcc;
  if (given("--mul")) {
    if (!(s = IntOption("-mul", raw.mul, INT32_MIN, INT32_MAX, &v)).ok()) return s;
    if (v > 127) {
      out->warnings.push_back("-mul " + raw.mul + " is greater than 127: using 127");
      v = 127;
    }
    out->partitions = v < 1 ? 1 : static_cast<uint32_t>(v);
  }
  if (given("--ulog")) {
    if (raw.ulog.empty()) return Bad("-ulog: empty directory name");
    out->ulog_dir = raw.ulog;
  }
  // The original ignores -ulog and -mhost without a server id, with a warning.
  // A server that silently writes no update log loses every change its slaves
  // and restores would need, so we refuse instead.
  if (out->sid == 0 && !out->ulog_dir.empty()) {
    return Bad("-ulog needs a server id: add -sid N (1..65535)");
  }
  if (out->ulog_dir.empty() &&
      (given("--ulog-retain") || given("--ulog-retain-hold") || given("--ulog-retain-interval"))) {
    return Bad("--ulog-retain deletes old update-log files, but there is no update log: add "
               "-ulog DIR -sid N, or remove the --ulog-retain options");
  }
  if (out->sid == 0 && !out->master_host.empty()) {
    return Bad("-mhost needs a server id: add -sid N (1..65535)");
  }

  // Mask expressions in command-line order: CLI11 keeps each option's values
  // in order, and parse_order() says which option each occurrence belonged to.
  size_t next_mask = 0, next_unmask = 0;
  const CLI::Option* mask = app.get_option("--mask");
  const CLI::Option* unmask = app.get_option("--unmask");
  for (const CLI::Option* opt : app.parse_order()) {
    if (opt == mask && next_mask < raw.mask.size()) {
      out->mask_rules.push_back({raw.mask[next_mask++], true});
    } else if (opt == unmask && next_unmask < raw.unmask.size()) {
      out->mask_rules.push_back({raw.unmask[next_unmask++], false});
    }
  }

  if (given("--max-key")) {
    if (!(s = SizeOption("--max-key", raw.max_key, 1, kProtocolMaxSize, &size)).ok()) return s;
    out->limits.max_key = size;
  }
  if (given("--max-value")) {
    if (!(s = SizeOption("--max-value", raw.max_value, 1, kProtocolMaxSize, &size)).ok()) return s;
    out->limits.max_value = size;
  }
  // memcached's 1 MiB unless a smaller --max-value lowers it: an item must fit in a value.
  out->limits.mc_item_max = std::min<size_t>(Limits().mc_item_max, out->limits.max_value);
  if (given("--mc-item-max")) {
    if (!(s = SizeOption("--mc-item-max", raw.mc_item_max, 1, kProtocolMaxSize, &size)).ok()) {
      return s;
    }
    if (size > out->limits.max_value) {
      return Bad("--mc-item-max: " + raw.mc_item_max + " is above --max-value (" +
                 std::to_string(out->limits.max_value) +
                 " bytes); a memcached item must fit in a value: lower --mc-item-max or raise "
                 "--max-value");
    }
    out->limits.mc_item_max = size;
  }
  if (given("--max-conns")) {
    if (!(s = IntOption("--max-conns", raw.max_conns, 1, INT32_MAX, &v)).ok()) return s;
    out->limits.max_conns = static_cast<int>(v);
  }
  if (given("--idle-timeout") &&
      !(s = SecondsOption("--idle-timeout", raw.idle_timeout, &out->limits.idle_timeout_s)).ok()) {
    return s;
  }
  if (out->tls_port > 0 && out->port < 1) {
    return Bad("--tls-port needs a TCP -host: with -port < 1 the server listens on a UNIX "
               "socket, which TLS is not for");
  }
  if (given("dbname")) {
    if (raw.dbname.empty()) return Bad("the database name is empty");
    out->dbname = raw.dbname;
  }
  return Status::Ok();
}

}  // namespace

std::string VersionLine() {
  return std::string("ttserver ") + TT_VERSION + " (Tokyo Tyrant 1.1.41 compatible) for Linux";
}

Status ParseServerOptions(int argc, char** argv, ServerOptions* out,
                          std::string* usage_or_message) {
  *out = ServerOptions();
  usage_or_message->clear();
  std::vector<std::string> args = NormalizeLegacyFlags(argc, argv, LongNames());
  CLI::App app("ttserver: a Tokyo Tyrant compatible key-value server", "ttserver");
  app.set_help_flag("-h,--help", "print this help and exit");
  app.footer("Every option may also be written with one dash (-port 1978), as Tokyo Tyrant's.");
  RawOptions raw;
  Define(app, raw);
  // CLI11 wants the arguments reversed and without the program name.
  std::vector<std::string> reversed(args.rbegin(), args.rend());
  if (!reversed.empty()) reversed.pop_back();
  try {
    app.parse(reversed);
  } catch (const CLI::CallForHelp&) {
    out->print_and_exit = true;
    *usage_or_message = app.help();
    return Status::Ok();
  } catch (const CLI::ParseError& e) {
    *usage_or_message = std::string("ttserver: ") + e.what() + "\n\n" + app.help();
    return Bad(e.what());
  }
  if (raw.version) {
    out->print_and_exit = true;
    *usage_or_message = VersionLine() + "\n";
    return Status::Ok();
  }
  Status s = Convert(app, raw, out);
  if (!s.ok()) *usage_or_message = "ttserver: " + s.message() + "\n\n" + app.help();
  return s;
}

}  // namespace tt
