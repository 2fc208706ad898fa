#include "tests/chaos/chaos_run.h"

#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <thread>

#include "client/remote_db.h"
#include "tests/chaos/contents.h"
#include "tests/integration/repl_support.h"

namespace tt::chaos {

namespace {

// Options every ttserver of the run has: small log files, frequent
// checkpoints (so that kills land during them), retention that deletes the
// files nobody has needed for 8 s once the log is over its size.
std::vector<std::string> ServerOptions(const std::string& ulim, const std::string& retain,
                                       const std::string& checkpoint) {
  return {"-thnum",
          "4",
          "-ulim",
          ulim,
          "--checkpoint-interval",
          checkpoint,
          "--ulog-retain",
          retain,
          "--ulog-retain-interval",
          "0.5",
          "--ulog-retain-hold",
          "8s"};
}

bool IsFence(const std::string& key) { return key.rfind("fence.", 0) == 0; }

// Puts `key` on the server on `port`, retrying while it is unreachable.
bool PutFence(int port, const std::string& key) {
  return testing::Eventually(60, [&] {
    RemoteDB db;
    return db.Open("127.0.0.1", port, 10).ok() && db.Put(key, "fence").ok();
  });
}

bool HasKey(int port, const std::string& key) {
  RemoteDB db;
  std::string value;
  return db.Open("127.0.0.1", port, 10).ok() && db.Get(key, &value).ok();
}

}  // namespace

ChaosRun::ChaosRun(const ChaosOptions& options)
    : options_(options), start_(std::chrono::steady_clock::now()) {}

ChaosRun::~ChaosRun() {
  workload_.reset();
  tail_.reset();
  for (auto& slave : slaves_) slave.reset();
  master_.reset();
  partner_.reset();
  for (auto& proxy : proxies_) proxy.reset();
  // Slave A's files leave with its filesystem: keep a copy of a failed run's.
  if (disk_ != nullptr && !remove_dir_) CopyContents(dir_ + "/slave-a", dir_ + "/slave-a.kept");
  disk_.reset();
  std::error_code ignored;
  if (remove_dir_) std::filesystem::remove_all(dir_, ignored);
}

double ChaosRun::Elapsed() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void ChaosRun::Log(const std::string& line) {
  printf("[%9.3fs] %s\n", Elapsed(), line.c_str());
  fflush(stdout);
}

void ChaosRun::Problem(const std::string& line) {
  problems_.push_back(line);
  Log("PROBLEM: " + line);
}

bool ChaosRun::StartNode(Node& node) {
  std::string detail;
  const StartFailure failure = node.Start(&detail);
  int& failed = failed_starts_[&node];
  if (failure == StartFailure::kNone) {
    if (failed > 0)
      Log("  " + node.name() + " started after " + std::to_string(failed) + " failed attempts");
    failed = 0;
    return true;
  }
  if (failed++ == 0) {
    if (disk_full_ && &node == slaves_[0].get()) {
      Log("  " + node.name() + " does not start while its disk is full: " + detail);
    } else {
      Problem(node.name() + " did not start on its files: " + detail);
    }
  }
  return false;
}

bool ChaosRun::SetUp() {
  std::string pattern =
      options_.base_dir + "/tt-chaos-" + std::to_string(options_.seed) + "-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) {
    Problem("cannot make a directory under " + options_.base_dir);
    return false;
  }
  dir_ = pattern;
  disk_ = std::make_unique<testing::SmallFilesystem>(dir_ + "/slave-a", "512m");
  if (!disk_->mounted()) {
    disk_.reset();
    Log("disk-full faults are skipped: this process cannot mount a tmpfs (needs root)");
  }
  const std::string master_db =
      !options_.master_db.empty() ? options_.master_db : (options_.seed % 2 == 0 ? "kch" : "kct");
  const std::string partner_db = master_db == "kch" ? "kct" : "kch";
  std::vector<std::string> masters = ServerOptions("256k", "size=4m", "0.3");
  masters.insert(masters.end(), {"--ulog-sync", options_.master_sync});
  const std::vector<std::string> slaves = ServerOptions("1m", "size=16m", "0.5");
  master_ = std::make_unique<Node>("master", 1, dir_ + "/master", "casket." + master_db, masters);
  partner_ =
      std::make_unique<Node>("partner", 4, dir_ + "/partner", "casket." + partner_db, masters);
  slaves_[0] = std::make_unique<Node>("slave-a", 2, dir_ + "/slave-a", "casket.kch", slaves);
  slaves_[1] = std::make_unique<Node>("slave-b", 3, dir_ + "/slave-b", "casket.kct", slaves);
  for (int i = 0; i < kLinks; ++i) {
    const Link link = static_cast<Link>(i);
    proxies_[i] = std::make_unique<LinkProxy>(link == Link::kMasterFollows ? partner_->port()
                                                                           : master_->port());
  }
  master_->set_master_port(ProxyOf(Link::kMasterFollows).port());
  partner_->set_master_port(ProxyOf(Link::kPartnerFollows).port());
  slaves_[0]->set_master_port(ProxyOf(Link::kSlaveA).port());
  slaves_[1]->set_master_port(ProxyOf(Link::kSlaveB).port());
  tail_ = std::make_unique<TailNode>(dir_ + "/tttail", ProxyOf(Link::kTail).port());
  Log("run directory " + dir_ + "; master casket." + master_db + " (sid 1, --ulog-sync " +
      options_.master_sync + ") <-> partner casket." + partner_db +
      " (sid 4); slave-a casket.kch (sid 2" + (disk_ ? ", on a 512 MiB tmpfs" : "") +
      "), slave-b casket.kct (sid 3), tttail into SQLite; every link through a proxy");
  for (Node* node : {master_.get(), partner_.get(), slaves_[0].get(), slaves_[1].get()}) {
    if (!StartNode(*node)) return false;
  }
  tail_->Start();
  for (Node* node : {master_.get(), partner_.get(), slaves_[0].get(), slaves_[1].get()}) {
    if (!testing::Eventually(
            30, [&] { return testing::StatField(node->port(), "repl_state") == "streaming"; })) {
      Problem(node->name() + " is not streaming from its master 30 s after its start");
      return false;
    }
  }
  WorkloadOptions load;
  load.writers = options_.writers;
  load.writes_per_second = options_.writes_per_second;
  load.seed = options_.seed;
  workload_ = std::make_unique<Workload>(load, &model_, master_->port(), partner_->port());
  workload_->Start();
  return true;
}

