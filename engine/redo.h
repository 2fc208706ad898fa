// Replaying update-log records through the Engine (ulog-and-replication.md
// §3.1): used by the restore command and by the replication slave.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "engine/engine.h"
#include "ulog/record.h"

namespace tt {

// Applies `record` through the Engine's write path, logged with the record's
// sid and `mid`. *consistent is false when the local outcome differs from the
// result byte stored in the record, unless the state it leaves is the one the
// record describes: an out that finds no key, a putkeep that finds its own
// value (a record applied again after a slave's restart). Only "expected
// success, got an error" counts for addint and adddouble. Corruption or
// Unsupported for a body that cannot be applied; other errors are this
// server's (I/O).
// `deferred_log`: see Origin::deferred_log.
Status ApplyRecord(Engine& engine, const UlogRecord& record, uint16_t mid, bool* consistent,
                   bool deferred_log = false);

// Replays the log directory `dir` from timestamp `ts` on (inclusive),
// through the write path (each record is logged again with a new timestamp).
// `dir` must not be the server's own update log (Failed: the replay would
// feed on its own records forever). With
// `check_consistency`, stops with Failed at the first inconsistent record.
// *applied counts the records applied.
Status RestoreFromLog(Engine& engine, const std::string& dir, uint64_t ts, bool check_consistency,
                      uint64_t* applied);

// Reads the update log in `dir` from the first record after `after_ts` to its
// end and gives each record to `apply`. `pass` names the caller in messages
// ("recovery", "rebuild"). A record `apply` answers Unsupported for (a kind
// of record that is not one of our effects: a log imported from the
// original) is passed over with a log line; another failure of `apply`, or a
// log that cannot be read further, ends the pass with an error that names
// the record and says what to do.
Status ReplayOwnLog(const std::string& dir, uint64_t after_ts, std::string_view pass,
                    const std::function<Status(const UlogRecord& record)>& apply);

// Start-up recovery: re-applies to the store every record of the engine's own
// update log after its checkpoint (ulog/checkpoint.h), without logging them
// again, so that writes acknowledged before a crash are in the database even
// if its files missed them. Records of other kinds than our effects are
// skipped with a log line. *applied counts the records re-applied. No-op
// without an update log.
Status RecoverFromLog(Engine& engine, uint64_t* applied);

}  // namespace tt
