// The server's counters as a Prometheus text exposition (metrics port). It
// reads the one Stats of the server (stats.h), the Engine and the update log,
// as memcached's `stats` (memcached/memcached_stats.h) and the binary `stat`
// (stat_report.h) do: no second set of counters.
#pragma once

#include <string>

#include "ttserver/server_context.h"

namespace tt {

// The Prometheus text format (version 0.0.4) of every counter and gauge, all
// named ttserver_*, counters *_total. Thread-safe.
std::string RenderPrometheus(ServerContext& context);

}  // namespace tt
