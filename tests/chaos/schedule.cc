#include "tests/chaos/schedule.h"

#include <algorithm>
#include <cstdio>
#include <random>
#include <sstream>

namespace tt::chaos {

namespace {

struct KindInfo {
  FaultKind kind;
  const char* name;
  int weight;  // how often it is drawn, among the kinds allowed
};

constexpr KindInfo kKinds[kFaultKinds] = {
    {FaultKind::kKillMaster, "kill-master", 10},
    {FaultKind::kTermMaster, "term-master", 4},
    {FaultKind::kKillPartner, "kill-partner", 5},
    {FaultKind::kTermPartner, "term-partner", 2},
    {FaultKind::kKillSlave, "kill-slave", 12},
    {FaultKind::kTermSlave, "term-slave", 5},
    {FaultKind::kKillTail, "kill-tail", 6},
    {FaultKind::kTermTail, "term-tail", 3},
    {FaultKind::kCutLink, "cut-link", 7},
    {FaultKind::kResetLink, "reset-link", 6},
    {FaultKind::kStallLink, "stall-link", 6},
    {FaultKind::kSlowLink, "slow-link", 5},
    {FaultKind::kBootstrapSlave, "bootstrap-slave", 4},
    {FaultKind::kStaleSlave, "stale-slave", 4},
    {FaultKind::kSetmstAway, "setmst-away", 5},
    {FaultKind::kDiskFull, "disk-full", 5},
    {FaultKind::kPurgeWhileDown, "purge-while-down", 3},
};

constexpr const char* kLinkNames[kLinks] = {"slave-a", "slave-b", "tttail", "partner<-master",
                                            "master<-partner"};

}  // namespace

const char* KindName(FaultKind kind) { return kKinds[static_cast<int>(kind)].name; }

const char* LinkName(Link link) { return kLinkNames[static_cast<int>(link)]; }

std::string KindNames() {
  std::string names;
  for (const KindInfo& info : kKinds) names += (names.empty() ? "" : ",") + std::string(info.name);
  return names;
}

bool ParseKinds(const std::string& list, std::vector<FaultKind>* kinds) {
  kinds->clear();
  std::istringstream in(list);
  for (std::string name; std::getline(in, name, ',');) {
    bool known = false;
    for (const KindInfo& info : kKinds) {
      if (name == info.name) {
        kinds->push_back(info.kind);
        known = true;
      }
    }
    if (!known) return false;
  }
  return !kinds->empty();
}

std::vector<Fault> MakeSchedule(uint64_t seed, int count, const std::vector<FaultKind>& kinds) {
  std::mt19937_64 random(seed);
  auto uniform = [&](double lo, double hi) {
    return std::uniform_real_distribution<double>(lo, hi)(random);
  };
  std::vector<KindInfo> allowed;
  int total = 0;
  for (const KindInfo& info : kKinds) {
    if (kinds.empty() || std::find(kinds.begin(), kinds.end(), info.kind) != kinds.end()) {
      allowed.push_back(info);
      total += info.weight;
    }
  }
  std::vector<Fault> schedule;
  for (int i = 1; i <= count; ++i) {
    Fault f;
    f.number = i;
    f.wait_s = uniform(0.3, 2.5);
    int draw = static_cast<int>(random() % static_cast<uint64_t>(total));
    for (const KindInfo& info : allowed) {
      if ((draw -= info.weight) < 0) {
        f.kind = info.kind;
        break;
      }
    }
    f.slave = static_cast<int>(random() % 2);
    f.link = static_cast<Link>(random() % kLinks);
    f.rate = 2000 + random() % 30000;
    f.hard = random() % 2 == 0;
    const int sync_delay_ms = static_cast<int>(random() % 40) - 20;
    switch (f.kind) {
      case FaultKind::kKillMaster:
      case FaultKind::kKillPartner:
      case FaultKind::kKillSlave:
        f.sync_delay_ms = std::max(sync_delay_ms, -1);
        break;
      case FaultKind::kCutLink:
      case FaultKind::kStallLink:
      case FaultKind::kSlowLink:
        f.hold_s = uniform(0.5, 4);
        break;
      case FaultKind::kDiskFull:
        f.slave = 0;  // slave A's files live on a small filesystem of their own
        [[fallthrough]];
      case FaultKind::kSetmstAway:
        f.hold_s = uniform(1, 5);
        if (random() % 5 < 2) {
          f.inner = random() % 2 == 0 ? FaultKind::kKillMaster : FaultKind::kKillSlave;
        }
        break;
      default:
        break;
    }
    schedule.push_back(f);
  }
  return schedule;
}

std::string Describe(const Fault& f) {
  std::string text = KindName(f.kind);
  char buf[64];
  switch (f.kind) {
    case FaultKind::kKillSlave:
    case FaultKind::kTermSlave:
    case FaultKind::kBootstrapSlave:
    case FaultKind::kStaleSlave:
    case FaultKind::kSetmstAway:
    case FaultKind::kDiskFull:
      text += f.slave == 0 ? " slave-a" : " slave-b";
      break;
    case FaultKind::kPurgeWhileDown:
      text += f.slave == 0 ? " slave-a" : " slave-b";
      text += f.hard ? " (kill -9)" : " (SIGTERM)";
      break;
    case FaultKind::kCutLink:
    case FaultKind::kResetLink:
    case FaultKind::kStallLink:
    case FaultKind::kSlowLink:
      text += std::string(" ") + LinkName(f.link);
      break;
    default:
      break;
  }
  if (f.kind == FaultKind::kSlowLink) {
    snprintf(buf, sizeof buf, " at %llu B/s", static_cast<unsigned long long>(f.rate));
    text += buf;
  }
  if (f.hold_s > 0) {
    snprintf(buf, sizeof buf, " for %.1f s", f.hold_s);
    text += buf;
  }
  if (f.sync_delay_ms >= 0) {
    snprintf(buf, sizeof buf, " %d ms into a sync", f.sync_delay_ms);
    text += buf;
  }
  if (f.inner) text += std::string(", with a ") + KindName(*f.inner) + " during it";
  return text;
}

}  // namespace tt::chaos
