// One chaos run (see tests/chaos/README section in the top-level README):
// a master with a dual-master partner, two slaves (hash and tree database)
// and a tttail into SQLite, each replication link through a LinkProxy, a
// write load recorded in a Model, and a seeded fault schedule; then a check
// that no acknowledged write is lost or applied twice and that every replica
// equals the master.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tests/chaos/cluster.h"
#include "tests/chaos/link_proxy.h"
#include "tests/chaos/model.h"
#include "tests/chaos/schedule.h"
#include "tests/chaos/workload.h"
#include "tests/support/small_filesystem.h"

namespace tt::chaos {

struct ChaosOptions {
  uint64_t seed = 1;
  int faults = 20;
  std::vector<FaultKind> kinds;        // empty = every kind
  std::string master_sync = "always";  // the master's and partner's --ulog-sync
  std::string master_db;               // "kch" or "kct"; empty = drawn from the seed
  int writers = 4;
  double writes_per_second = 250;  // per writer
  std::string base_dir = "/tmp";   // where the run's directory is made
  bool keep = false;               // keep the run's files even when it passes
};

// The outcome of a run.
enum class Verdict { kOk, kFailed };

class ChaosRun {
 public:
  explicit ChaosRun(const ChaosOptions& options);
  ~ChaosRun();

  // Sets up, runs the schedule, checks; prints every fault and the verdict
  // line on standard output.
  Verdict Run();

 private:
  // ---- set-up and the end (chaos_run.cc) ----
  bool SetUp();
  void CheckAtTheEnd();
  Verdict Report();
  // Starts `node`; a failure is a problem (but for slave A while its disk is full).
  bool StartNode(Node& node);
  // Brings back whatever is down or degraded: proxies healed, nodes and
  // tttail running, slaves following their proxies, the disk freed.
  void HealAll();
  // Restarts processes that died by themselves (each a problem).
  void CheckHealth();
  // Waits `seconds` while the load runs, looking at the processes now and then.
  void Wait(double seconds);

  // ---- faults (chaos_faults.cc) ----
  void Inject(const Fault& fault);
  // Stops `node` (kill -9, sync_delay_ms after a sync request unless -1, or
  // SIGTERM), restarts it and, for the master or the partner, checks with the
  // writers held that every write acknowledged on that side is there.
  void Restart(Node& node, bool hard, int sync_delay_ms = -1);
  void CheckSide(Node& node);
  void CutLink(const Fault& fault);
  void SetmstAway(const Fault& fault);
  void FillDisk(const Fault& fault);
  void PurgeWhileDown(const Fault& fault);
  void RestartFromFiles(Node& slave, bool empty);
  // The inner kill of a hold, if any, halfway through it.
  void Hold(const Fault& fault, Node& slave);
  // Waits until `slave` has applied everything its master (the node
  // `master`) had logged when its stat was read; false on timeout.
  bool CaughtUpWith(Node& master, Node& slave, uint64_t* master_rts);
  // Saves a copy of a stopped slave's files for a later stale restart.
  void CopySlaveFiles(int slave);

  // ---- reporting ----
  void Log(const std::string& line);
  void Problem(const std::string& line);
  double Elapsed() const;

  LinkProxy& ProxyOf(Link link) { return *proxies_[static_cast<int>(link)]; }
  int SlaveProxyPort(int slave) {
    return ProxyOf(slave == 0 ? Link::kSlaveA : Link::kSlaveB).port();
  }

  ChaosOptions options_;
  std::chrono::steady_clock::time_point start_;
  std::string dir_;
  std::unique_ptr<testing::SmallFilesystem> disk_;  // slave A's; null if it cannot be mounted
  std::unique_ptr<Node> master_, partner_;
  std::unique_ptr<Node> slaves_[2];
  std::unique_ptr<TailNode> tail_;
  std::unique_ptr<LinkProxy> proxies_[kLinks];
  bool copied_[2] = {false, false};
  Model model_;
  std::unique_ptr<Workload> workload_;

  int injected_ = 0;  // faults injected, inner ones included
  int kills_ = 0;     // kill -9s of any process
  Findings findings_;
  std::vector<std::string> diverged_;
  std::vector<std::string> problems_;         // crashes, unclean exits, no convergence
  bool remove_dir_ = false;                   // the run passed: its files go at the end
  bool disk_full_ = false;                    // slave A may not start now
  Node* held_down_ = nullptr;                 // a slave kept down on purpose (purge-while-down)
  std::map<const Node*, int> failed_starts_;  // starts failed in a row, by node
};

}  // namespace tt::chaos
