#include "ttserver/replication_control.h"

#include <string>

#include "common/logging.h"

namespace tt {

void SetReplicationMaster(ServerContext& context, std::string_view host, int port,
                          uint64_t start_ts, uint32_t opts) {
  context.master->Set(std::string(host), port, start_ts, opts);
  if (host.empty()) {
    LogInfo("replication master unset: not replicating");
  } else {
    LogInfo("replication master set to ", host, ":", port);
  }
}

}  // namespace tt
