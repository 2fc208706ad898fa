#include "ttserver/server.h"

#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <ctime>
#include <optional>

#include "common/atomic_file.h"
#include "common/logging.h"
#include "engine/rebuild.h"
#include "engine/redo.h"
#include "ttserver/http/http_session.h"
#include "ttserver/protocol_choice.h"
#include "ulog/checkpoint.h"
#include "ulog/retention.h"
#include "ulog/ulog_reader.h"

namespace tt {

namespace {

// Descriptors kept back from --max-conns for database and log files, the
// listener and the workers' wakeups.
constexpr uint64_t kReservedFds = 64;

double NowSeconds() {
  timeval tv;
  gettimeofday(&tv, nullptr);
  return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
}

}  // namespace

Server::Server(const ServerOptions& options) : options_(options) {}

Server::~Server() { Stop(); }

uint64_t Server::RaiseFileLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return 1024;
  if (limit.rlim_cur == RLIM_INFINITY) return UINT32_MAX;
  // As the original: try ever smaller hard limits (raising one needs
  // privileges), then settle for the hard limit we have.
  for (rlim_t want = INT32_MAX; want > limit.rlim_cur; want /= 2) {
    rlimit raised{want, want};
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) return want;
  }
  if (limit.rlim_max != RLIM_INFINITY && limit.rlim_max > limit.rlim_cur) {
    rlimit raised{limit.rlim_max, limit.rlim_max};
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) return limit.rlim_max;
  }
  return limit.rlim_cur;
}

Status Server::OpenData() {
  // The update log first: it is the authority that recovery, and the
  // rebuild of lost or damaged partitions, read.
  if (!options_.ulog_dir.empty()) {
    const std::string& dir = options_.ulog_dir;
    if (mkdir(dir.c_str(), 0755) == 0) {
      LogInfo("created the update-log directory ", dir);
    } else if (errno != EEXIST) {
      return Status::IoError("cannot create the update-log directory " + dir + ": " +
                             strerror(errno));
    }
    if (options_.ulog_async) {
      LogInfo(
          "-uas: POSIX AIO is not used: the update log is written with one write(2) per "
          "record, which does not wait for the disk either; --ulog-sync sets durability");
    }
    UlogWriterOptions ulog_options;
    ulog_options.dir = dir;
    ulog_options.limit = options_.ulog_limit;
    ulog_options.sync = options_.ulog_sync;
    ulog_options.sync_interval_s = options_.ulog_sync_interval_s;
    ulog_options.clock = &clock_;
    Status s = UlogWriter::Open(ulog_options, &ulog_);
    if (!s.ok()) return s;
    LogInfo("update log opened: ", dir);
  }

  StoreOptions store_options;
  store_options.name = options_.dbname;
  store_options.partitions = options_.partitions;
  OpenedPartitions opened;
  Status s = OpenStoreOrMoveAsideDamage(store_options, options_.ulog_dir, &store_, &opened);
  if (!s.ok()) return s;
  if (ulog_ != nullptr && !(s = MarkOpen(&opened)).ok()) return s;
  LogInfo(
      "database opened: ", options_.dbname,
      options_.partitions > 1 ? " (" + std::to_string(options_.partitions) + " partitions)" : "");

  Engine::Options engine_options;
  engine_options.store = store_.get();
  engine_options.ulog = ulog_.get();
  engine_options.clock = &clock_;
  engine_options.sid = options_.sid;
  engine_options.expiry_schedule_max = options_.expiry_schedule_max;
  engine_ = std::make_unique<Engine>(engine_options);
  if (ulog_ == nullptr) {
    if (!opened.unclean.empty()) {
      LogError("database ", options_.dbname,
               " was not closed properly; Kyoto Cabinet repaired it, keeping the records it "
               "could read: without an update log (-ulog) nothing can put back what it dropped");
    }
    return Status::Ok();
  }

  if (!(s = PutBackFromLog(opened)).ok()) return s;
  // Writes acknowledged before a crash may be missing from the database files;
  // the update log has them (ulog/checkpoint.h).
  uint64_t recovered = 0;
  s = RecoverFromLog(*engine_, &recovered);
  if (!s.ok()) return s;
  if (recovered > 0) {
    LogSystem("re-applied ", recovered, " update-log records after the last checkpoint");
  }
  // From now on the log directory always holds a base and every record
  // after it, so the database can be rebuilt whatever happens to its files.
  return KeepBaseReachable();
}

std::string Server::OpenMarkerPath() const { return ulog_->dir() + "/ttserver.open"; }

