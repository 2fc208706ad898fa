#include "ulog/slave_registry.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <algorithm>
#include <fstream>
#include <sstream>

#include "common/atomic_file.h"

namespace tt {

std::string SlaveRegistryPath(const std::string& dir) { return dir + "/ttserver.slaves"; }

Status WriteSlaveRegistry(const std::string& dir, const std::vector<SlaveAck>& slaves) {
  std::string text;
  for (const SlaveAck& slave : slaves) {
    char line[128];
    snprintf(line, sizeof line, "%u\t%llu\t%.6f\t", slave.sid,
             static_cast<unsigned long long>(slave.acked_ts), slave.last_ack_unix);
    text.append(line).append(slave.address);
    text.append("\t").append(std::to_string(slave.applied_ts)).append("\n");
  }
  return ReplaceFileAtomically(SlaveRegistryPath(dir), text);
}

Status ReadSlaveRegistry(const std::string& dir, std::vector<SlaveAck>* slaves) {
  slaves->clear();
  const std::string path = SlaveRegistryPath(dir);
  std::ifstream in(path);
  if (!in) {
    if (errno == ENOENT) return Status::Ok();
    return Status::IoError("cannot read " + path + ": " + strerror(errno));
  }
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (line.empty()) continue;
    SlaveAck slave;
    unsigned long long acked = 0;
    int address_at = 0;
    if (sscanf(line.c_str(), "%u\t%llu\t%lf\t%n", &slave.sid, &acked, &slave.last_ack_unix,
               &address_at) < 3 ||
        address_at == 0) {
      return Status::Corruption(
          path + " line " + std::to_string(number) +
          " is not \"sid TAB ts TAB time TAB address\"; repair or remove that line (a slave "
          "missing from the file no longer holds the update-log files it needs until it "
          "acknowledges again)");
    }
    slave.acked_ts = acked;
    slave.applied_ts = acked;
    slave.address = line.substr(static_cast<size_t>(address_at));
    if (const size_t tab = slave.address.find('\t'); tab != std::string::npos) {
      unsigned long long applied = 0;
      if (sscanf(slave.address.c_str() + tab + 1, "%llu", &applied) == 1) {
        slave.applied_ts = std::min<uint64_t>(applied, acked);
      }
      slave.address.resize(tab);
    }
    slaves->push_back(std::move(slave));
  }
  return Status::Ok();
}

uint64_t OldestAcknowledgedNeed(const std::vector<SlaveAck>& slaves, double since_unix) {
  uint64_t oldest = UINT64_MAX;
  for (const SlaveAck& slave : slaves) {
    if (slave.last_ack_unix >= since_unix) oldest = std::min(oldest, slave.acked_ts + 1);
  }
  return oldest;
}

}  // namespace tt
