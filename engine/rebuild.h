// Rebuilding the database from its update log, which is the authority
// (design.md §2): the log directory keeps a base snapshot (ulog/base_file.h)
// and every record after it, so a partition whose files were lost or found
// damaged at start-up is emptied (a new file) and refilled from them, and an
// in-memory database comes back whole after a restart.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "engine/engine.h"
#include "partition/store.h"
#include "ulog/base_file.h"

namespace tt {

// What OpenStoreOrMoveAsideDamage found of the partitions it opened.
struct OpenedPartitions {
  // Hold nothing: created now, moved aside as damaged, or in memory.
  std::vector<uint32_t> fresh;
  // Were not closed properly, and Kyoto Cabinet repaired them (which may
  // drop records it cannot read).
  std::vector<uint32_t> unclean;
};

// Opens the store of `options` for a server whose update log is in
// `ulog_dir` ("" = none). A partition that Kyoto Cabinet finds damaged is
// moved aside (MoveAsideDamaged) and created anew when the log can rebuild
// it (FindLogGapAfterBase finds no gap); otherwise the open fails with
// Corruption naming the file and what to do. *opened says which partitions
// need their values put back (RebuildPartitions).
Status OpenStoreOrMoveAsideDamage(const StoreOptions& options, const std::string& ulog_dir,
                                  std::unique_ptr<Store>* store, OpenedPartitions* opened);

// Writes a new base of the engine's update log from a snapshot of the
// database (Engine::ReadSnapshot) and makes it the base atomically. Writes
// go on meanwhile. REQUIRES: engine.ulog() != nullptr.
Status WriteBase(Engine& engine, BaseInfo* info);

// What RebuildPartitions applied.
struct RebuildCount {
  uint64_t base_values = 0;  // values of the base put back
  uint64_t log_records = 0;  // log records after the base re-applied
};

// Puts back into the store's partitions `partitions` the values of the base
// and then every record of the update log after it, without logging them
// again: values keep their versions, and every key the base or the log
// mentions ends as the log says (a partition that held nothing ends exactly
// as the log says). Records of keys in other partitions are passed over; a
// vanish empties only these partitions. Without a base the whole log is
// applied. Corruption when the base or the log cannot be read; call
// FindLogGapAfterBase first.
// REQUIRES: engine.ulog() != nullptr; nothing else writes meanwhile.
Status RebuildPartitions(Engine& engine, const std::vector<uint32_t>& partitions,
                         RebuildCount* count);

}  // namespace tt
