// A slave's replication position: the .rts file (-rts PATH) and the rule that
// no record at or below it is applied twice (ulog-and-replication.md §5).
//
//   rts-file := [decimal-ts] "\n" [anything]      (empty or no digits = 0)
//
// The original overwrites the file in place after every record, without
// fsync; we replace it atomically (common/atomic_file.h) and in batches, but
// only ever with a timestamp whose record has been applied. Records at or
// below the saved timestamp are skipped, so after a crash at most the records
// applied since the last save are applied again.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace tt {

// Parses the file's text as the original does: the leading decimal digits
// (empty, garbage or an overflowing number = 0).
uint64_t ParseRts(std::string_view text);

// Not thread-safe: one replicator owns it.
class RtsFile {
 public:
  explicit RtsFile(std::string path) : path_(std::move(path)) {}

  // Reads the file, creating it empty (0644) when it does not exist, as the
  // original does at every connection attempt. IoError if it cannot be
  // opened or read.
  Status Load();
  // Replaces the position with `ts` and saves it now (setmst with ts > 0).
  Status Reset(uint64_t ts);

  // The skip rule: true when a record with timestamp `ts` has not been
  // applied yet.
  bool Wanted(uint64_t ts) const { return ts > applied_; }
  // Records that the record with timestamp `ts` has been applied.
  // REQUIRES: Wanted(ts).
  void MarkApplied(uint64_t ts) {
    applied_ = ts;
    ++unsaved_;
  }
  // Saves the applied position if it moved since the last save.
  Status Save();

  uint64_t applied() const { return applied_; }
  // Records marked applied since the last successful save.
  uint64_t unsaved() const { return unsaved_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  uint64_t applied_ = 0;
  uint64_t unsaved_ = 0;
};

}  // namespace tt
