#include "ttserver/stat_report.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <fstream>

#include "common/clock.h"
#include "common/commands.h"
#include "repl/feeder.h"

namespace tt {

namespace {

void Line(std::string* out, std::string_view name, std::string_view value) {
  out->append(name).append("\t").append(value).append("\n");
}
void Line(std::string* out, std::string_view name, uint64_t value) {
  Line(out, name, std::to_string(value));
}
double TimevalSeconds(const timeval& tv) { return tv.tv_sec + tv.tv_usec / 1e6; }

// Unlike the original's, these counters go back to 0 on memcached's `stats
// reset` (memcached/memcached_stats.h), so a tool taking differences must allow for a drop.
void AppendCounters(ServerContext& context, std::string* out) {
  for (const CommandInfo& command : kCommands) {
    Line(out, "cnt_" + std::string(command.name), context.stats->CommandCount(command.id));
  }
  Line(out, "cnt_put_miss", context.stats->put_miss.load());
  Line(out, "cnt_out_miss", context.stats->out_miss.load());
  Line(out, "cnt_get_miss", context.stats->get_miss.load());
}

// Counters of ours: memcached's operations, traffic and expiry, named as
// memcached's `stats` names them.
void AppendOurCounters(ServerContext& context, std::string* out) {
  const Stats& stats = *context.stats;
  Line(out, "cmd_touch", stats.touch_cmds.load());
  Line(out, "cmd_meta", stats.meta_cmds.load());
  Line(out, "get_expired", stats.get_expired.load());
  Line(out, "incr_misses", stats.incr_misses.load());
  Line(out, "incr_hits", stats.incr_hits.load());
  Line(out, "decr_misses", stats.decr_misses.load());
  Line(out, "decr_hits", stats.decr_hits.load());
  Line(out, "cas_misses", stats.cas_misses.load());
  Line(out, "cas_hits", stats.cas_hits.load());
  Line(out, "cas_badval", stats.cas_badval.load());
  Line(out, "touch_hits", stats.touch_hits.load());
  Line(out, "touch_misses", stats.touch_misses.load());
  Line(out, "bytes_read", stats.bytes_read.load());
  Line(out, "bytes_written", stats.bytes_written.load());
  Line(out, "expired_purged", context.engine->ExpiredPurged());
}

}  // namespace

bool ProcessCpuSeconds(double* user, double* system) {
  rusage usage;
  if (getrusage(RUSAGE_SELF, &usage) != 0) return false;
  *user = TimevalSeconds(usage.ru_utime);
  *system = TimevalSeconds(usage.ru_stime);
  return true;
}

bool ProcessMemorySizes(uint64_t* vsize, uint64_t* rss) {
  std::ifstream statm("/proc/self/statm");
  uint64_t pages_v = 0, pages_r = 0;
  if (!(statm >> pages_v >> pages_r)) return false;
  uint64_t page = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  *vsize = pages_v * page;
  *rss = pages_r * page;
  return true;
}

std::string SixDecimals(double value) {
  char buf[64];
  snprintf(buf, sizeof buf, "%.6f", value);
  return buf;
}

std::string DescribeSlave(const SlaveReport& slave) {
  std::string text = "sid=" + std::to_string(slave.sid) + " addr=" + slave.address +
                     " connected=" + (slave.connected ? "1" : "0") +
                     " acks=" + (slave.acknowledges ? "1" : "0");
  if (slave.connected) text += " sent_ts=" + std::to_string(slave.sent_ts);
  if (slave.acknowledges) {
    text += " acked_ts=" + std::to_string(slave.acked_ts) + " ack_age=" +
            SixDecimals(slave.ack_age_s) + " lag=" + SixDecimals(slave.lag_s);
  }
  return text;
}

std::string BuildStatReport(ServerContext& context, int fd, bool counters_only) {
  std::string out;
  if (counters_only) {
    AppendCounters(context, &out);
    return out;
  }
  Store& store = context.engine->store();
  const double now = NowMicros() / 1e6;
  Line(&out, "version", "1.1.41");
  Line(&out, "libver", "324");
  Line(&out, "protver", "0.91");
  Line(&out, "os", "Linux");
  Line(&out, "time", SixDecimals(now));
  Line(&out, "pid", static_cast<uint64_t>(getpid()));
  Line(&out, "sid", context.sid);
  Line(&out, "type", store.TypeName());
  Line(&out, "path", store.Path());
  Line(&out, "rnum", context.engine->Count());
  Line(&out, "size", context.engine->SizeBytes());
  Line(&out, "bigend", "0");
  MasterSettings::Snapshot master = context.master->Get();
  if (!master.host.empty()) {
    Line(&out, "mhost", master.host);
    Line(&out, "mport", static_cast<uint64_t>(master.port));
    const uint64_t rts = context.replica->rts.load();
    Line(&out, "rts", rts);
    // As the original: seconds since the master wrote the last record
    // applied, so an idle link shows a growing delay.
    Line(&out, "delay", SixDecimals(std::max(0.0, now - static_cast<double>(rts) / 1e6)));
  }
  if (context.engine->ulog() != nullptr) {
    // Ours: the newest timestamp handed out to the update log, i.e. where a
    // replication stream started now would end (tttail --stop-at-end).
    Line(&out, "ulog_ts", context.engine->LastTimestamp());
  }
  if (context.feeder != nullptr) {
    // Our slaves look for this before they ask for the extended stream.
    Line(&out, "repl_ext", "1");
    int n = 0;
    for (const SlaveReport& slave : context.feeder->Slaves(kSlaveReportForgetS)) {
      Line(&out, "repl_slave" + std::to_string(++n), DescribeSlave(slave));
    }
  }
  Line(&out, "fd", static_cast<uint64_t>(fd));
  double loads[3] = {0, 0, 0};
  getloadavg(loads, 3);
  Line(&out, "loadavg", SixDecimals(loads[1]));
  uint64_t vsize, rss;
  if (ProcessMemorySizes(&vsize, &rss)) {
    Line(&out, "memsize", vsize);
    Line(&out, "memrss", rss);
  }
  double user, system;
  if (ProcessCpuSeconds(&user, &system)) {
    Line(&out, "ru_user", SixDecimals(user));
    Line(&out, "ru_sys", SixDecimals(system));
  }
  Line(&out, "ru_real", SixDecimals(now - context.start_time));
  AppendCounters(context, &out);
  // Ours, after the original's fields.
  Line(&out, "server", "ttserver " TT_VERSION);
  Line(&out, "partitions", store.PartitionCount());
  Line(&out, "curr_connections", context.stats->conns_current.load());
  Line(&out, "total_connections", context.stats->conns_total.load());
  Line(&out, "rejected_connections", context.stats->conns_rejected.load());
  AppendOurCounters(context, &out);
  if (UlogWriter* ulog = context.engine->ulog()) {
    UlogPosition pos = ulog->Position();
    Line(&out, "ulog_file", pos.file);
    Line(&out, "ulog_offset", pos.offset);
  }
  Line(&out, "repl_slaves", context.stats->repl_slaves.load());
  if (!master.host.empty()) {
    Line(&out, "repl_state", ReplicaStatus::StateName(context.replica->state.load()));
  }
  return out;
}

std::string ShortestNumberText(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  return std::string(buf, end);
}

}  // namespace tt