void ChaosRun::CheckHealth() {
  for (Node* node : {master_.get(), partner_.get(), slaves_[0].get(), slaves_[1].get()}) {
    if (node->Running() || node == held_down_) continue;
    if (node->HasProcess()) {
      const int status = node->Reap();
      Problem(node->name() + " exited by itself with " + ExitText(status) + ": " +
              LastLines(node->output_path(), 3));
    }
    StartNode(*node);
  }
  if (!tail_->Running()) {
    Problem("tttail exited by itself with " + ExitText(tail_->exit_status()) + ": " +
            LastLines(tail_->error_path(), 3));
    tail_->Start();
  }
}

void ChaosRun::Wait(double seconds) {
  const double until = Elapsed() + seconds;
  for (;;) {
    const double left = until - Elapsed();
    if (left <= 0) break;
    std::this_thread::sleep_for(std::chrono::duration<double>(std::min(left, 0.25)));
    CheckHealth();
  }
}

void ChaosRun::HealAll() {
  for (auto& proxy : proxies_) proxy->Heal();
  CheckHealth();
  for (int i = 0; i < 2; ++i) {
    if (slaves_[i]->master_port() == SlaveProxyPort(i)) continue;
    slaves_[i]->set_master_port(SlaveProxyPort(i));
    RemoteDB db;
    if (!db.Open("127.0.0.1", slaves_[i]->port(), 10).ok() ||
        !db.SetMst("127.0.0.1", SlaveProxyPort(i), 1, 0).ok()) {
      Problem("cannot point " + slaves_[i]->name() + " back at the master");
    }
  }
}

Verdict ChaosRun::Run() {
  printf(
      "chaos: seed=%llu faults=%d (the schedule follows from the seed; the load's "
      "interleaving does not)\n",
      static_cast<unsigned long long>(options_.seed), options_.faults);
  const std::vector<Fault> schedule = MakeSchedule(options_.seed, options_.faults, options_.kinds);
  if (SetUp()) {
    for (const Fault& fault : schedule) {
      Wait(fault.wait_s);
      Log("#" + std::to_string(fault.number) + " " + Describe(fault));
      Inject(fault);
    }
    CheckAtTheEnd();
  }
  return Report();
}