Status Server::MarkOpen(OpenedPartitions* opened) {
  const std::string marker = OpenMarkerPath();
  if (access(marker.c_str(), F_OK) == 0) {
    // Kyoto Cabinet marks its own files open too, but a kill during its
    // synchronize can leave a file marked clean whose tree pages are half
    // written (the chaos harness found a record no one wrote).
    LogInfo("the server did not stop cleanly (", marker,
            " remains): every database partition is rebuilt from the update log");
    for (uint32_t i = 0; i < store_->PartitionCount(); ++i) {
      auto listed = [i](const std::vector<uint32_t>& partitions) {
        return std::find(partitions.begin(), partitions.end(), i) != partitions.end();
      };
      if (!listed(opened->fresh) && !listed(opened->unclean)) opened->unclean.push_back(i);
    }
  }
  Status s = ReplaceFileAtomically(marker, std::to_string(getpid()) + "\n");
  if (!s.ok()) return Status::IoError("cannot mark the database open: " + s.ToString());
  return Status::Ok();
}

Status Server::KeepBaseReachable() {
  std::optional<BaseInfo> base;
  Status s = ReadBaseInfo(ulog_->dir(), &base);
  if (!s.ok()) return s;
  if (!base) return RefreshBase("the update log has none yet");
  std::string gap;
  if (!(s = FindLogGapAfterBase(ulog_->dir(), /*log_from_start_suffices=*/false, &gap)).ok()) {
    return s;
  }
  return gap.empty() ? Status::Ok() : RefreshBase(gap);
}

Status Server::PutBackFromLog(const OpenedPartitions& opened) {
  std::vector<uint32_t> partitions = opened.fresh;
  for (uint32_t partition : opened.unclean) {
    if (std::find(partitions.begin(), partitions.end(), partition) == partitions.end()) {
      partitions.push_back(partition);
    }
  }
  if (partitions.empty()) return Status::Ok();
  const std::string& dir = ulog_->dir();
  std::optional<BaseInfo> base;
  Status s = ReadBaseInfo(dir, &base);
  if (!s.ok()) return s;
  const bool log_has_data = (base && base->records > 0) || ulog_->NewestTimestamp() > 0;
  if (!log_has_data) return Status::Ok();
  std::string gap;
  // Without a base, a log kept since its first file is taken as the
  // database's whole history (an in-memory database, or a log whose database
  // was created with it), and the rebuild says so. A damaged file is moved
  // aside only with a base (OpenStoreOrMoveAsideDamage): its records may
  // predate the log.
  if (!(s = FindLogGapAfterBase(dir, /*log_from_start_suffices=*/true, &gap)).ok()) return s;
  if (gap.empty() && !base) {
    LogInfo("the update log ", dir,
            " has no base snapshot yet: the partitions are rebuilt from its every record since ",
            UlogFileName(dir, 1));
  }
  if (!gap.empty()) {
    if (!opened.fresh.empty()) {
      return Status::Corruption(
          "database " + options_.dbname + " holds nothing (" + std::to_string(opened.fresh.size()) +
          " of " + std::to_string(store_->PartitionCount()) +
          " partitions were created now), but the update log " + dir +
          " has records, and it cannot rebuild them: " + gap +
          ". Restore the database from a backup or a slave's copy, or move the update-log "
          "directory aside too to start an empty database");
    }
    LogError("database ", options_.dbname,
             " was not closed properly; Kyoto Cabinet repaired it, keeping the records it could "
             "read, and the update log cannot put back what it dropped (",
             gap, "): only the records after the last checkpoint are applied again");
    return Status::Ok();
  }
  // A repaired file may keep records the log no longer has (a deleted key
  // come back, an empty key from a torn page): the partition is emptied so
  // that it ends exactly as the base and the log say.
  for (uint32_t partition : opened.unclean) {
    if (!(s = store_->ClearPartition(partition)).ok()) return s;
  }
  const auto started = std::chrono::steady_clock::now();
  RebuildCount count;
  if (!(s = RebuildPartitions(*engine_, partitions, &count)).ok()) return s;
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  LogSystem("put back ", partitions.size(), " of ", store_->PartitionCount(),
            " database partitions from the update log (", opened.fresh.size(), " held nothing, ",
            opened.unclean.size(),
            " were not closed properly and were emptied first): ", count.base_values,
            " values of the base snapshot and ", count.log_records, " records after it, in ",
            seconds, " s");
  return Status::Ok();
}

