#include "ttserver/metrics.h"

#include <unistd.h>

#include <charconv>
#include <cmath>
#include <cstdint>
#include <initializer_list>

#include "common/clock.h"
#include "common/commands.h"
#include "ttserver/memcached_ops.h"
#include "ttserver/stat_report.h"

namespace tt {

namespace {

// The put family: what memcached counts as cmd_set.
constexpr uint8_t kSetCommands[] = {kCmdPut, kCmdPutKeep, kCmdPutCat, kCmdPutShl, kCmdPutNr};

// `total - part` for two counters read one after the other: another thread
// may have counted `part` of a request whose `total` was read before it.
uint64_t Minus(uint64_t total, uint64_t part) { return total > part ? total - part : 0; }

uint64_t SetCommandCount(const Stats& stats) {
  uint64_t sum = 0;
  for (uint8_t command : kSetCommands) sum += stats.CommandCount(command);
  return sum;
}

// Shortest text that reads back as `value`, in Prometheus's spelling of the
// non-finite values.
std::string NumberText(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  return std::string(buf, end);
}

void Add(StatList* out, std::string name, std::string value) {
  out->emplace_back(std::move(name), std::move(value));
}
void Add(StatList* out, std::string name, uint64_t value) {
  Add(out, std::move(name), std::to_string(value));
}

// memcached 1.6's general statistics, in its order, leaving out the fields of
// its slab allocator, LRU and connection buffers, which have no counterpart
// here; then ours, prefixed tt_.
void GeneralStats(ServerContext& context, StatList* out) {
  const Stats& stats = *context.stats;
  const double now = NowMicros() / 1e6;
  Add(out, "pid", static_cast<uint64_t>(getpid()));
  Add(out, "uptime", Minus(static_cast<uint64_t>(now), static_cast<uint64_t>(context.start_time)));
  Add(out, "time", static_cast<uint64_t>(now));
  Add(out, "version", std::string(mc::kMemcachedVersion));
  Add(out, "pointer_size", 8 * sizeof(void*));
  double user = 0, system = 0;
  if (ProcessCpuSeconds(&user, &system)) {
    Add(out, "rusage_user", SixDecimals(user));
    Add(out, "rusage_system", SixDecimals(system));
  }
  Add(out, "max_connections", static_cast<uint64_t>(context.limits.max_conns));
  Add(out, "curr_connections", stats.conns_current.load());
  Add(out, "total_connections", stats.conns_total.load());
  Add(out, "rejected_connections", stats.conns_rejected.load());
  // Misses first: a request counts its command before it can miss.
  const uint64_t get_misses = stats.get_miss.load();
  const uint64_t delete_misses = stats.out_miss.load();
  const uint64_t put_misses = stats.put_miss.load();
  const uint64_t gets = stats.CommandCount(kCmdGet);
  const uint64_t deletes = stats.CommandCount(kCmdOut);
  const uint64_t sets = SetCommandCount(stats);
  Add(out, "cmd_get", gets);
  Add(out, "cmd_set", sets);
  Add(out, "cmd_flush", stats.CommandCount(kCmdVanish));
  Add(out, "cmd_touch", stats.touch_cmds.load());
  Add(out, "cmd_meta", stats.meta_cmds.load());
  Add(out, "get_hits", Minus(gets, get_misses));
  Add(out, "get_misses", get_misses);
  Add(out, "get_expired", stats.get_expired.load());
  Add(out, "delete_misses", delete_misses);
  Add(out, "delete_hits", Minus(deletes, delete_misses));
  Add(out, "incr_misses", stats.incr_misses.load());
  Add(out, "incr_hits", stats.incr_hits.load());
  Add(out, "decr_misses", stats.decr_misses.load());
  Add(out, "decr_hits", stats.decr_hits.load());
  Add(out, "cas_misses", stats.cas_misses.load());
  Add(out, "cas_hits", stats.cas_hits.load());
  Add(out, "cas_badval", stats.cas_badval.load());
  Add(out, "touch_hits", stats.touch_hits.load());
  Add(out, "touch_misses", stats.touch_misses.load());
  Add(out, "bytes_read", stats.bytes_read.load());
  Add(out, "bytes_written", stats.bytes_written.load());
  Add(out, "threads", static_cast<uint64_t>(context.worker_threads));
  // The database's size and record count: expired records not yet purged
  // are in both, as memcached's unreclaimed expired items are.
  Add(out, "bytes", context.engine->SizeBytes());
  Add(out, "curr_items", context.engine->Count());
  Add(out, "total_items", Minus(sets, put_misses));
  // Kept because monitoring reads it: this server stores to a database and
  // never evicts a live item to make room.
  Add(out, "evictions", uint64_t{0});
  Add(out, "tt_version", TT_VERSION);
  Add(out, "tt_sid", static_cast<uint64_t>(context.sid));
  Add(out, "tt_expired_purged", context.engine->ExpiredPurged());
  if (UlogWriter* ulog = context.engine->ulog()) {
    const UlogPosition pos = ulog->Position();
    Add(out, "tt_ulog_file", static_cast<uint64_t>(pos.file));
    Add(out, "tt_ulog_offset", pos.offset);
  }
}

// memcached 1.6's `stats settings` that have a meaning here, in its order,
// then our limits that memcached lacks, prefixed tt_.
void SettingsStats(ServerContext& context, StatList* out) {
  const Limits& limits = context.limits;
  Add(out, "maxconns", static_cast<uint64_t>(limits.max_conns));
  Add(out, "evictions", "off");
  Add(out, "num_threads", static_cast<uint64_t>(context.worker_threads));
  Add(out, "cas_enabled", "yes");
  // The first byte of a connection picks its protocol, as memcached's
  // auto-negotiation does between ascii and binary.
  Add(out, "binding_protocol", "auto-negotiate");
  Add(out, "auth_enabled_sasl", "no");
  Add(out, "auth_enabled_ascii", "no");
  Add(out, "item_size_max", static_cast<uint64_t>(limits.max_value));
  Add(out, "flush_enabled", "yes");
  Add(out, "idle_timeout", NumberText(limits.idle_timeout_s));
  Add(out, "ssl_enabled", "no");
  Add(out, "tt_max_key", static_cast<uint64_t>(limits.max_key));
  Add(out, "tt_request_timeout", NumberText(limits.request_timeout_s));
}

// `stats reset`. No list: the session answers RESET.
void ResetStats(ServerContext& context, StatList*) { context.stats->Reset(); }

// memcached lists items per slab class; having no slab classes, we answer as
// memcached does on an empty cache: no lines.
void ItemsStats(ServerContext&, StatList*) {}

// memcached's answer on an empty cache, true here too (no slab classes, no
// slab pages); kept rather than left out because tools read total_malloced
// from `stats slabs` without checking it is there.
void SlabsStats(ServerContext&, StatList* out) {
  Add(out, "active_slabs", uint64_t{0});
  Add(out, "total_malloced", uint64_t{0});
}

// memcached's answer when it is not tracking item sizes (its default): we
// never track them.
void SizesStats(ServerContext&, StatList* out) { Add(out, "sizes_status", "disabled"); }

// memcached lists every connection; ours belong to the workers, out of this
// layer's sight. An empty list rather than ERROR keeps tools that poll it
// working.
void ConnsStats(ServerContext&, StatList*) {}

// The groups of `stats <group>` we answer. Not "detail": memcached's `stats
// detail on|off|dump` answers OK, PREFIX lines or a usage error, never a STAT
// list, about per-key-prefix counters this server does not keep.
struct Group {
  std::string_view name;
  void (*fill)(ServerContext& context, StatList* out);
};
constexpr Group kGroups[] = {
    {"", GeneralStats},    {"settings", SettingsStats}, {"reset", ResetStats},
    {"items", ItemsStats}, {"slabs", SlabsStats},       {"sizes", SizesStats},
    {"conns", ConnsStats},
};

// Builds a text exposition (format 0.0.4): every family gets its HELP and
// TYPE line once, followed by its samples.
class Exposition {
 public:
  struct Label {
    std::string_view name;
    std::string_view value;
  };

