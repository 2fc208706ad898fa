// The server's counters as memcached's `stats` reports them and as a
// Prometheus text exposition (metrics port). Both read the one Stats of the
// server (stats.h), the Engine and the update log: no second set of counters.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ttserver/server_context.h"

namespace tt {

using StatList = std::vector<std::pair<std::string, std::string>>;

// memcached's `stats [group]`: group "" = the general statistics with
// memcached 1.6's field names, order and meaning, "settings" = `stats
// settings`; fields of memcached's slab allocator, LRU and buffers, which have
// no counterpart here, are left out rather than reported as zeros. Where the
// meaning differs: a request counts whatever protocol it came by (cmd_get
// includes binary and HTTP gets); bytes and curr_items are the database's size
// and record count, unpurged expired records included; total_items counts
// successful put-family writes; evictions is always 0 (nothing is ever
// evicted). Fields of ours follow, prefixed tt_ (ulog position, purged
// expired values). Returns false, leaving *out alone, for any other group
// (the session then answers as memcached answers an unknown group).
// Thread-safe.
bool MemcachedStats(ServerContext& context, std::string_view group, StatList* out);

// The Prometheus text format (version 0.0.4) of every counter and gauge, all
// named ttserver_*, counters *_total. Thread-safe.
std::string RenderPrometheus(ServerContext& context);

}  // namespace tt
