// The fault schedule of a chaos run: a list of faults drawn from a seed,
// the same list for the same seed, count and kinds whatever the load does.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tt::chaos {

enum class FaultKind {
  kKillMaster,   // kill -9 of the master, restart on its files
  kTermMaster,   // SIGTERM of the master, restart
  kKillPartner,  // the same for the master's dual-master partner
  kTermPartner,
  kKillSlave,  // kill -9 of a slave, restart
  kTermSlave,  // SIGTERM of a slave (its files are copied), restart
  kKillTail,   // kill -9 of tttail, restart
  kTermTail,
  kCutLink,         // a replication link closed, and refused for a while
  kResetLink,       // a replication link reset (TCP RST)
  kStallLink,       // a replication link forwarding nothing for a while
  kSlowLink,        // a replication link at a few KB/s for a while
  kBootstrapSlave,  // a slave restarted from an empty directory
  kStaleSlave,      // a slave restarted from an older copy of its files
  kSetmstAway,      // setmst of a slave to the partner, a while, setmst back
  kDiskFull,        // slave A's filesystem filled up for a while, then freed
  kPurgeWhileDown,  // a slave down until the master's log no longer reaches it
};
inline constexpr int kFaultKinds = 17;

// The replication links, each through a proxy of the harness.
enum class Link {
  kSlaveA,          // slave A (hash database) <- master
  kSlaveB,          // slave B (tree database) <- master
  kTail,            // tttail <- master
  kPartnerFollows,  // partner <- master
  kMasterFollows,   // master <- partner
};
inline constexpr int kLinks = 5;

struct Fault {
  int number = 0;     // 1-based position in the schedule
  double wait_s = 0;  // the load runs this long before the fault
  FaultKind kind = FaultKind::kKillMaster;
  int slave = 0;  // slave faults: 0 = A, 1 = B
  Link link = Link::kSlaveA;
  double hold_s = 0;  // how long a cut, stall, slow link, full disk or setmst lasts
  uint64_t rate = 0;  // slow link: bytes per second
  bool hard = false;  // purge while down: the slave is killed -9 (else SIGTERM)
  // A kill -9 of a server: -1, or sent this many milliseconds after a sync
  // request (a checkpoint: the database synchronised, then the update log's
  // checkpoint file replaced), so that it lands during one.
  int sync_delay_ms = -1;
  // A kill -9 during the hold of a full disk or a setmst: of the master
  // (kKillMaster) or of the slave concerned (kKillSlave).
  std::optional<FaultKind> inner;
};

// `count` faults of the `kinds` given (all kinds when empty), from `seed`.
std::vector<Fault> MakeSchedule(uint64_t seed, int count, const std::vector<FaultKind>& kinds);

// "kill-master", "stall-link", ... (the names --kinds takes).
const char* KindName(FaultKind kind);
const char* LinkName(Link link);
// Every kind name, comma-separated.
std::string KindNames();
// Parses a comma-separated list of kind names; false on an unknown name.
bool ParseKinds(const std::string& list, std::vector<FaultKind>* kinds);
// One line: the fault and its parameters.
std::string Describe(const Fault& fault);

}  // namespace tt::chaos
