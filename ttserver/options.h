// ttserver's command line (spec/server-options.md §1, design.md §9). Every
// option of the original works with one dash and with two (`-port 1978` and
// `--port 1978`); ours (`--ulog-sync`, `--max-conns`, ...) likewise.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/limits.h"
#include "common/logging.h"
#include "common/status.h"
#include "ulog/retention.h"
#include "ulog/ulog_writer.h"

namespace tt {

// One -mask or -unmask expression, kept in command-line order.
struct MaskRule {
  std::string expr;  // as given, e.g. "allwrite,vanish"
  bool set = true;   // true for -mask, false for -unmask
};

struct ServerOptions {
  // -host: IPv4 address or name to bind; with port < 1, the UNIX socket path.
  std::string host = "127.0.0.1";
  // -port: TCP port; < 1 means a UNIX-domain socket at `host`.
  int port = 1978;
  // -thnum: worker threads (>= 1).
  int threads = 8;
  // -dmn: run as a daemon (double fork, setsid, chdir /, stdio to /dev/null).
  bool daemonize = false;
  // -pid: PID file; empty = none. -dmn without -pid implies "ttserver.pid".
  std::string pid_path;
  // -kl: stop the process named in the existing PID file before starting.
  bool kill_running = false;
  // -log: log file (appended, re-opened on SIGHUP); empty = stdout.
  std::string log_path;
  // -ld / -le: the least important level logged (INFO unless one is given).
  LogLevel log_level = LogLevel::kInfo;
  // -ulog: update-log directory; empty = no update log. Needs sid != 0.
  std::string ulog_dir;
  // -ulim: update-log file rotation size in bytes.
  uint64_t ulog_limit = 1ull << 30;
  // -uas: accepted for compatibility; AIO is never used (see the man page).
  bool ulog_async = false;
  // --ulog-sync / --ulog-sync-interval: durability of the update log.
  UlogSync ulog_sync = UlogSync::kNone;
  double ulog_sync_interval_s = 1.0;
  // --ulog-retain: which old update-log files the server deletes (none given:
  // every file is kept, as by the original). Needs -ulog.
  RetentionPolicy ulog_retain;
  // --ulog-retain-hold: seconds a slave that acknowledged its position and
  // went away keeps the files it needs.
  double ulog_retain_hold_s = kDefaultRetainHoldSeconds;
  // --ulog-retain-interval: seconds between retention passes (the first is at start).
  double ulog_retain_interval_s = 60;
  // --checkpoint-interval: seconds between database syncs that advance the
  // update log's recovery checkpoint; 0 = only at shutdown and on sync.
  double checkpoint_interval_s = 60;
  // --metrics-port: TCP port on `host` serving the Prometheus page at
  // GET /metrics (on its own port, so no key of the data port is taken); 0 = none.
  int metrics_port = 0;
  // --tls-port: a second TCP port on `host` speaking every protocol over
  // TLS (the plain -port stays); 0 = none. Needs tls_cert and tls_key.
  int tls_port = 0;
  // --tls-cert / --tls-key: PEM certificate (chain) and private key of the
  // TLS port (and, with -mtls, the client certificate shown to the master);
  // --tls-ca: PEM CA certificates a client certificate must be signed by
  // (empty: no client certificate is asked for), and with -mtls those the
  // master's certificate must be signed by. Re-read on SIGHUP.
  std::string tls_cert, tls_key, tls_ca;
  // --expiry-sweep-interval: seconds between background walks of the
  // database that remove expired items and schedule the expiring ones the
  // expiry schedule does not hold (those written before a start, or past
  // --expiry-schedule-max); the first walk is at start; 0 = none.
  double expiry_sweep_interval_s = 60;
  // --expiry-schedule-max: the most keys with an expiry held in memory, each
  // removed within a second of its expiry (Engine::ExpireDue).
  size_t expiry_schedule_max = 1000000;
  // -sid: this server's id, 1..65535; 0 = none (no update log, no master).
  uint16_t sid = 0;
  // -mhost / -mport: replication master; empty host = not a slave.
  std::string master_host;
  int master_port = 1978;
  // -mtls: reach the master over TLS, verifying its certificate against
  // tls_ca (empty: the system's CAs) and presenting tls_cert/tls_key if given.
  bool master_tls = false;
  // -rts: replication timestamp file of a slave.
  std::string rts_path = "ttserver.rts";
  // -rcc: stop replicating at the first inconsistent record.
  bool replication_check = false;
  // -mul: database partitions (1 = one database, at most 127).
  uint32_t partitions = 1;
  // -mask / -unmask in command-line order; apply them in this order.
  std::vector<MaskRule> mask_rules;
  // -tout (request_timeout_s), --max-key, --max-value, --mc-item-max,
  // --max-conns, --idle-timeout.
  Limits limits;
  // The database: a Kyoto Cabinet PolyDB name ("*" = in-memory hash).
  std::string dbname = "*";
  // Non-fatal remarks about the command line (e.g. -sid out of range), to be
  // logged once logging is configured.
  std::vector<std::string> warnings;
  // --help / --version: print *usage_or_message to stdout and exit 0.
  bool print_and_exit = false;
};

// Parses ttserver's command line into *out (defaults for what is absent).
// On a bad command line returns InvalidArgument and sets *usage_or_message to
// the reason followed by the usage, for stderr (exit status 1). On --help or
// --version returns Ok with out->print_and_exit set and the text in
// *usage_or_message. Never exits and never prints.
Status ParseServerOptions(int argc, char** argv, ServerOptions* out, std::string* usage_or_message);

// "ttserver <version> (Tokyo Tyrant 1.1.41 compatible) for Linux".
std::string VersionLine();

}  // namespace tt
