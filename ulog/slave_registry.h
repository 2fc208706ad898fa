// The master's registry of acknowledging slaves, kept beside its update log:
//
//   DIR/ttserver.slaves := { sid TAB acked-ts TAB last-ack-unix-seconds TAB address
//                            [TAB applied-ts] LF }
//
// One line per slave id that acknowledged its applied position over the
// extended replication stream (repl/feeder.h). A line without applied-ts
// (written before it existed) reads as applied-ts = acked-ts. The feeder rewrites it
// atomically now and then; update-log retention (the server's --ulog-retain
// and `ttulmgr purge`) keeps the files such a slave still needs, so a slave
// that was away for a while can resume from the log. The name does not end in
// ".ulog", so the original's tools and ours ignore the file.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"

namespace tt {

struct SlaveAck {
  uint32_t sid = 0;
  // The slave needs no record up to this timestamp: it applied them, or
  // they were not for it (its own, which its stream leaves out).
  uint64_t acked_ts = 0;
  double last_ack_unix = 0;  // when it last acknowledged (UNIX seconds)
  std::string address;       // host:port of its last connection (no TAB or LF)
  // The newest timestamp the slave itself acknowledged as applied (<= acked_ts).
  uint64_t applied_ts = 0;
};

// DIR/ttserver.slaves
std::string SlaveRegistryPath(const std::string& dir);
// Replaces the registry of `dir` atomically (common/atomic_file.h).
Status WriteSlaveRegistry(const std::string& dir, const std::vector<SlaveAck>& slaves);
// Reads the registry of `dir`: empty when there is none; Corruption naming
// the line when a line is malformed.
Status ReadSlaveRegistry(const std::string& dir, std::vector<SlaveAck>* slaves);

// The oldest timestamp the slaves of `slaves` that acknowledged at or after
// `since_unix` may still ask for (acked_ts + 1, minimum); UINT64_MAX when none did.
uint64_t OldestAcknowledgedNeed(const std::vector<SlaveAck>& slaves, double since_unix);

}  // namespace tt