Status Server::RefreshBase(std::string_view why) {
  const auto started = std::chrono::steady_clock::now();
  BaseInfo info;
  Status s = WriteBase(*engine_, &info);
  if (!s.ok()) {
    return Status::IoError("cannot write the base snapshot of the update log (" + std::string(why) +
                           "): " + s.ToString());
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  LogInfo("wrote the base snapshot of the update log (", why, "): ", info.records,
          " values as of ts ", info.ts, ", ", info.bytes, " bytes, in ", seconds, " s");
  return Status::Ok();
}

Status Server::Start() {
  uint64_t fd_limit = RaiseFileLimit();
  LogInfo("maximum connection: ", fd_limit);
  Limits limits = options_.limits;
  uint64_t usable = fd_limit > kReservedFds * 2 ? fd_limit - kReservedFds : fd_limit / 2;
  if (static_cast<uint64_t>(limits.max_conns) > usable) {
    LogInfo("--max-conns ", limits.max_conns, " exceeds the open-file limit: using ", usable);
    limits.max_conns = static_cast<int>(usable);
  }

  // The address first: a busy port fails start-up before the data is touched.
  Worker::Options worker_options;
  worker_options.idle_timeout_s = limits.idle_timeout_s;
  worker_options.request_timeout_s = limits.request_timeout_s;
  if (limits.request_timeout_s > 0) {
    worker_options.tls_handshake_timeout_s = limits.request_timeout_s;
  }
  SessionFactory factory = [this](uint8_t first_byte, int fd) {
    return NewProtocolSession(first_byte, &context_, fd);
  };
  std::vector<Worker*> workers;
  for (int i = 0; i < options_.threads; ++i) {
    workers_.push_back(std::make_unique<Worker>(i, factory, &stats_, worker_options));
    workers.push_back(workers_.back().get());
  }
  acceptor_ = std::make_unique<Acceptor>(workers, &stats_, limits.max_conns);
  Status s = acceptor_->Listen(options_.host, options_.port);
  if (s.ok() && options_.tls_port > 0) {
    s = TlsContext::Create({options_.tls_cert, options_.tls_key, options_.tls_ca}, &tls_);
    if (s.ok()) {
      tls_acceptor_ = std::make_unique<Acceptor>(workers, &stats_, limits.max_conns, tls_.get());
      s = tls_acceptor_->Listen(options_.host, options_.tls_port);
    }
  }
  if (s.ok() && options_.metrics_port > 0) {
    SessionFactory metrics_factory = [this](uint8_t, int fd) {
      return std::make_unique<HttpSession>(&context_, fd, HttpSession::Mode::kMetrics);
    };
    metrics_worker_ = std::make_unique<Worker>(options_.threads, metrics_factory, &metrics_stats_,
                                               worker_options);
    metrics_acceptor_ = std::make_unique<Acceptor>(std::vector<Worker*>{metrics_worker_.get()},
                                                   &metrics_stats_, 64);
    s = metrics_acceptor_->Listen(options_.host, options_.metrics_port);
  }
  if (s.ok()) s = OpenData();
  if (!s.ok()) {
    Stop();
    return s;
  }
  if (ulog_ != nullptr) {
    FeederOptions feeder_options;
    feeder_options.ulog = ulog_.get();
    feeder_options.slaves = &stats_.repl_slaves;
    feeder_options.sid = options_.sid;
    feeder_options.snapshot = [engine = engine_.get()](uint64_t* start_ts, const auto& emit) {
      return engine->ReadSnapshot(
          start_ts, [&emit](std::string_view body, uint64_t /*version*/) { return emit(body); });
    };
    feeder_ = std::make_unique<Feeder>(feeder_options);
  }
  context_.feeder = feeder_.get();
  context_.engine = engine_.get();
  context_.stats = &stats_;
  context_.master = &master_;
  context_.replica = &replica_;
  context_.memcache = &memcache_;
  context_.resp = &resp_;
  memcache_.OnScheduleFlush([this] {
    std::lock_guard lock(housekeeping_mu_);
    rearm_ = true;
    housekeeping_cv_.notify_all();
  });
  context_.worker_threads = options_.threads;
  for (const MaskRule& rule : options_.mask_rules) context_.mask.Apply(rule.expr, rule.set);
  if (context_.mask.bits() != 0) LogInfo("command mask: 0x", std::hex, context_.mask.bits());
  context_.limits = limits;
  context_.sid = options_.sid;
  context_.start_time = NowSeconds();
  if (!options_.master_host.empty()) {
    master_.Set(options_.master_host, options_.master_port, 0, options_.replication_check ? 1 : 0);
    LogInfo("replication master: ", options_.master_host, ":", options_.master_port,
            options_.master_tls ? " over TLS" : "");
  }
  // Before any client can write: a record left pending by a crash is settled first.
  ReplicatorOptions replicator_options;
  replicator_options.engine = engine_.get();
  replicator_options.master = &master_;
  replicator_options.status = &replica_;
  replicator_options.rts_path = options_.rts_path;
  replicator_options.sid = options_.sid;
  replicator_options.durability = options_.ulog_sync == UlogSync::kAlways
                                      ? FileDurability::kPowerLoss
                                      : FileDurability::kProcessCrash;
  if (options_.master_tls) {
    replicator_options.master_tls =
        TlsClientOptions{options_.tls_ca, options_.tls_cert, options_.tls_key};
  }
  replicator_ = std::make_unique<Replicator>(replicator_options);
  if (!(s = replicator_->Start()).ok()) return s;
  for (auto& worker : workers_) {
    if (!(s = worker->Start()).ok()) break;
  }
  if (s.ok()) s = acceptor_->Start();
  if (s.ok() && tls_acceptor_ != nullptr && (s = tls_acceptor_->Start()).ok()) {
    LogInfo("TLS on ", tls_acceptor_->address(), " with ", tls_->Describe(),
            options_.tls_ca.empty() ? "" : "; client certificates signed by --tls-ca required");
  }
  if (s.ok() && metrics_acceptor_ != nullptr) {
    s = metrics_worker_->Start();
    if (s.ok()) s = metrics_acceptor_->Start();
    if (s.ok()) LogInfo("metrics on http://", metrics_acceptor_->address(), "/metrics");
  }
  if (!s.ok()) {
    Stop();
    return s;
  }
  LogInfo("listening on ", acceptor_->address(), " with ", options_.threads, " worker threads");
  housekeeper_ = std::thread([this] { HousekeepingLoop(); });
  LogSystem("service started: ", getpid());
  return Status::Ok();
}

void Server::HousekeepingLoop() {
  using Clock = std::chrono::steady_clock;
  auto Every = [](double seconds) {
    return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  };
  const bool checkpoints = ulog_ != nullptr && options_.checkpoint_interval_s > 0;
  const bool sweeps = options_.expiry_sweep_interval_s > 0;
  Clock::time_point next_checkpoint = Clock::now() + Every(options_.checkpoint_interval_s);
  // The first sweep at start schedules the expiring keys written before it.
  Clock::time_point next_sweep = Clock::now();
  const bool retention = ulog_ != nullptr && options_.ulog_retain.any();
  Clock::time_point next_retention = Clock::now();  // the first pass at start
  auto stopping = [this] {
    std::lock_guard lock(housekeeping_mu_);
    return stopping_;
  };
  std::unique_lock lock(housekeeping_mu_);
  while (!stopping_) {
    // Wake just after the next whole second, when the keys expiring at it
    // are due, or exactly at a scheduled flush_all's deadline: items written
    // after it must survive, older ones not be read.
    std::chrono::system_clock::time_point wake =
        std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()) +
        std::chrono::milliseconds(1001);
    if (const int64_t deadline = memcache_.flush_deadline(); deadline != 0) {
      wake = std::min(wake, std::chrono::system_clock::time_point(std::chrono::seconds(deadline)));
    }
    housekeeping_cv_.wait_until(lock, wake, [this] { return stopping_ || rearm_; });
    rearm_ = false;
    if (stopping_) break;
    lock.unlock();
    if (memcache_.TakeDueFlush(static_cast<int64_t>(time(nullptr)))) {
      Status s = engine_->Vanish();
      if (!s.ok()) LogError("delayed flush_all failed: ", s.ToString());
    }
    if (uint64_t expired = engine_->ExpireDue(); expired > 0) {
      LogDebug("removed ", expired, " expired items");
    }
    if (checkpoints && Clock::now() >= next_checkpoint) {
      Status s = engine_->Checkpoint();
      if (!s.ok()) LogError("update-log checkpoint failed (retried later): ", s.ToString());
      // Log files deleted by hand (ttulmgr purge -force) past the base.
      s = KeepBaseReachable();
      if (!s.ok()) LogError(s.ToString(), " (retried at the next checkpoint)");
      next_checkpoint = Clock::now() + Every(options_.checkpoint_interval_s);
    }
    if (sweeps && Clock::now() >= next_sweep) {
      uint64_t purged = engine_->SweepExpired(stopping);
      if (purged > 0) LogDebug("expiry sweep removed ", purged, " expired items");
      next_sweep = Clock::now() + Every(options_.expiry_sweep_interval_s);
    }
    if (retention && Clock::now() >= next_retention) {
      RetainUlog();
      next_retention = Clock::now() + Every(options_.ulog_retain_interval_s);
    }
    lock.lock();
  }
}

