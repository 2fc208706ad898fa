// Redis's INFO (resp_call.h) over what the binary `stat`, memcached's
// `stats` and the metrics page report: the same counters (stats.h), read
// the same way (stat_report.h), under Redis's field names where a field
// means the same here.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/commands.h"
#include "ttserver/resp/resp_call.h"
#include "ttserver/resp/resp_reply.h"
#include "ttserver/resp/resp_state.h"
#include "ttserver/stat_report.h"
#include "ulog/checkpoint.h"

namespace tt::resp {

namespace {

using Fields = std::string;

void Field(Fields* out, std::string_view name, std::string_view value) {
  out->append(name).append(":").append(value).append("\r\n");
}
void Field(Fields* out, std::string_view name, uint64_t value) {
  Field(out, name, std::to_string(value));
}

std::string TwoDecimals(double value) {
  char buf[64];
  snprintf(buf, sizeof buf, "%.2f", value);
  return buf;
}

void ServerSection(ServerContext& context, Fields* out) {
  const double now = static_cast<double>(NowMicros()) / 1e6;
  const auto uptime = static_cast<uint64_t>(std::max(0.0, now - context.start_time));
  Field(out, "redis_version", kRedisVersion);
  Field(out, "ttserver_version", TT_VERSION);
  Field(out, "redis_mode", "standalone");
  Field(out, "os", "Linux");
  Field(out, "arch_bits", static_cast<uint64_t>(sizeof(void*) * 8));
  Field(out, "process_id", static_cast<uint64_t>(getpid()));
  Field(out, "server_time_usec", NowMicros());
  Field(out, "uptime_in_seconds", uptime);
  Field(out, "uptime_in_days", uptime / 86400);
  Field(out, "io_threads_active", "0");
}

void ClientsSection(ServerContext& context, Fields* out) {
  Field(out, "connected_clients", context.stats->conns_current.load());
  Field(out, "maxclients", static_cast<uint64_t>(context.limits.max_conns));
  Field(out, "blocked_clients", "0");
}

void MemorySection(Fields* out) {
  uint64_t vsize = 0, rss = 0;
  ProcessMemorySizes(&vsize, &rss);
  // The resident size: Kyoto Cabinet's caches and maps have no count of their own.
  Field(out, "used_memory", rss);
  Field(out, "used_memory_rss", rss);
  Field(out, "maxmemory", "0");
  Field(out, "maxmemory_policy", "noeviction");
}

void PersistenceSection(ServerContext& context, Fields* out) {
  const Saves& saves = context.resp->saves;
  Field(out, "loading", "0");
  Field(out, "rdb_bgsave_in_progress", saves.BackgroundRunning() ? "1" : "0");
  Field(out, "rdb_last_save_time", static_cast<uint64_t>(LastSaveTime(context)));
  Field(out, "rdb_last_bgsave_status", saves.last_ok() ? "ok" : "err");
  // The update log is what Redis's append-only file is to it.
  Field(out, "aof_enabled", context.engine->ulog() != nullptr ? "1" : "0");
}

void StatsSection(ServerContext& context, Fields* out) {
  const Stats& stats = *context.stats;
  uint64_t total = 0;
  for (const CommandInfo& command : kCommands) total += stats.CommandCount(command.id);
  const uint64_t gets = stats.CommandCount(kCmdGet), misses = stats.get_miss.load();
  Field(out, "total_connections_received", stats.conns_total.load());
  Field(out, "total_commands_processed", total);
  Field(out, "total_net_input_bytes", stats.bytes_read.load());
  Field(out, "total_net_output_bytes", stats.bytes_written.load());
  Field(out, "rejected_connections", stats.conns_rejected.load());
  Field(out, "expired_keys", context.engine->ExpiredPurged());
  Field(out, "evicted_keys", "0");
  Field(out, "keyspace_hits", gets - std::min(gets, misses));
  Field(out, "keyspace_misses", misses);
}

void ReplicationSection(ServerContext& context, Fields* out) {
  const MasterSettings::Snapshot master = context.master->Get();
  const bool slave = !master.host.empty();
  Field(out, "role", slave ? "slave" : "master");
  if (slave) {
    const ReplicaStatus::State state = context.replica->state.load();
    Field(out, "master_host", master.host);
    Field(out, "master_port", static_cast<uint64_t>(master.port));
    Field(out, "master_link_status", state == ReplicaStatus::State::kStreaming ? "up" : "down");
    Field(out, "master_sync_in_progress",
          state == ReplicaStatus::State::kBootstrapping ? "1" : "0");
    // Positions are update-log timestamps (µs), not byte offsets.
    Field(out, "slave_repl_offset", context.replica->rts.load());
  }
  const std::vector<StreamingSlave> slaves = StreamingSlaves(context);
  Field(out, "connected_slaves", slaves.size());
  for (size_t i = 0; i < slaves.size(); ++i) {
    const StreamingSlave& slave = slaves[i];
    Field(out, "slave" + std::to_string(i),
          "ip=" + slave.ip + ",port=" + slave.port +
              ",state=online,offset=" + std::to_string(slave.offset) +
              ",lag=" + std::to_string(static_cast<uint64_t>(slave.lag_s)));
  }
  Field(out, "master_repl_offset", context.engine->LastTimestamp());
}

void CpuSection(Fields* out) {
  double user = 0, system = 0;
  ProcessCpuSeconds(&user, &system);
  Field(out, "used_cpu_sys", SixDecimals(system));
  Field(out, "used_cpu_user", SixDecimals(user));
}

// The shared counters, one line per binary command that RESP commands
// count as (stats.h): Redis names them by Redis command.
void CommandStatsSection(ServerContext& context, Fields* out) {
  for (const CommandInfo& command : kCommands) {
    const uint64_t calls = context.stats->CommandCount(command.id);
    if (calls == 0) continue;
    Field(out, "cmdstat_" + std::string(command.name),
          "calls=" + std::to_string(calls) + ",usec=0,usec_per_call=" + TwoDecimals(0) +
              ",rejected_calls=0,failed_calls=0");
  }
}

void KeyspaceSection(ServerContext& context, Fields* out) {
  const uint64_t keys = context.engine->Count();
  if (keys == 0) return;  // as Redis, an empty database is not listed
  // expires: the keys the expiry schedule holds (those written with an
  // expiry since the start, up to its limit).
  Field(out, "db0",
        "keys=" + std::to_string(keys) +
            ",expires=" + std::to_string(context.engine->ScheduledExpiries()) + ",avg_ttl=0");
}

struct Section {
  std::string_view name;  // lower case
  std::string_view title;
  bool by_default;  // in INFO without arguments (and "default")
  void (*fill)(ServerContext&, Fields*);
};

const Section kSections[] = {
    {"server", "Server", true, ServerSection},
    {"clients", "Clients", true, ClientsSection},
    {"memory", "Memory", true, [](ServerContext&, Fields* out) { MemorySection(out); }},
    {"persistence", "Persistence", true, PersistenceSection},
    {"stats", "Stats", true, StatsSection},
    {"replication", "Replication", true, ReplicationSection},
    {"cpu", "CPU", true, [](ServerContext&, Fields* out) { CpuSection(out); }},
    {"commandstats", "Commandstats", false, CommandStatsSection},
    {"keyspace", "Keyspace", true, KeyspaceSection},
};

}  // namespace

int64_t LastSaveTime(ServerContext& context) {
  int64_t last =
      std::max(static_cast<int64_t>(context.start_time), context.resp->saves.last_success());
  // With an update log, every sync and checkpoint rewrites its checkpoint.
  if (UlogWriter* ulog = context.engine->ulog()) {
    struct stat st;
    if (::stat(CheckpointPath(ulog->dir()).c_str(), &st) == 0) {
      last = std::max(last, static_cast<int64_t>(st.st_mtime));
    }
  }
  return last;
}

// INFO [section ...]: "all" and "everything" give every section, "default"
// (or none) all but commandstats; unknown names give nothing.
Outcome Info(Call& call) {
  call.stats().CountCommand(kCmdStat);
  std::vector<std::string> asked;
  for (size_t i = 1; i < call.args.size(); ++i) asked.push_back(Lower(call.args[i]));
  auto wanted = [&](const Section& section) {
    if (asked.empty()) return section.by_default;
    return std::any_of(asked.begin(), asked.end(), [&](const std::string& name) {
      return name == section.name || name == "all" || name == "everything" ||
             (name == "default" && section.by_default);
    });
  };
  std::string text;
  for (const Section& section : kSections) {
    if (!wanted(section)) continue;
    if (!text.empty()) text.append("\r\n");
    text.append("# ").append(section.title).append("\r\n");
    section.fill(call.context, &text);
  }
  AppendBulk(call.out, text);
  return {};
}

}  // namespace tt::resp
