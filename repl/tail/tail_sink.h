// A database that tttail applies a replication stream to, and the meaning of
// every record kind there. The schema every sink keeps (SQL types vary):
//
//   kv(key BLOB PRIMARY KEY, value BLOB NOT NULL, ts BIGINT NOT NULL,
//      flags BIGINT NOT NULL, expires_at BIGINT NOT NULL)
//   tttail_checkpoint(source TEXT PRIMARY KEY, ts BIGINT NOT NULL)
//
// ts = timestamp of the record that wrote the row; flags / expires_at = the
// memcached metadata of a putmeta record (0 otherwise; expires_at in UNIX
// seconds, 0 = never). The checkpoint row of a source is written in the same
// transaction as the changes of the records up to its ts, so each record
// takes effect exactly once even if tttail is killed at any moment.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "ulog/record.h"

namespace tt {

// One sink connection. Not thread-safe. Every data call requires an open
// transaction (Begin); nothing is visible to others or durable before Commit.
class Sink {
 public:
  virtual ~Sink() = default;

  // Creates the two tables if they are missing. Called once, first.
  virtual Status Prepare() = 0;
  // The checkpoint of `source` (0 when it has none).
  virtual Status LoadCheckpoint(std::string_view source, uint64_t* ts) = 0;
  virtual Status Begin() = 0;
  // The value stored under `key` (nullopt when there is none).
  virtual Status Get(std::string_view key, std::optional<std::string>* value) = 0;
  // Inserts or replaces the row of `key`.
  virtual Status Upsert(std::string_view key, std::string_view value, uint64_t ts, uint32_t flags,
                        int64_t expires_at) = 0;
  // Deletes the row of `key` if there is one.
  virtual Status Delete(std::string_view key) = 0;
  // Deletes every row of kv.
  virtual Status DeleteAll() = 0;
  // Sets the checkpoint of `source` to `ts` and commits the transaction.
  // Failed, writing nothing, when no transaction is open. On any failure
  // nothing of the transaction is committed; it may still be open (Rollback).
  virtual Status Commit(std::string_view source, uint64_t ts) = 0;
  // Abandons the open transaction, if any.
  virtual void Rollback() = 0;
};

// Applies the effect of `record` through `sink` (REQUIRES: a transaction
// is open). Records our ttserver writes are effects (put, putmeta, out,
// vanish, misc putlist/outlist); the command records of an original master
// (putkeep, putcat, putshl, addint, adddouble, misc out and misc
// put/putkeep/putcat of a key and a value) are computed from the row's
// current value inside the transaction, with the original's semantics.
// A record that failed on its origin (result byte 01) changes nothing,
// except addint and adddouble, which the original logs with 01 also when it
// stored a sum of INT_MIN or NaN, and re-executes either way; sync, optimize
// and read-only misc functions change nothing.
// Failed (naming the key and the reason) when the row cannot take a command
// record the origin accepted (addint on a value that is not 4 bytes);
// Unsupported for a misc function or record kind whose effect is unknown (a
// misc put with other than two arguments: a table database's); Corruption
// for a body that does not parse.
Status ApplyRecordToSink(const UlogRecord& record, Sink* sink);

// For an error about a file at `path` that cannot be created or written:
// "check that directory D exists and that this user may create and write
// files in it".
std::string CheckDirectoryOf(const std::string& path);

}  // namespace tt
