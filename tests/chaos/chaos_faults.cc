// The faults of a chaos run (ChaosRun::Inject and what it calls).
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <memory>
#include <thread>

#include "client/remote_db.h"
#include "repl/rts_file.h"
#include "tests/chaos/chaos_run.h"
#include "tests/chaos/contents.h"
#include "tests/integration/repl_support.h"
#include "ulog/ulog_reader.h"

namespace tt::chaos {

namespace {

// Files of a slave that stay when its data is replaced: its output and log.
const std::vector<std::string> kKeptFiles = {"out", "log"};

uint64_t StatNumber(int port, const std::string& name) {
  return std::strtoull(testing::StatField(port, name).c_str(), nullptr, 10);
}

// The timestamp of the oldest record of the update log in `dir` (0 if none
// can be read now: a file may be deleted while it is read).
uint64_t OldestRecord(const std::string& dir) {
  std::unique_ptr<UlogReader> reader;
  UlogRecord record;
  if (!UlogReader::Open(dir, 1, &reader).ok() || !reader->Next(&record).ok()) return 0;
  return record.ts;
}

}  // namespace

void ChaosRun::Inject(const Fault& fault) {
  ++injected_;
  Node& slave = *slaves_[fault.slave];
  switch (fault.kind) {
    case FaultKind::kKillMaster:
      return Restart(*master_, true, fault.sync_delay_ms);
    case FaultKind::kTermMaster:
      return Restart(*master_, false);
    case FaultKind::kKillPartner:
      return Restart(*partner_, true, fault.sync_delay_ms);
    case FaultKind::kTermPartner:
      return Restart(*partner_, false);
    case FaultKind::kKillSlave:
      return Restart(slave, true, fault.sync_delay_ms);
    case FaultKind::kTermSlave:
      return Restart(slave, false);
    case FaultKind::kKillTail:
    case FaultKind::kTermTail: {
      const bool hard = fault.kind == FaultKind::kKillTail;
      const int status = tail_->Signal(hard ? SIGKILL : SIGTERM);
      if (hard) ++kills_;
      if (!hard && status != 0) {
        Problem("tttail exited with " + ExitText(status) +
                " on SIGTERM: " + LastLines(tail_->error_path(), 3));
      }
      tail_->Start();
      return;
    }
    case FaultKind::kCutLink:
    case FaultKind::kResetLink:
    case FaultKind::kStallLink:
    case FaultKind::kSlowLink:
      return CutLink(fault);
    case FaultKind::kBootstrapSlave:
      return RestartFromFiles(slave, /*empty=*/true);
    case FaultKind::kStaleSlave:
      return RestartFromFiles(slave, /*empty=*/false);
    case FaultKind::kSetmstAway:
      return SetmstAway(fault);
    case FaultKind::kDiskFull:
      return FillDisk(fault);
    case FaultKind::kPurgeWhileDown:
      return PurgeWhileDown(fault);
  }
}

void ChaosRun::Restart(Node& node, bool hard, int sync_delay_ms) {
  const bool side = &node == master_.get() || &node == partner_.get();
  if (hard && sync_delay_ms >= 0) {
    std::thread sync([port = node.port()] {
      RemoteDB db;
      if (db.Open("127.0.0.1", port, 10).ok()) db.Sync();  // ends with the kill
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(sync_delay_ms));
    node.Kill();
    sync.join();
    ++kills_;
  } else if (hard) {
    node.Kill();
    ++kills_;
  } else {
    const int status = node.Terminate();
    if (status != 0) {
      Problem(node.name() + " exited with " + ExitText(status) +
              " on SIGTERM: " + LastLines(node.output_path(), 3));
    }
    if (&node == slaves_[0].get()) CopySlaveFiles(0);
    if (&node == slaves_[1].get()) CopySlaveFiles(1);
  }
  if (side && !workload_->Pause(60)) Problem("the writers did not pause within 60 s");
  if (StartNode(node) && side) CheckSide(node);
  if (side) workload_->Resume();
}

void ChaosRun::CheckSide(Node& node) {
  const auto which = &node == master_.get() ? Workload::OnMaster : Workload::OnPartner;
  std::vector<std::string> keys;
  for (const std::string& key : model_.Keys()) {
    if (which(key)) keys.push_back(key);
  }
  Contents actual;
  if (!testing::Eventually(30, [&] { return ReadLive(node.port(), keys, &actual); })) {
    Problem("cannot read " + node.name() + "'s keys after its restart");
    return;
  }
  // Expiries read as seconds to live: allow two seconds either way.
  const Findings found = model_.Check(actual, which, 2);
  findings_.Add(found);
  model_.Settle(actual, which, 2);
  Log("  " + node.name() + " holds every acknowledged write of its " + std::to_string(keys.size()) +
      " keys" +
      (found.empty() ? ""
                     : ": NO, " + std::to_string(found.lost.size()) + " lost, " +
                           std::to_string(found.duplicated.size()) + " duplicated"));
}

void ChaosRun::CutLink(const Fault& fault) {
  LinkProxy& proxy = ProxyOf(fault.link);
  switch (fault.kind) {
    case FaultKind::kCutLink:
      proxy.Cut();
      break;
    case FaultKind::kResetLink:
      proxy.Reset();
      return;
    case FaultKind::kStallLink:
      proxy.Stall();
      break;
    default:
      proxy.Slow(fault.rate);
      break;
  }
  Wait(fault.hold_s);
  proxy.Heal();
}

void ChaosRun::Hold(const Fault& fault, Node& slave) {
  Wait(fault.hold_s / 2);
  if (fault.inner == FaultKind::kKillMaster) {
    ++injected_;
    Log("  inner fault: kill-master");
    Restart(*master_, true);
  } else if (fault.inner == FaultKind::kKillSlave) {
    ++injected_;
    Log("  inner fault: kill-slave " + slave.name());
    slave.Kill();
    ++kills_;
    StartNode(slave);
  }
  Wait(fault.hold_s / 2);
}

bool ChaosRun::CaughtUpWith(Node& master, Node& slave, uint64_t* master_rts) {
  *master_rts = StatNumber(master.port(), "rts");
  const uint64_t last = StatNumber(master.port(), "ulog_ts");
  if (testing::Eventually(60, [&] { return StatNumber(slave.port(), "rts") >= last; })) {
    return true;
  }
  Problem(slave.name() + " did not catch up with " + master.name() + " within 60 s (rts " +
          testing::StatField(slave.port(), "rts") + " < " + std::to_string(last) + ", repl_state " +
          testing::StatField(slave.port(), "repl_state") + ")");
  return false;
}

void ChaosRun::SetmstAway(const Fault& fault) {
  Node& slave = *slaves_[fault.slave];
  // The master has applied the partner's records up to its rts, so the
  // slave, once it has everything the master logged by then, needs the
  // partner's log after that rts: the positions of two masters' logs are
  // different clocks.
  uint64_t from = 0;
  if (!CaughtUpWith(*master_, slave, &from)) return;
  RemoteDB db;
  if (!db.Open("127.0.0.1", slave.port(), 10).ok() ||
      !db.SetMst("127.0.0.1", partner_->port(), std::max<uint64_t>(from, 1), 0).ok()) {
    Problem("setmst of " + slave.name() + " to the partner failed");
    return;
  }
  slave.set_master_port(partner_->port());
  Log("  " + slave.name() + " follows the partner from " + std::to_string(from));
  Hold(fault, slave);
  if (!CaughtUpWith(*partner_, slave, &from)) return;
  if (!db.Open("127.0.0.1", slave.port(), 10).ok() ||
      !db.SetMst("127.0.0.1", SlaveProxyPort(fault.slave), std::max<uint64_t>(from, 1), 0).ok()) {
    Problem("setmst of " + slave.name() + " back to the master failed");
    return;
  }
  slave.set_master_port(SlaveProxyPort(fault.slave));
  Log("  " + slave.name() + " follows the master again from " + std::to_string(from));
}

void ChaosRun::FillDisk(const Fault& fault) {
  if (disk_ == nullptr) {
    Log("  skipped: no small filesystem (mount needs root)");
    return;
  }
  Node& slave = *slaves_[0];
  const std::string filler = slave.dir() + "/filler";
  const int fd = open(filler.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  const std::string block(1 << 20, '\0');
  uint64_t filled = 0;
  for (ssize_t n; (n = write(fd, block.data(), block.size())) > 0;)
    filled += static_cast<uint64_t>(n);
  // The last partial blocks, so that not a page is left.
  for (ssize_t n; (n = write(fd, block.data(), 4096)) > 0;) filled += static_cast<uint64_t>(n);
  close(fd);
  disk_full_ = true;
  Log("  filled slave-a's filesystem with " + std::to_string(filled >> 20) + " MiB");
  Hold(fault, slave);
  unlink(filler.c_str());
  disk_full_ = false;
  Log("  freed slave-a's filesystem (repl_state " + testing::StatField(slave.port(), "repl_state") +
      ")");
  if (!slave.HasProcess()) StartNode(slave);
}

void ChaosRun::PurgeWhileDown(const Fault& fault) {
  Node& slave = *slaves_[fault.slave];
  held_down_ = &slave;  // not restarted by the health checks of Wait() below
  if (fault.hard) {
    slave.Kill();
    ++kills_;
  } else if (const int status = slave.Terminate(); status != 0) {
    Problem(slave.name() + " exited with " + ExitText(status) +
            " on SIGTERM: " + LastLines(slave.output_path(), 3));
  }
  const uint64_t position = ParseRts(FileTail(slave.rts_path(), 64));
  uint64_t oldest = 0;
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while ((oldest = OldestRecord(master_->ulog_dir())) <= position &&
         std::chrono::steady_clock::now() < give_up) {
    Wait(0.5);
  }
  if (oldest <= position) {
    Problem("the master's log still reaches " + slave.name() + "'s position " +
            std::to_string(position) + " after 120 s (its oldest record is " +
            std::to_string(oldest) + ")");
  } else {
    Log("  the master's log now begins at " + std::to_string(oldest) + ", after " + slave.name() +
        "'s position " + std::to_string(position));
  }
  held_down_ = nullptr;
  StartNode(slave);
}

void ChaosRun::RestartFromFiles(Node& slave, bool empty) {
  const int index = &slave == slaves_[0].get() ? 0 : 1;
  const int status = slave.Terminate();
  if (status != 0) {
    Problem(slave.name() + " exited with " + ExitText(status) +
            " on SIGTERM: " + LastLines(slave.output_path(), 3));
  }
  const std::string copy = dir_ + "/copies/" + slave.name();
  if (empty) {
    EmptyDirectory(slave.dir(), kKeptFiles);
  } else if (!copied_[index]) {
    CopySlaveFiles(index);
    Log("  no older copy yet: copied its files for a later stale-slave");
  } else if (CopyContents(copy, slave.dir(), kKeptFiles)) {
    Log("  restarting on the copy of its files made at its last SIGTERM (rts " +
        std::to_string(ParseRts(FileTail(slave.rts_path(), 64))) + ")");
  } else {
    Problem("cannot copy " + copy + " back into " + slave.dir());
  }
  StartNode(slave);
}

void ChaosRun::CopySlaveFiles(int index) {
  Node& slave = *slaves_[index];
  if (CopyContents(slave.dir(), dir_ + "/copies/" + slave.name(), kKeptFiles)) {
    copied_[index] = true;
  } else {
    Problem("cannot copy " + slave.name() + "'s files");
  }
}

}  // namespace tt::chaos
