// The text of the binary `stat` command (binary-protocol.md §3.18): the
// original's fields in its order, then ours.
#pragma once

#include <cstdint>
#include <string>

#include "repl/feeder.h"
#include "ttserver/server_context.h"

namespace tt {

// How long a slave that acknowledged but is no longer connected is still
// reported by stat and the metrics page.
inline constexpr double kSlaveReportForgetS = 7 * 24 * 3600;

// One slave as stat's repl_slaveN line shows it: "sid=2 addr=host:port
// connected=1 acks=1 sent_ts=... acked_ts=... ack_age=S lag=S" (sent_ts only
// while connected; the ack fields only for acknowledging slaves).
std::string DescribeSlave(const SlaveReport& slave);

// `fd` is the asking connection's socket. With `counters_only` (stat masked)
// only the cnt_* lines are produced, as the original does.
std::string BuildStatReport(ServerContext& context, int fd, bool counters_only);

// Facts about this process that `stat`, memcached's `stats` and the metrics
// page all report, each read the one way.
// CPU seconds spent in user and system mode (getrusage). False if unknown.
bool ProcessCpuSeconds(double* user, double* system);
// Virtual and resident size in bytes (/proc/self/statm). False if unknown.
bool ProcessMemorySizes(uint64_t* vsize, uint64_t* rss);
// `value` as "%.6f": how the original's stat prints times and loads, and
// memcached its CPU seconds.
std::string SixDecimals(double value);
// The shortest text that reads back as `value`, "NaN", "+Inf" or "-Inf" for
// the non-finite values (Prometheus's spelling; memcached prints its
// settings' times this way too).
std::string ShortestNumberText(double value);

}  // namespace tt