void Server::RetainUlog() {
  const double hold_s = options_.ulog_retain_hold_s;
  const uint64_t streaming = feeder_ != nullptr ? feeder_->OldestNeeded(hold_s) : UINT64_MAX;
  RetentionRun run;
  // No reading through a whole file for its newest timestamp every pass: the
  // file before a freshly rotated, empty one waits for the next record.
  auto pass = [&] {
    return RunUlogRetention(ulog_->dir(), options_.ulog_retain, hold_s, streaming,
                            /*read_last_ts=*/false, /*dry_run=*/false, /*keep_base=*/true, &run);
  };
  Status s = pass();
  if (s.ok() && run.held_by_base > 0) {
    // The files go only once a base covers their records; it is written
    // when they are due, not before.
    s = RefreshBase(std::to_string(run.held_by_base) + " update-log files are due for deletion");
    if (s.ok()) s = pass();
  }
  if (!s.ok()) {
    LogError("update-log retention failed (retried in ", options_.ulog_retain_interval_s,
             " s): ", s.ToString());
    return;
  }
  LogDebug("update-log retention: ", run.deleted.size(), " of ", run.files_before,
           " files deleted; records from ts ", run.keep_from_ts, " on are needed");
}

Status Server::ReloadTls() {
  if (tls_ == nullptr) return Status::Ok();
  Status s = tls_->Reload();
  if (s.ok()) LogInfo("TLS certificate reloaded: ", tls_->Describe());
  return s;
}

