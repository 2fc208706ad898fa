// Changing at run time the master this server follows: the one path of the
// binary protocol's setmst and Redis's REPLICAOF / SLAVEOF.
#pragma once

#include <cstdint>
#include <string_view>

#include "ttserver/server_context.h"

namespace tt {

// Makes this server follow the master at `host`:`port` from `start_ts`
// (0 = from the .rts position) with `opts` (bit 0: consistency check), or,
// with an empty `host`, stop following any. The replicator takes the change
// up within 100 ms (repl/replicator.h); the data already replicated stays.
// Logs the change. Thread-safe.
void SetReplicationMaster(ServerContext& context, std::string_view host, int port,
                          uint64_t start_ts, uint32_t opts);

}  // namespace tt
