// SCAN's cursors: the whole state of each scan in progress lives in the
// server (a table shared by every connection, so a client with a pool of
// connections may take each step on another one), and the number a client
// holds only names it. Each step is given a new number; a number that ended,
// was evicted or never existed is refused, never reinterpreted.
//
// What a scan guarantees (Redis's: a key present from the first step to
// the last is returned at least once; a key may come more than once;
// expired keys never come):
//  - ordered stores (tree databases, `+`/`%`, and --mul of them): each step
//    resumes after the last key the previous step visited, in key order. A
//    key present for the whole scan is returned exactly once, whatever is
//    written or deleted meanwhile.
//  - unordered stores (hash databases, `*`, and --mul of them): a walk in
//    file order (partition after partition) kept open between steps. A
//    record stays where it is unless a write makes it larger (Kyoto Cabinet
//    then moves it, maybe behind the walk), so once the walk has ended the
//    scan goes on through the update log: every key written since the scan
//    began (to the moment the walk ended) is returned again if it is still
//    live and matches. With an update log, a key present for the whole scan
//    is returned at least once, unless an optimize (or a #dfunit
//    defragmentation) rewrote the database meanwhile, --ulog-retain deleted
//    the log files written during the scan, or (on a replication slave) the
//    key was rewritten by replication in the moment before the walk ended
//    (the slave's update log may still hold that record in memory). Without
//    an update log, only keys not rewritten during the scan are guaranteed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "ulog/ulog_reader.h"

namespace tt::resp {

// One scan in progress: everything its next step needs.
struct ScanState {
  uint64_t started_ts = 0;  // Engine::LastTimestamp() when the scan began
  bool ordered = false;     // the store iterates in key order
  // Ordered stores: the last key visited, after which the next step resumes.
  bool visited_any = false;
  std::string last_key;
  // Unordered stores: the walk, open between steps (null once it ended).
  std::unique_ptr<ValueCursor> walk;
  // Unordered stores with an update log, once the walk ended: the records
  // logged since the scan began, up to `walk_ended_ts`.
  std::unique_ptr<UlogReader> written;
  uint64_t walk_ended_ts = 0;
};

// What a SCAN returns of the keys it visits.
struct ScanFilter {
  std::string pattern;  // MATCH; empty with !has_pattern
  bool has_pattern = false;
  bool no_type_matches = false;  // TYPE other than string: no key has it
};

// The scans in progress of one server. Thread-safe.
class ScanTable {
 public:
  // At most `capacity` scans are kept (> 0); keeping one more evicts the
  // one whose last step is the oldest.
  explicit ScanTable(size_t capacity) : capacity_(capacity) {}

  // A new scan over `engine`, positioned before its first key.
  static Status Begin(Engine& engine, std::unique_ptr<ScanState>* state);
  // Takes scan `cursor` out of the table (the caller runs its step and
  // keeps it again under a new number); null if there is no such scan.
  std::unique_ptr<ScanState> Take(uint64_t cursor);
  // Keeps `state` and returns its new number (never 0).
  uint64_t Keep(std::unique_ptr<ScanState> state);
  // How many scans the table holds.
  size_t Size();
  size_t capacity() const { return capacity_; }

 private:
  const size_t capacity_;
  std::mutex mu_;
  uint64_t next_ = 1;                                     // GUARDED_BY(mu_)
  std::map<uint64_t, std::unique_ptr<ScanState>> scans_;  // GUARDED_BY(mu_): by number = age
};

// One step of `state`: visits about `count` (> 0) keys, appending the live
// ones `filter` lets through to *keys, and ends early once those hold
// `max_bytes` (so that a step's reply stays bounded; the next step goes on).
// *done = the scan is over. A failure of the store or the log ends the step
// with its error.
Status ScanStep(Engine& engine, ScanState& state, size_t count, size_t max_bytes,
                const ScanFilter& filter, std::vector<std::string>* keys, bool* done);

}  // namespace tt::resp
