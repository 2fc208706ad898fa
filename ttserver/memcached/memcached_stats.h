// memcached's `stats [group]` over the server's one set of counters
// (ttserver/stats.h), the Engine and the update log: the same counters the
// binary `stat` and the metrics page read (ttserver/metrics.h).
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
// expired values).
// Groups memcached 1.6 answers with a list we can only partly fill, answered
// as memcached answers them where that is true here: "items" = empty (no slab
// classes, as memcached's on an empty cache), "slabs" = active_slabs 0 and
// total_malloced 0 (the same), "sizes" = sizes_status disabled, "conns" =
// empty (connections are the workers' and out of this layer's sight).
// "reset" = memcached's `stats reset`: Stats::Reset() zeroes every counter
// of Stats (commands, hits, misses, bytes read/written, total and rejected
// connections; not the gauges: open connections, items, bytes, ulog
// position; nor the Engine's and the ulog's own counts: tt_expired_purged,
// ulog records) and the `stats detail` counts are forgotten, returning true
// with nothing added to *out. The caller must
// answer a reset as memcached does, not as a list: text `RESET\r\n` (no STAT
// lines, no END); binary only the empty packet that ends a list. The binary
// `stat` command (cnt_* and ours) and the Prometheus page read the same
// counters, so a reset shows there too: those *_total series restart from 0,
// which Prometheus takes as a counter reset (as after a restart), so rate()
// and increase() stay right.
// Returns false, leaving *out alone, for any other group, "detail" included:
// the sessions answer `stats detail on|off|dump` themselves (its replies are
// not a list), and any other group as memcached answers an unknown one.
// Thread-safe.
bool MemcachedStats(ServerContext& context, std::string_view group, StatList* out);

}  // namespace tt