Status Server::Stop() {
  // First: it applies records through the engine closed below, and it saves
  // the position of the last record it applied on the way out.
  if (replicator_ != nullptr) {
    replicator_->Stop();
    replicator_.reset();
  }
  if (housekeeper_.joinable()) {
    {
      std::lock_guard lock(housekeeping_mu_);
      stopping_ = true;
    }
    housekeeping_cv_.notify_all();
    housekeeper_.join();
  }
  if (metrics_acceptor_ != nullptr) {
    metrics_acceptor_->Stop();
    metrics_acceptor_.reset();
  }
  if (metrics_worker_ != nullptr) {
    metrics_worker_->Shutdown();
    metrics_worker_->Join();
    metrics_worker_.reset();
  }
  if (acceptor_ != nullptr) {
    acceptor_->Stop();
    acceptor_.reset();
  }
  if (tls_acceptor_ != nullptr) {
    tls_acceptor_->Stop();
    tls_acceptor_.reset();
  }
  for (auto& worker : workers_) worker->Shutdown();
  // A WAIT runs as a slow request until enough slaves acknowledge: end it,
  // or Join() below would wait for it.
  if (feeder_ != nullptr) feeder_->EndWaits();
  // Join() also waits for the slow requests still running on job threads
  // (optimize, copy, ...): they use the engine and the store closed below.
  for (auto& worker : workers_) worker->Join();
  workers_.clear();
  // After the workers: no slave is handed over any more. Before the log closes:
  // the streams read it.
  if (feeder_ != nullptr) {
    feeder_->Stop();
    feeder_.reset();
  }
  Status result;
  engine_.reset();
  // Every logged record has reached the store (no request is running), so
  // once the store is closed cleanly the whole log is covered.
  const uint64_t covered_through = clock_.Last();
  if (ulog_ != nullptr) {
    Status s = ulog_->Sync();
    if (!s.ok()) {
      LogError("update log sync failed: ", s.ToString());
      result = s;
    }
  }
  if (store_ != nullptr) {
    Status s = store_->Close();
    if (!s.ok()) {
      LogError("closing the database failed: ", s.ToString());
      result = s;
    }
    store_.reset();
  }
  if (ulog_ != nullptr) {
    if (result.ok()) {
      Status s = WriteCheckpoint(ulog_->dir(), covered_through);
      if (!s.ok()) {
        LogError(
            "cannot write the update-log checkpoint (the next start re-applies more of the "
            "log): ",
            s.ToString());
      }
      if (unlink(OpenMarkerPath().c_str()) != 0 && errno != ENOENT) {
        LogError("cannot remove ", OpenMarkerPath(),
                 " (the next start rebuilds the database from the update log): ", strerror(errno));
      }
    }
    ulog_.reset();
  }
  return result;
}

}  // namespace tt
