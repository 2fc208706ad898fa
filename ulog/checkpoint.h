// The recovery checkpoint of an update-log directory:
//
//   DIR/ttserver.checkpoint := decimal-ts "\n"
//
// Every record of the log with a timestamp <= ts is in the database files:
// the server writes it after synchronizing the database (clean shutdown, the
// sync command). After a crash, the records after it are re-applied to the
// database (they are effects, so re-applying one that did reach the files is
// harmless). The name does not end in ".ulog", so the original's tools and
// ours ignore the file.
#pragma once

#include <cstdint>
#include <string>

#include "common/status.h"

namespace tt {

// DIR/ttserver.checkpoint. Its modification time is when the database was
// last synchronized with the log (SAVE's LASTSAVE).
std::string CheckpointPath(const std::string& dir);
// Replaces the checkpoint atomically (temporary file, fsync, rename).
Status WriteCheckpoint(const std::string& dir, uint64_t ts);
// *ts = the checkpoint, or 0 when there is none yet. Corruption if the file
// holds something other than a number.
Status ReadCheckpoint(const std::string& dir, uint64_t* ts);

}  // namespace tt
