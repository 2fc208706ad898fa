#include "ttserver/memcached/memcached_stats.h"

#include <unistd.h>

#include <cstdint>

#include "common/clock.h"
#include "common/commands.h"
#include "ttserver/memcached/memcached_ops.h"
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
  Add(out, "stat_key_prefix", std::string(1, mc::PrefixStats::kDelimiter));
  Add(out, "detail_enabled", context.memcache->prefix_stats().enabled() ? "yes" : "no");
  Add(out, "cas_enabled", "yes");
  // The first byte of a connection picks its protocol, as memcached's
  // auto-negotiation does between ascii and binary.
  Add(out, "binding_protocol", "auto-negotiate");
  Add(out, "auth_enabled_sasl", "no");
  Add(out, "auth_enabled_ascii", "no");
  Add(out, "item_size_max", static_cast<uint64_t>(limits.mc_item_max));
  Add(out, "flush_enabled", "yes");
  Add(out, "idle_timeout", ShortestNumberText(limits.idle_timeout_s));
  Add(out, "ssl_enabled", "no");
  Add(out, "tt_max_key", static_cast<uint64_t>(limits.max_key));
  Add(out, "tt_request_timeout", ShortestNumberText(limits.request_timeout_s));
}

// `stats reset`, which forgets the `stats detail` counts too (detail stays
// on or off). No list: the session answers RESET.
void ResetStats(ServerContext& context, StatList*) {
  context.stats->Reset();
  context.memcache->prefix_stats().Clear();
}

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

// The groups of `stats <group>` we answer. Not "detail": `stats detail
// on|off|dump` answers OK, PREFIX lines or a usage error, never a STAT list,
// so the sessions answer it (over mc::PrefixStats).
struct Group {
  std::string_view name;
  void (*fill)(ServerContext& context, StatList* out);
};
constexpr Group kGroups[] = {
    {"", GeneralStats},    {"settings", SettingsStats}, {"reset", ResetStats},
    {"items", ItemsStats}, {"slabs", SlabsStats},       {"sizes", SizesStats},
    {"conns", ConnsStats},
};

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

}  // namespace tt