  // Starts family ttserver_`name`; `type` is "counter" or "gauge". `help`
  // must hold no backslash or line feed (it is written unescaped).
  void Family(std::string_view name, std::string_view type, std::string_view help) {
    family_ = "ttserver_";
    family_.append(name);
    text_.append("# HELP ").append(family_).append(" ").append(help).append("\n");
    text_.append("# TYPE ").append(family_).append(" ").append(type).append("\n");
  }
  // A sample of the family last started.
  void Sample(uint64_t value, std::initializer_list<Label> labels = {}) {
    SampleText(std::to_string(value), labels);
  }
  void Sample(double value, std::initializer_list<Label> labels = {}) {
    SampleText(NumberText(value), labels);
  }
  // A family of one unlabelled sample.
  template <typename Value>
  void Single(std::string_view name, std::string_view type, std::string_view help, Value value) {
    Family(name, type, help);
    Sample(value);
  }

  std::string Take() { return std::move(text_); }

  // A sample whose value is already text.
  void SampleText(std::string_view value, std::initializer_list<Label> labels) {
    text_.append(family_);
    if (labels.size() > 0) {
      char separator = '{';
      for (const Label& label : labels) {
        text_.push_back(separator);
        text_.append(label.name).append("=\"");
        AppendEscaped(label.value);
        text_.push_back('"');
        separator = ',';
      }
      text_.push_back('}');
    }
    text_.append(" ").append(value).append("\n");
  }