void ChaosRun::CheckAtTheEnd() {
  Log("end of the schedule: writers stop, every link and process is healed");
  workload_->Stop();
  HealAll();
  // The partner's writes reach the master, then everything the master
  // holds reaches every replica: each stream is in log order.
  if (!PutFence(partner_->port(), "fence.partner") ||
      !testing::Eventually(120, [&] { return HasKey(master_->port(), "fence.partner"); })) {
    Problem("the master did not receive the partner's last write within 120 s (repl_state " +
            testing::StatField(master_->port(), "repl_state") + ")");
  }
  if (!PutFence(master_->port(), "fence.master")) Problem("cannot write to the master");
  for (Node* node : {partner_.get(), slaves_[0].get(), slaves_[1].get()}) {
    if (!testing::Eventually(120, [&] { return HasKey(node->port(), "fence.master"); })) {
      Problem(node->name() + " did not receive the master's last write within 120 s (repl_state " +
              testing::StatField(node->port(), "repl_state") + ")");
    }
  }
  if (!testing::Eventually(120, [&] {
        Contents mirror;
        std::string error;
        return ReadSqliteMirror(tail_->sqlite_path(), &mirror, &error) &&
               mirror.count("fence.master") == 1;
      })) {
    Problem("tttail did not deliver the master's last write within 120 s");
  }
  Log("converged; stopping every process with SIGTERM");
  for (Node* node : {master_.get(), partner_.get(), slaves_[0].get(), slaves_[1].get()}) {
    const int status = node->Terminate();
    if (status != 0) {
      Problem(node->name() + " exited with " + ExitText(status) +
              " on SIGTERM: " + LastLines(node->output_path(), 3));
    }
  }
  const int tail_status = tail_->Signal(SIGTERM);
  if (tail_status != 0) {
    Problem("tttail exited with " + ExitText(tail_status) +
            " on SIGTERM: " + LastLines(tail_->error_path(), 3));
  }
  Contents master;
  std::string error;
  if (!ReadDatabaseFile(master_->db_path(), &master, &error)) {
    Problem(error);
    return;
  }
  findings_.Add(model_.Check(
      master, [](const std::string& key) { return !IsFence(key); }, 0));
  auto compare = [&](const std::string& name, const Contents& replica) {
    for (const std::string& line : Differences(master, replica)) {
      diverged_.push_back(name + " " + line);
    }
  };
  for (Node* node : {partner_.get(), slaves_[0].get(), slaves_[1].get()}) {
    Contents replica;
    if (!ReadDatabaseFile(node->db_path(), &replica, &error)) {
      Problem(error);
      continue;
    }
    compare(node->name(), replica);
  }
  Contents mirror;
  if (ReadSqliteMirror(tail_->sqlite_path(), &mirror, &error)) {
    compare("sqlite", mirror);
  } else {
    Problem(error);
  }
  Log("compared " + std::to_string(master.size()) +
      " keys of the master with the model, the partner, both slaves and the SQLite mirror");
}

Verdict ChaosRun::Report() {
  const std::vector<std::string> unchecked = model_.Unchecked();
  if (workload_ != nullptr) {
    printf(
        "chaos: seed=%llu writes=%llu acknowledged=%llu unknown=%llu error-answers=%llu "
        "timeouts=%llu kills=%d unchecked-keys=%zu\n",
        static_cast<unsigned long long>(options_.seed),
        static_cast<unsigned long long>(workload_->writes()),
        static_cast<unsigned long long>(model_.acked()),
        static_cast<unsigned long long>(model_.unknown()),
        static_cast<unsigned long long>(workload_->errors()),
        static_cast<unsigned long long>(workload_->timeouts()), kills_, unchecked.size());
  }
  auto list = [](const char* what, const std::vector<std::string>& lines) {
    for (const std::string& line : lines) printf("chaos: %s: %s\n", what, line.c_str());
  };
  list("lost", findings_.lost);
  list("duplicated", findings_.duplicated);
  list("unexpected", findings_.unexpected);
  list("diverged", diverged_);
  list("problem", problems_);
  list("unchecked", unchecked);
  const size_t lost = findings_.lost.size() + findings_.unexpected.size();
  const size_t duplicated = findings_.duplicated.size();
  std::string verdict = "chaos: seed=" + std::to_string(options_.seed) +
                        " faults=" + std::to_string(injected_) + " lost=" + std::to_string(lost) +
                        " duplicated=" + std::to_string(duplicated) +
                        " diverged=" + std::to_string(diverged_.size());
  Verdict result;
  if (lost == 0 && duplicated == 0 && diverged_.empty() && problems_.empty()) {
    verdict += " OK";
    result = Verdict::kOk;
  } else {
    verdict += " problems=" + std::to_string(problems_.size()) + " FAIL";
    auto first = [&](const char* what, const std::vector<std::string>& lines) {
      if (lines.empty()) return;
      verdict += std::string(" (") + what + ": " + lines.front().substr(0, lines.front().find(':'));
      if (lines.size() > 1) verdict += " and " + std::to_string(lines.size() - 1) + " more";
      verdict += ")";
    };
    first("lost", findings_.lost);
    first("duplicated", findings_.duplicated);
    first("unexpected", findings_.unexpected);
    first("diverged", diverged_);
    first("problem", problems_);
    result = Verdict::kFailed;
  }
  printf("%s\n", verdict.c_str());
  if (result == Verdict::kOk && !options_.keep) {
    remove_dir_ = true;
  } else if (!dir_.empty()) {
    printf("chaos: the run's files are kept in %s\n", dir_.c_str());
  }
  fflush(stdout);
  return result;
}

}  // namespace tt::chaos
