// A slave's replication position: the .rts file (-rts PATH) and the rule that
// no record at or below it is applied twice (ulog-and-replication.md §5).
//
//   rts-file := [decimal-ts] "\n" [anything]      (empty or no digits = 0)
//
// The original overwrites the file in place after every record, without
// fsync; we save it in batches, only ever with a timestamp whose record has
// been applied: overwritten in place (one pwrite) against a process crash,
// replaced atomically (common/atomic_file.h) against a power loss, as the
// data it covers is synchronised or not (see the constructor). A session asks
// its master for the records after the saved timestamp, so after a crash at
// most the records applied since the last save are applied again.
//
// Ours also keeps PATH.pending, rewritten in place (one pwrite) before each
// record whose application is not idempotent, and PATH.bootstrap while a
// snapshot bootstrap is under way (repl/replicator.h).
//
//   pending-file := "tt-pending " length "\n" note     (note: length bytes)
//   note         := applied SP ts SP version SP spaced-hex-key "\n"
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/atomic_file.h"
#include "common/status.h"

namespace tt {

// A record whose application is not idempotent (an original master's
// addint, adddouble, putcat or putshl: commands, not effects), noted before
// it is applied so that a restart after a crash can tell whether it was:
// every record up to `applied` was applied before it, and the key's value
// had version `version_before` (0 = absent); any other version afterwards
// means it was applied.
struct PendingRecord {
  uint64_t applied = 0;
  uint64_t ts = 0;
  uint64_t version_before = 0;
  std::string key;
};

// The note's text, and its parse (false when `text` is not a whole note).
std::string FormatPending(const PendingRecord& pending);
bool ParsePending(std::string_view text, PendingRecord* pending);

// Parses the file's text as the original does: the leading decimal digits
// (empty, garbage or an overflowing number = 0).
uint64_t ParseRts(std::string_view text);
// Whether `text` is empty or begins with a decimal number that fits 64 bits
// (what RtsFile::Load accepts).
bool HoldsRts(std::string_view text);

// Not thread-safe: one replicator owns it.
class RtsFile {
 public:
  // Saves, notes and markers are made to survive `durability`: a position
  // must not outlive, in a power loss, the data it says was applied (the
  // slave's own update log, as durable as its --ulog-sync).
  explicit RtsFile(std::string path,
                   FileDurability durability = FileDurability::kPowerLoss)
      : path_(std::move(path)), durability_(durability) {}
  ~RtsFile();
  RtsFile(const RtsFile&) = delete;
  RtsFile& operator=(const RtsFile&) = delete;

  // Reads the file, creating it empty (0644) when it does not exist, as the
  // original does at every connection attempt, and our pending note and
  // bootstrap marker. An empty file is position 0. IoError if it cannot be
  // opened or read; Corruption, naming the file and what to do, if it holds
  // something other than a timestamp (the original would read 0 and apply
  // its master's whole log again, which an original master's addint and
  // putcat commands do not survive).
  Status Load();
  // Replaces the position with `ts` and saves it now (setmst with ts > 0,
  // the end of a bootstrap); forgets a pending note and the bootstrap marker.
  Status Reset(uint64_t ts);

  // Records that the record with timestamp `ts` has been applied. The
  // position is the newest timestamp applied: an original master's
  // timestamps may repeat or go back (its clock), and a session asks for
  // what follows the position, so the position never goes back.
  void MarkApplied(uint64_t ts) {
    applied_ = std::max(applied_, ts);
    ++unsaved_;
  }
  // Takes the position back to `ts` (the records after it are to be applied
  // again). REQUIRES: saved() <= ts <= applied().
  void Rewind(uint64_t ts) {
    applied_ = ts;
    unsaved_ = ts > saved_ ? 1 : 0;
  }
  // Saves the applied position if it moved since the last save.
  Status Save();

  uint64_t applied() const { return applied_; }
  // The position last written to the file.
  uint64_t saved() const { return saved_; }

  // Notes `pending` (with `applied` = applied()) before its record is
  // applied: one in-place write, plus a data sync with kPowerLoss.
  Status NotePending(PendingRecord pending);
  // The note Load() found, if it is above the position it read.
  const std::optional<PendingRecord>& pending() const { return pending_; }

  // The bootstrap marker: set (atomically) when a snapshot begins, cleared
  // by Reset. A slave that finds it set after a restart has partial data.
  Status MarkBootstrapping();
  bool bootstrapping() const { return bootstrapping_; }
  // Records marked applied since the last successful save.
  uint64_t unsaved() const { return unsaved_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  FileDurability durability_;
  uint64_t applied_ = 0;
  uint64_t saved_ = 0;
  uint64_t unsaved_ = 0;
  // Save() against a process crash: `text` over the file's start, one write.
  Status OverwriteInPlace(const std::string& text);

  std::optional<PendingRecord> pending_;
  int pending_fd_ = -1;   // PATH.pending, opened at the first note
  int position_fd_ = -1;  // PATH, opened at the first in-place save
  size_t written_size_ = 0;
  bool bootstrapping_ = false;
};

}  // namespace tt