 private:
  // A label value with backslash, double quote and line feed escaped, the
  // three characters the format requires escaping.
  void AppendEscaped(std::string_view value) {
    for (char c : value) {
      switch (c) {
        case '\\':
          text_.append("\\\\");
          break;
        case '"':
          text_.append("\\\"");
          break;
        case '\n':
          text_.append("\\n");
          break;
        default:
          text_.push_back(c);
      }
    }
  }

  std::string text_;
  std::string family_;
};

void ProcessMetrics(ServerContext& context, Exposition* out) {
  Store& store = context.engine->store();
  const std::string sid = std::to_string(context.sid);
  const std::string type = store.TypeName();
  const std::string path = store.Path();
  out->Family("info", "gauge", "Always 1; the labels describe this server and its database.");
  out->Sample(
      uint64_t{1},
      {{"version", TT_VERSION}, {"sid", sid}, {"database_type", type}, {"database_path", path}});
  out->Single("start_time_seconds", "gauge", "When the server started, in UNIX seconds.",
              context.start_time);
  out->Single("uptime_seconds", "gauge", "Seconds since the server started.",
              NowMicros() / 1e6 - context.start_time);
  double user = 0, system = 0;
  if (ProcessCpuSeconds(&user, &system)) {
    out->Family("cpu_seconds_total", "counter", "CPU time the process has used, by mode.");
    out->Sample(user, {{"mode", "user"}});
    out->Sample(system, {{"mode", "system"}});
  }
  uint64_t vsize = 0, rss = 0;
  if (ProcessMemorySizes(&vsize, &rss)) {
    out->Single("virtual_memory_bytes", "gauge", "Virtual memory size of the process.", vsize);
    out->Single("resident_memory_bytes", "gauge", "Resident memory size of the process.", rss);
  }
  out->Single("worker_threads", "gauge", "Worker threads serving connections.",
              static_cast<uint64_t>(context.worker_threads));
}

void TrafficMetrics(ServerContext& context, Exposition* out) {
  const Stats& stats = *context.stats;
  out->Single("max_connections", "gauge", "Client connections allowed at once (--max-conns).",
              static_cast<uint64_t>(context.limits.max_conns));
  out->Single("open_connections", "gauge", "Client connections open now.",
              stats.conns_current.load());
  out->Single("connections_accepted_total", "counter", "Client connections accepted.",
              stats.conns_total.load());
  out->Single("connections_rejected_total", "counter",
              "Client connections closed at accept because --max-conns were open.",
              stats.conns_rejected.load());
  out->Single("received_bytes_total", "counter", "Bytes received from clients, every protocol.",
              stats.bytes_read.load());
  out->Single("sent_bytes_total", "counter", "Bytes sent to clients, every protocol.",
              stats.bytes_written.load());
}

void CommandMetrics(ServerContext& context, Exposition* out) {
  const Stats& stats = *context.stats;
  out->Family("commands_total", "counter",
              "Requests by binary command; memcached and HTTP requests count as the binary "
              "command that does the same (as the stat command's cnt_* lines).");
  for (const CommandInfo& command : kCommands) {
    out->Sample(stats.CommandCount(command.id), {{"command", command.name}});
  }
  out->Single("get_misses_total", "counter", "Gets of an absent or expired key.",
              stats.get_miss.load());
  out->Single("get_expired_total", "counter", "Gets that found only an expired value.",
              stats.get_expired.load());
  out->Single("out_misses_total", "counter", "Deletes of an absent key.", stats.out_miss.load());
  out->Single("put_misses_total", "counter", "Put-family writes that stored nothing.",
              stats.put_miss.load());
  out->Family("memcached_commands_total", "counter",
              "memcached requests with no binary counterpart: touch (per key) and meta.");
  out->Sample(stats.touch_cmds.load(), {{"command", "touch"}});
  out->Sample(stats.meta_cmds.load(), {{"command", "meta"}});
  out->Family("memcached_hits_total", "counter", "memcached operations that found their item.");
  out->Sample(stats.touch_hits.load(), {{"command", "touch"}});
  out->Sample(stats.cas_hits.load(), {{"command", "cas"}});
  out->Sample(stats.incr_hits.load(), {{"command", "incr"}});
  out->Sample(stats.decr_hits.load(), {{"command", "decr"}});
  out->Family("memcached_misses_total", "counter",
              "memcached operations whose item was absent or expired.");
  out->Sample(stats.touch_misses.load(), {{"command", "touch"}});
  out->Sample(stats.cas_misses.load(), {{"command", "cas"}});
  out->Sample(stats.incr_misses.load(), {{"command", "incr"}});
  out->Sample(stats.decr_misses.load(), {{"command", "decr"}});
  out->Single("memcached_cas_badval_total", "counter",
              "memcached cas requests refused because the item had changed.",
              stats.cas_badval.load());
}

void DatabaseMetrics(ServerContext& context, Exposition* out) {
  Engine& engine = *context.engine;
  out->Single("items", "gauge", "Records in the database, expired ones not yet purged included.",
              engine.Count());
  out->Single("database_bytes", "gauge", "Size of the database (files, or memory if in-memory).",
              engine.SizeBytes());
  out->Single("expirations_total", "counter",
              "Expired values removed, by reads that met them and by the background sweep.",
              engine.ExpiredPurged());
  out->Single("evictions_total", "counter",
              "Live items evicted to make room: always 0, this server never evicts.", uint64_t{0});
  if (UlogWriter* ulog = engine.ulog()) {
    const UlogPosition pos = ulog->Position();
    out->Single("ulog_file", "gauge", "Number of the update-log file being written.",
                static_cast<uint64_t>(pos.file));
    out->Single("ulog_offset_bytes", "gauge", "Where the next update-log record goes in that file.",
                pos.offset);
    out->Single("ulog_records_total", "counter", "Update-log records written since start.",
                ulog->LastSeq());
  }
}

void ReplicationMetrics(ServerContext& context, Exposition* out) {
  out->Single("replication_slaves", "gauge", "Replication streams being sent now.",
              context.stats->repl_slaves.load());
  if (context.feeder != nullptr) {
    const std::vector<SlaveReport> slaves = context.feeder->Slaves(kSlaveReportForgetS);
    out->Family("replication_slave_acked_timestamp", "gauge",
                "Newest update-log timestamp (microseconds) each acknowledging slave applied, "
                "by server id (its address is in stat).");
    for (const SlaveReport& slave : slaves) {
      if (!slave.acknowledges) continue;
      const std::string sid = std::to_string(slave.sid);
      out->Sample(slave.acked_ts, {{"sid", sid}});
    }
    out->Family("replication_slave_lag_seconds", "gauge",
                "How long the oldest record sent to each connected acknowledging slave has "
                "waited for its acknowledgement; 0 when it acknowledged everything.");
    for (const SlaveReport& slave : slaves) {
      if (!slave.acknowledges || !slave.connected) continue;
      const std::string sid = std::to_string(slave.sid);
      out->Sample(slave.lag_s, {{"sid", sid}});
    }
  }
  const MasterSettings::Snapshot master = context.master->Get();
  if (!master.host.empty()) {
    const uint64_t rts = context.replica->rts.load();
    out->Single("replication_applied_timestamp", "gauge",
                "Master timestamp (microseconds) of the last record this slave applied (rts).",
                rts);
    out->Family("replication_state", "gauge",
                "Always 1; the state label says what this slave's replicator is doing.");
    out->SampleText("1", {{"state", ReplicaStatus::StateName(context.replica->state.load())},
                          {"master", master.host + ":" + std::to_string(master.port)}});
  }
}

}  // namespace

bool MemcachedStats(ServerContext& context, std::string_view group, StatList* out) {
  for (const Group& known : kGroups) {
    if (known.name == group) {
      known.fill(context, out);
      return true;
    }
  }
  return false;
}

std::string RenderPrometheus(ServerContext& context) {
  Exposition out;
  ProcessMetrics(context, &out);
  TrafficMetrics(context, &out);
  CommandMetrics(context, &out);
  DatabaseMetrics(context, &out);
  ReplicationMetrics(context, &out);
  return out.Take();
}

}  // namespace tt
