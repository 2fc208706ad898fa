// What every protocol session shares within one ttserver process.
#pragma once

#include <cstdint>

#include "common/limits.h"
#include "engine/engine.h"
#include "repl/replica_state.h"
#include "ttserver/mask.h"
#include "ttserver/stats.h"

namespace tt {

namespace mc {
class MemcacheState;
}
namespace resp {
struct RespState;
}
class Feeder;

struct ServerContext {
  Engine* engine = nullptr;     // REQUIRED
  Stats* stats = nullptr;       // REQUIRED
  MasterSettings* master = nullptr;  // REQUIRED
  ReplicaStatus* replica = nullptr;  // REQUIRED
  mc::MemcacheState* memcache = nullptr;  // REQUIRED by the memcached sessions
  resp::RespState* resp = nullptr;        // REQUIRED by the RESP sessions
  Feeder* feeder = nullptr;     // replication streams; null without an update log
  CommandMask mask;             // -mask / -unmask
  Limits limits;
  uint16_t sid = 0;
  double start_time = 0;        // UNIX seconds with fraction, for stat ru_real
  int worker_threads = 0;       // -thnum, for stat and memcached stats "threads"
};

}  // namespace tt
