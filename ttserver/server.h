// ttserver's start-up and orderly shutdown: opens the database and the update
// log, builds the Engine and the shared ServerContext, starts the workers and
// the acceptor, and takes them down again in the reverse order. The process
// shell (options, daemon, PID file, signals) is in main.cc.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "engine/engine.h"
#include "engine/rebuild.h"
#include "partition/store.h"
#include "repl/feeder.h"
#include "repl/replicator.h"
#include "ttserver/memcached/memcached_ops.h"
#include "ttserver/net/acceptor.h"
#include "ttserver/net/tls_context.h"
#include "ttserver/net/worker.h"
#include "ttserver/options.h"
#include "ttserver/resp/resp_state.h"
#include "ttserver/server_context.h"
#include "ttserver/stats.h"
#include "ulog/ulog_writer.h"

namespace tt {

class Server {
 public:
  explicit Server(const ServerOptions& options);
  // Stop()s if still running.
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Raises the open-file limit, opens the database (and the update log if
  // configured), starts the workers and the listener, and logs "service
  // started: <pid>". Fails, with nothing left running, if the database or the
  // update log cannot be opened or the address cannot be bound.
  // REQUIRES: SIGTERM/SIGINT/SIGHUP blocked (threads started here inherit it).
  Status Start();
  // Stops replicating from a master (saving the position), stops accepting,
  // answers the requests already received, waits for the
  // slow requests still running off the event loops, closes every
  // connection, ends every replication stream, syncs the update log and closes the database. Safe
  // to call after a failed Start() and more than once; the error of a failed close is returned (the
  // exit status is then 1).
  Status Stop();
  // SIGHUP: re-reads --tls-cert, --tls-key and --tls-ca (tls_context.h): new
  // TLS connections use them, a failure keeps the old ones and is returned.
  // Ok, doing nothing, without --tls-port. Thread-safe.
  Status ReloadTls();

 private:
  // Sets RLIMIT_NOFILE as high as allowed; returns the resulting limit.
  static uint64_t RaiseFileLimit();
  // Opens the update log, the database (moving a damaged partition aside
  // when the log can rebuild it), the Engine; rebuilds fresh partitions
  // from the log, re-applies what the last checkpoint does not cover, and
  // writes the log's first base snapshot if it has none.
  Status OpenData();
  // Puts back from the update log (engine/rebuild.h) the values of the
  // partitions that hold nothing (created now, moved aside, in memory) or
  // that Kyoto Cabinet repaired, when the log holds any. Corruption when a
  // partition holds nothing that the log can no longer rebuild.
  Status PutBackFromLog(const OpenedPartitions& opened);
  // Writes a new base snapshot (engine/rebuild.h WriteBase), saying `why`.
  Status RefreshBase(std::string_view why);
  // Writes a new base when the log has none, or when records after it were
  // deleted (FindLogGapAfterBase). Cheap when neither is the case.
  Status KeepBaseReachable();
  // The marker file (in the update-log directory) that says the database is
  // open; it is removed after a clean close. Found at start, it makes every
  // partition count as not closed properly (rebuilt from the log).
  std::string OpenMarkerPath() const;
  Status MarkOpen(OpenedPartitions* opened);
  // Until Stop(): runs a delayed memcached flush_all at its deadline,
  // Engine::Checkpoint every --checkpoint-interval seconds and
  // Engine::SweepExpired every --expiry-sweep-interval seconds and
  // RetainUlog at start and every --ulog-retain-interval seconds (checking
  // once a second, and waking at once when a flush_all is scheduled).
  void HousekeepingLoop();
  // One --ulog-retain pass (ulog/retention.h): deletes the old update-log
  // files that neither crash recovery, nor a slave streaming now, nor a slave
  // that acknowledged within --ulog-retain-hold still needs. Logs what it
  // deleted, and why a pass failed.
  void RetainUlog();

  ServerOptions options_;
  TimestampClock clock_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<UlogWriter> ulog_;
  std::unique_ptr<Engine> engine_;
  // Streams to replication slaves; only with an update log. Stopped before
  // the log is closed.
  std::unique_ptr<Feeder> feeder_;
  Stats stats_;
  MasterSettings master_;
  ReplicaStatus replica_;
  // The slave side: runs from Start() to Stop() and follows master_
  // (idle while no master is configured). Stopped before the engine closes.
  std::unique_ptr<Replicator> replicator_;
  mc::MemcacheState memcache_;
  resp::RespState resp_;
  ServerContext context_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::unique_ptr<Acceptor> acceptor_;
  // --tls-port: its own listener over the same workers; the context outlives both.
  std::unique_ptr<TlsContext> tls_;
  std::unique_ptr<Acceptor> tls_acceptor_;
  // --metrics-port: its own listener and worker, and its own connection
  // counters, so that scrapes do not count as client connections.
  Stats metrics_stats_;
  std::unique_ptr<Worker> metrics_worker_;
  std::unique_ptr<Acceptor> metrics_acceptor_;

  std::thread housekeeper_;
  std::mutex housekeeping_mu_;
  std::condition_variable housekeeping_cv_;
  bool stopping_ = false;  // GUARDED_BY(housekeeping_mu_)
  bool rearm_ = false;     // a flush_all was scheduled; GUARDED_BY(housekeeping_mu_)
};

}  // namespace tt
