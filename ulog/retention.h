// Update-log retention: deleting the old files of an update-log directory
// (the server's --ulog-retain, `ttulmgr purge`). The original never deletes a
// log file (ulog-and-replication.md §1), so this is off unless asked for.
//
// Only whole files go, oldest first, and only a prefix of the numbered
// sequence, so the log never has a hole; the newest (current) file always
// stays. A file stays while it may hold a record somebody still needs:
//
//   keep_from = min(checkpoint + 1,                  crash recovery re-applies
//                                                    the records after it
//                   base ts + 1 (base_file.h),       a rebuild applies the
//                                                    records after the base
//                   acked ts + 1 of every slave in   a slave that was away
//                   DIR/ttserver.slaves that         resumes from the log
//                   acknowledged within the hold,
//                   whatever else the caller knows)  streaming slaves (Feeder)
//
// Without a checkpoint, recovery replays the whole log, and without a base a
// rebuild does, so keep_from is then 1 and only files without records can
// go. The server writes a new base when the old one holds files back. Timestamps increase strictly
// (design.md §3), so every record of file i is older than the first record of
// any later file: file i holds only records < keep_from when that first
// timestamp is <= keep_from.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace tt {

// How long a slave that acknowledged but is now away keeps its files, unless
// told otherwise (--ulog-retain-hold, ttulmgr purge -hold).
constexpr double kDefaultRetainHoldSeconds = 7 * 86400;

struct RetentionPolicy {
  double max_age_s = 0;    // files whose newest record is older go; 0 = no age limit
  uint64_t max_bytes = 0;  // files go while all of them total more; 0 = no size limit
  uint64_t before_ts = 0;  // files whose records are all older go (purge -ts); 0 = none

  bool any() const { return max_age_s > 0 || max_bytes > 0 || before_ts > 0; }
};

// One file of the log as retention sees it.
struct UlogFileInfo {
  uint32_t number = 0;
  std::optional<uint64_t> first_ts;  // nullopt: the file holds no whole record
  std::optional<uint64_t> last_ts;   // its newest record, when the file was read through
  uint64_t size = 0;
};

// A file the plan deletes, and why.
struct UlogDeletion {
  UlogFileInfo file;
  uint64_t end_ts = 0;  // every record of the file is older than this; 0: it has none
  std::string reason;   // e.g. "older than 7d"
};

// The files of `files` (ascending numbers, as ListUlogFileInfo gives them)
// that `policy` deletes at `now_us`, oldest first, keeping every file that may
// hold a record with ts >= keep_from_ts. A pure function.
std::vector<UlogDeletion> PlanUlogRetention(const std::vector<UlogFileInfo>& files,
                                            const RetentionPolicy& policy, uint64_t now_us,
                                            uint64_t keep_from_ts);

// Lists the files of `dir` with their first timestamps and sizes. With
// `read_last_ts`, a file followed only by files without records (the one
// before a freshly rotated, empty newest file) is read through for its newest
// timestamp, which may cost a whole file's read; otherwise such a file is kept.
Status ListUlogFileInfo(const std::string& dir, bool read_last_ts,
                        std::vector<UlogFileInfo>* files);

// keep_from from what `dir` records itself: its checkpoint and its registry
// of acknowledging slaves, counting those that acknowledged within `hold_s`
// seconds of `now_unix`, and its base snapshot (base ts + 1, or 1 without
// a base); *without_base (if given) = the same but for the base. Fails when a
// file cannot be read, so that nothing is deleted on a guess.
Status UlogKeepFrom(const std::string& dir, double now_unix, double hold_s, uint64_t* keep_from,
                    uint64_t* without_base = nullptr);

struct RetentionRun {
  std::vector<UlogDeletion> deleted;  // or, in a dry run, what would be
  uint64_t keep_from_ts = 0;
  size_t files_before = 0;
  uint64_t bytes_before = 0;
  // Files the policy would delete but for the base snapshot: kept (a newer
  // base lets them go), or, without keep_base, deleted among the others.
  size_t held_by_base = 0;
};

// One retention pass over `dir`: ListUlogFileInfo, UlogKeepFrom lowered to
// `also_keep_from` (e.g. Feeder::OldestNeeded) and, unless `keep_base` is
// false (ttulmgr purge -force), the base's bound, PlanUlogRetention at the
// current time, then, unless `dry_run`, unlinks the planned files in order,
// logging each at info level with its timestamps and the reason. Stops at the
// first file that cannot be deleted (IoError; the later ones stay, so the log
// keeps no hole); run->deleted holds what was deleted until then. Not to be
// run twice at once on one directory.
Status RunUlogRetention(const std::string& dir, const RetentionPolicy& policy, double hold_s,
                        uint64_t also_keep_from, bool read_last_ts, bool dry_run, bool keep_base,
                        RetentionRun* run);

// The number of log files of `dir` and their total size (for stat and
// metrics: ulog_files, ulog_bytes). Costs a directory listing and a stat per file.
Status UlogDiskUsage(const std::string& dir, uint64_t* files, uint64_t* bytes);

// "00000003.ulog (ts 1700000000000000..1700000059999999, 1048576 bytes)".
std::string DescribeUlogFile(const UlogDeletion& deletion);

// A duration: a non-negative number with an optional unit s, m (minutes), h
// or d; no unit = seconds ("7d", "12h", "90m", "3600"). nullopt on anything else.
std::optional<double> ParseDuration(std::string_view text);
// Seconds in the largest unit that divides them evenly: 604800 -> "7d".
std::string FormatDuration(double seconds);
// --ulog-retain: comma-separated "age=DURATION" and "size=SIZE" (k m g t p e
// binary suffixes), at least one, e.g. "age=7d,size=10g". InvalidArgument
// saying what is wrong otherwise.
Status ParseRetentionSpec(std::string_view spec, RetentionPolicy* policy);

}  // namespace tt
