#include "ttserver/stat_report.h"

#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "common/clock.h"
#include "common/commands.h"

namespace tt {

namespace {

void Line(std::string* out, std::string_view name, std::string_view value) {
  out->append(name).append("\t").append(value).append("\n");
}
void Line(std::string* out, std::string_view name, uint64_t value) {
  Line(out, name, std::to_string(value));
}
std::string Fixed6(double value) {
  char buf[64];
  snprintf(buf, sizeof buf, "%.6f", value);
  return buf;
}
double TimevalSeconds(const timeval& tv) { return tv.tv_sec + tv.tv_usec / 1e6; }

void AppendCounters(ServerContext& context, std::string* out) {
  for (const CommandInfo& command : kCommands) {
    Line(out, "cnt_" + std::string(command.name), context.stats->CommandCount(command.id));
  }
  Line(out, "cnt_put_miss", context.stats->put_miss.load());
  Line(out, "cnt_out_miss", context.stats->out_miss.load());
  Line(out, "cnt_get_miss", context.stats->get_miss.load());
}

// Virtual and resident size in bytes, from /proc/self/statm.
bool MemorySizes(uint64_t* vsize, uint64_t* rss) {
  std::ifstream statm("/proc/self/statm");
  uint64_t pages_v = 0, pages_r = 0;
  if (!(statm >> pages_v >> pages_r)) return false;
  uint64_t page = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  *vsize = pages_v * page;
  *rss = pages_r * page;
  return true;
}

}  // namespace

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
  Line(&out, "time", Fixed6(now));
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
  }
  Line(&out, "fd", static_cast<uint64_t>(fd));
  double loads[3] = {0, 0, 0};
  getloadavg(loads, 3);
  Line(&out, "loadavg", Fixed6(loads[1]));
  uint64_t vsize, rss;
  if (MemorySizes(&vsize, &rss)) {
    Line(&out, "memsize", vsize);
    Line(&out, "memrss", rss);
  }
  rusage usage;
  if (getrusage(RUSAGE_SELF, &usage) == 0) {
    Line(&out, "ru_user", Fixed6(TimevalSeconds(usage.ru_utime)));
    Line(&out, "ru_sys", Fixed6(TimevalSeconds(usage.ru_stime)));
  }
  Line(&out, "ru_real", Fixed6(now - context.start_time));
  AppendCounters(context, &out);
  // Ours, after the original's fields.
  Line(&out, "server", "ttserver " TT_VERSION);
  Line(&out, "partitions", store.PartitionCount());
  Line(&out, "curr_connections", context.stats->conns_current.load());
  Line(&out, "total_connections", context.stats->conns_total.load());
  Line(&out, "rejected_connections", context.stats->conns_rejected.load());
  if (UlogWriter* ulog = context.engine->ulog()) {
    UlogPosition pos = ulog->Position();
    Line(&out, "ulog_file", pos.file);
    Line(&out, "ulog_offset", pos.offset);
  }
  return out;
}

}  // namespace tt
