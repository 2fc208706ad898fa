#include "repl/tail/sqlite_sink.h"

#include <sqlite3.h>

#include <vector>

namespace tt {

namespace {

constexpr char kSchema[] =
    "CREATE TABLE IF NOT EXISTS kv (key BLOB PRIMARY KEY, value BLOB NOT NULL, "
    "ts INTEGER NOT NULL, flags INTEGER NOT NULL DEFAULT 0, "
    "expires_at INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE IF NOT EXISTS tttail_checkpoint (source TEXT PRIMARY KEY, "
    "ts INTEGER NOT NULL);";
constexpr char kGet[] = "SELECT value FROM kv WHERE key = ?1";
constexpr char kUpsert[] =
    "INSERT INTO kv (key, value, ts, flags, expires_at) VALUES (?1, ?2, ?3, ?4, ?5) "
    "ON CONFLICT (key) DO UPDATE SET value = excluded.value, ts = excluded.ts, "
    "flags = excluded.flags, expires_at = excluded.expires_at";
constexpr char kDelete[] = "DELETE FROM kv WHERE key = ?1";
constexpr char kLoadCheckpoint[] = "SELECT ts FROM tttail_checkpoint WHERE source = ?1";
constexpr char kSaveCheckpoint[] =
    "INSERT INTO tttail_checkpoint (source, ts) VALUES (?1, ?2) "
    "ON CONFLICT (source) DO UPDATE SET ts = excluded.ts";

// Binds bytes as a BLOB (a key or value may hold any byte).
void BindBlob(sqlite3_stmt* stmt, int index, std::string_view bytes) {
  sqlite3_bind_blob64(stmt, index, bytes.data(), bytes.size(), SQLITE_TRANSIENT);
}

}  // namespace

Status SqliteSink::Open(const std::string& path, std::unique_ptr<SqliteSink>* sink) {
  std::unique_ptr<SqliteSink> opened(new SqliteSink(path));
  const bool open =
      sqlite3_open_v2(path.c_str(), &opened->db_,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                      nullptr) == SQLITE_OK;
  // Another reader or writer holding a lock briefly is waited for.
  if (open) sqlite3_busy_timeout(opened->db_, 10000);
  // The file is first read here (a file that is not a database fails here).
  if (!open || sqlite3_exec(opened->db_, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;",
                            nullptr, nullptr, nullptr) != SQLITE_OK) {
    return Status::IoError(
        "cannot open the SQLite database " + path + " (" +
        (opened->db_ != nullptr ? sqlite3_errmsg(opened->db_) : "out of memory") + "); " +
        CheckDirectoryOf(path) + ", and that " + path +
        ", if it exists, is an SQLite 3 database this user may write");
  }
  *sink = std::move(opened);
  return Status::Ok();
}

SqliteSink::~SqliteSink() {
  for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
  sqlite3_close(db_);  // an open transaction is rolled back
}

Status SqliteSink::Error(const std::string& what) {
  return Status::IoError("SQLite database " + path_ + ": " + what + ": " +
                         (db_ != nullptr ? sqlite3_errmsg(db_) : "out of memory"));
}

Status SqliteSink::Exec(const char* sql) {
  char* message = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &message) == SQLITE_OK) return Status::Ok();
  std::string text = message != nullptr ? message : "unknown error";
  sqlite3_free(message);
  return Status::IoError("SQLite database " + path_ + ": " + text + " (in: " + sql + ")");
}

Status SqliteSink::Statement(const char* sql, sqlite3_stmt** stmt) {
  for (auto& [known, prepared] : statements_) {
    if (known == sql) {
      *stmt = prepared;
      return Status::Ok();
    }
  }
  if (sqlite3_prepare_v2(db_, sql, -1, stmt, nullptr) != SQLITE_OK) {
    return Error(std::string("cannot prepare ") + sql);
  }
  statements_.emplace_back(sql, *stmt);
  return Status::Ok();
}

Status SqliteSink::Run(sqlite3_stmt* stmt) {
  const int rc = sqlite3_step(stmt);
  Status s = rc == SQLITE_DONE || rc == SQLITE_ROW ? Status::Ok() : Error(sqlite3_sql(stmt));
  sqlite3_reset(stmt);
  sqlite3_clear_bindings(stmt);
  return s;
}

Status SqliteSink::Prepare() { return Exec(kSchema); }

Status SqliteSink::LoadCheckpoint(std::string_view source, uint64_t* ts) {
  sqlite3_stmt* stmt = nullptr;
  Status s = Statement(kLoadCheckpoint, &stmt);
  if (!s.ok()) return s;
  sqlite3_bind_text64(stmt, 1, source.data(), source.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  const int rc = sqlite3_step(stmt);
  *ts = rc == SQLITE_ROW ? static_cast<uint64_t>(sqlite3_column_int64(stmt, 0)) : 0;
  s = rc == SQLITE_ROW || rc == SQLITE_DONE ? Status::Ok() : Error("cannot read the checkpoint");
  sqlite3_reset(stmt);
  return s;
}

Status SqliteSink::Begin() { return Exec("BEGIN IMMEDIATE"); }

Status SqliteSink::Get(std::string_view key, std::optional<std::string>* value) {
  sqlite3_stmt* stmt = nullptr;
  Status s = Statement(kGet, &stmt);
  if (!s.ok()) return s;
  BindBlob(stmt, 1, key);
  const int rc = sqlite3_step(stmt);
  value->reset();
  if (rc == SQLITE_ROW) {
    const char* data = static_cast<const char*>(sqlite3_column_blob(stmt, 0));
    value->emplace(data != nullptr ? data : "", sqlite3_column_bytes(stmt, 0));
  }
  s = rc == SQLITE_ROW || rc == SQLITE_DONE ? Status::Ok() : Error(kGet);
  sqlite3_reset(stmt);
  sqlite3_clear_bindings(stmt);
  return s;
}

Status SqliteSink::Upsert(std::string_view key, std::string_view value, uint64_t ts, uint32_t flags,
                          int64_t expires_at) {
  sqlite3_stmt* stmt = nullptr;
  Status s = Statement(kUpsert, &stmt);
  if (!s.ok()) return s;
  BindBlob(stmt, 1, key);
  BindBlob(stmt, 2, value);
  sqlite3_bind_int64(stmt, 3, static_cast<sqlite3_int64>(ts));
  sqlite3_bind_int64(stmt, 4, flags);
  sqlite3_bind_int64(stmt, 5, expires_at);
  return Run(stmt);
}

Status SqliteSink::Delete(std::string_view key) {
  sqlite3_stmt* stmt = nullptr;
  Status s = Statement(kDelete, &stmt);
  if (!s.ok()) return s;
  BindBlob(stmt, 1, key);
  return Run(stmt);
}

Status SqliteSink::DeleteAll() { return Exec("DELETE FROM kv"); }

Status SqliteSink::Commit(std::string_view source, uint64_t ts) {
  // Outside a transaction the checkpoint would commit by itself.
  if (sqlite3_get_autocommit(db_)) {
    return Status::Failed("SQLite database " + path_ + ": no transaction is open to commit");
  }
  sqlite3_stmt* stmt = nullptr;
  Status s = Statement(kSaveCheckpoint, &stmt);
  if (!s.ok()) return s;
  sqlite3_bind_text64(stmt, 1, source.data(), source.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  sqlite3_bind_int64(stmt, 2, static_cast<sqlite3_int64>(ts));
  s = Run(stmt);
  if (!s.ok()) return s;
  return Exec("COMMIT");
}

void SqliteSink::Rollback() {
  if (!sqlite3_get_autocommit(db_)) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
}

}  // namespace tt
