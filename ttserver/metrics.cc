#include "ttserver/metrics.h"

#include <cstdint>
#include <initializer_list>

#include "common/clock.h"
#include "common/commands.h"
#include "ttserver/stat_report.h"

namespace tt {

namespace {

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
    SampleText(ShortestNumberText(value), labels);
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
