// The Sink of an SQLite database file (Debian's libsqlite3), in WAL mode with
// synchronous=FULL, so a committed batch survives a crash of tttail and a
// power loss, and readers can query the tables while tttail writes.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "repl/tail/tail_sink.h"

struct sqlite3;
struct sqlite3_stmt;

namespace tt {

class SqliteSink : public Sink {
 public:
  // Opens (creating if needed) the database file `path`. IoError naming the
  // file and SQLite's message on failure.
  static Status Open(const std::string& path, std::unique_ptr<SqliteSink>* sink);
  ~SqliteSink() override;

  Status Prepare() override;
  Status LoadCheckpoint(std::string_view source, uint64_t* ts) override;
  Status Begin() override;
  Status Get(std::string_view key, std::optional<std::string>* value) override;
  Status Upsert(std::string_view key, std::string_view value, uint64_t ts, uint32_t flags,
                int64_t expires_at) override;
  Status Delete(std::string_view key) override;
  Status DeleteAll() override;
  Status Commit(std::string_view source, uint64_t ts) override;
  void Rollback() override;

 private:
  explicit SqliteSink(std::string path) : path_(std::move(path)) {}
  // Runs `sql` (no parameters, no rows).
  Status Exec(const char* sql);
  // The prepared statement of `sql`, compiled on first use and kept.
  Status Statement(const char* sql, sqlite3_stmt** stmt);
  // Steps a statement with bound parameters to completion and resets it.
  Status Run(sqlite3_stmt* stmt);
  Status Error(const std::string& what);

  std::string path_;
  sqlite3* db_ = nullptr;
  std::vector<std::pair<const char*, sqlite3_stmt*>> statements_;
};

}  // namespace tt
