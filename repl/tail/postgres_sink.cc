#include "repl/tail/postgres_sink.h"

#include <libpq-fe.h>

#include <algorithm>
#include <cctype>
#include <vector>

#include "common/coding.h"

namespace tt {

namespace {

constexpr char kSchema[] =
    "CREATE TABLE IF NOT EXISTS kv (key bytea PRIMARY KEY, value bytea NOT NULL, "
    "ts bigint NOT NULL, flags bigint NOT NULL DEFAULT 0, "
    "expires_at bigint NOT NULL DEFAULT 0);"
    "CREATE TABLE IF NOT EXISTS tttail_checkpoint (source text PRIMARY KEY, "
    "ts bigint NOT NULL)";

// The statements, prepared once per connection. Integers travel as 8-byte
// big-endian binary parameters.
struct Prepared {
  const char* name;
  const char* sql;
};
constexpr Prepared kStatements[] = {
    {"tttail_get", "SELECT value FROM kv WHERE key = $1::bytea"},
    {"tttail_upsert",
     "INSERT INTO kv (key, value, ts, flags, expires_at) "
     "VALUES ($1::bytea, $2::bytea, $3::bigint, $4::bigint, $5::bigint) "
     "ON CONFLICT (key) DO UPDATE SET value = excluded.value, ts = excluded.ts, "
     "flags = excluded.flags, expires_at = excluded.expires_at"},
    {"tttail_delete", "DELETE FROM kv WHERE key = $1::bytea"},
    {"tttail_load", "SELECT ts FROM tttail_checkpoint WHERE source = $1::text"},
    {"tttail_save",
     "INSERT INTO tttail_checkpoint (source, ts) VALUES ($1::text, $2::bigint) "
     "ON CONFLICT (source) DO UPDATE SET ts = excluded.ts"},
};

std::string BigEndian64(uint64_t n) {
  std::string out;
  PutU64(&out, n);
  return out;
}

// `text` on one line (tttail's errors are one line each).
std::string OneLine(std::string text) {
  for (char& c : text) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  while (!text.empty() && text.back() == ' ') text.pop_back();
  return text;
}

std::string Message(pg_conn* conn) { return OneLine(PQerrorMessage(conn)); }

// The error of `result`: its primary message and detail, without severity,
// context or hint (the hint for a key too long proposes another schema).
std::string ResultMessage(const PGresult* result, pg_conn* conn) {
  const char* primary = PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY);
  if (primary == nullptr) return Message(conn);
  std::string text = primary;
  if (const char* detail = PQresultErrorField(result, PG_DIAG_MESSAGE_DETAIL)) {
    text += std::string(" (") + detail + ")";
  }
  return OneLine(std::move(text));
}

constexpr std::string_view kMask = "***";

// The URI form: postgresql://[user[:password]@]host...[?param=value&...].
std::string UriWithoutPassword(std::string_view uri) {
  std::string out(uri);
  const size_t authority = out.find("://") + 3;
  const size_t authority_end = std::min(out.find_first_of("/?#", authority), out.size());
  const size_t at = out.rfind('@', authority_end);
  if (at != std::string::npos && at >= authority) {
    const size_t colon = out.find(':', authority);
    if (colon < at) out.replace(colon + 1, at - colon - 1, kMask);
  }
  const size_t query = out.find('?');
  for (size_t param = query; param != std::string::npos; param = out.find('&', param + 1)) {
    const size_t name = param + 1;
    const size_t end = std::min(out.find('&', name), out.size());
    if (out.compare(name, 9, "password=") == 0 && name + 9 <= end) {
      out.replace(name + 9, end - name - 9, kMask);
    }
  }
  return out;
}

}  // namespace

std::string ConninfoWithoutPassword(std::string_view conninfo) {
  if (conninfo.starts_with("postgresql://") || conninfo.starts_with("postgres://")) {
    return UriWithoutPassword(conninfo);
  }
  // keyword [ws] = [ws] value, where value is 'quoted' or runs to the next
  // blank; a backslash escapes the next character in either (libpq's rules).
  std::string out;
  size_t i = 0;
  auto blank = [&](size_t at) {
    return at < conninfo.size() && isspace(static_cast<unsigned char>(conninfo[at]));
  };
  while (i < conninfo.size()) {
    const size_t start = i;
    while (blank(i)) ++i;
    const size_t keyword = i;
    while (i < conninfo.size() && conninfo[i] != '=' && !blank(i)) ++i;
    const std::string_view name = conninfo.substr(keyword, i - keyword);
    while (blank(i)) ++i;
    if (i >= conninfo.size() || conninfo[i] != '=') return std::string(conninfo);
    ++i;
    while (blank(i)) ++i;
    out.append(conninfo.substr(start, i - start));
    const size_t value = i;
    const bool quoted = i < conninfo.size() && conninfo[i] == '\'';
    if (quoted) ++i;
    for (; i < conninfo.size(); ++i) {
      if (conninfo[i] == '\\') {
        ++i;
      } else if (quoted ? conninfo[i] == '\'' : blank(i)) {
        break;
      }
    }
    if (quoted) {
      if (i >= conninfo.size()) return std::string(conninfo);
      ++i;
    }
    i = std::min(i, conninfo.size());
    out.append(name == "password" ? kMask : conninfo.substr(value, i - value));
  }
  return out;
}

Status PostgresSink::Open(const std::string& conninfo, std::unique_ptr<PostgresSink>* sink) {
  std::unique_ptr<PostgresSink> opened(new PostgresSink());
  opened->conn_ = PQconnectdb(conninfo.c_str());
  if (opened->conn_ == nullptr || PQstatus(opened->conn_) != CONNECTION_OK) {
    return Status::IoError("cannot connect to PostgreSQL with '" +
                           ConninfoWithoutPassword(conninfo) + "': " + Message(opened->conn_) +
                           "; check the --postgres connection string, that the server runs "
                           "there, and that it lets this user in");
  }
  // NOTICEs ("relation kv already exists, skipping") are not for the user.
  PQsetNoticeProcessor(
      opened->conn_, [](void*, const char*) {}, nullptr);
  *sink = std::move(opened);
  return Status::Ok();
}

PostgresSink::~PostgresSink() { PQfinish(conn_); }  // an open transaction is rolled back

Status PostgresSink::Exec(const char* sql) {
  PGresult* result = PQexec(conn_, sql);
  Status s = TakeResult(result, sql, nullptr);
  PQclear(result);
  return s;
}

Status PostgresSink::Prepare() {
  PGresult* result = PQexec(conn_, kSchema);
  Status s = TakeResult(result, nullptr, nullptr);
  PQclear(result);
  for (const Prepared& statement : kStatements) {
    if (!s.ok()) break;
    result = PQprepare(conn_, statement.name, statement.sql, 0, nullptr);
    s = TakeResult(result, statement.sql, nullptr);
    PQclear(result);
  }
  if (s.ok()) return s;
  return Status::IoError(s.message() +
                         "; the --postgres user needs the right to create tables kv and "
                         "tttail_checkpoint (in the first schema of its search_path), or both "
                         "tables made beforehand as tttail(1) shows under SINKS, and the right "
                         "to read and write them");
}

Status PostgresSink::Run(const char* name, std::initializer_list<std::string_view> params,
                         std::optional<std::string>* first, bool wait) {
  std::vector<const char*> values;
  std::vector<int> lengths;
  std::vector<int> formats;
  for (std::string_view param : params) {
    values.push_back(param.data());
    lengths.push_back(static_cast<int>(param.size()));
    formats.push_back(1);  // binary: bytea as raw bytes, bigint as 8 bytes
  }
  if (in_transaction_) {
    // Pipelined: sent now, its result read with the next Drain.
    if (!PQsendQueryPrepared(conn_, name, static_cast<int>(values.size()), values.data(),
                             lengths.data(), formats.data(), /*resultFormat=*/1)) {
      return Status::IoError("PostgreSQL: cannot send statement " + std::string(name) + ": " +
                             Message(conn_));
    }
    ++pending_;
    if (first != nullptr || wait || pending_ >= kMaxPending) return Drain(first);
    return Status::Ok();
  }
  PGresult* result = PQexecPrepared(conn_, name, static_cast<int>(values.size()), values.data(),
                                    lengths.data(), formats.data(), /*resultFormat=*/1);
  Status s = TakeResult(result, name, first);
  PQclear(result);
  return s;
}

Status PostgresSink::TakeResult(PGresult* result, const char* what,
                                std::optional<std::string>* first) {
  const ExecStatusType status = PQresultStatus(result);
  if (first != nullptr) {
    first->reset();
    if (status == PGRES_TUPLES_OK && PQntuples(result) > 0 && !PQgetisnull(result, 0, 0)) {
      first->emplace(PQgetvalue(result, 0, 0), PQgetlength(result, 0, 0));
    }
  }
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return Status::Ok();
  std::string text = "PostgreSQL: " + ResultMessage(result, conn_);
  if (what != nullptr) text += std::string(" (in ") + what + ")";
  // Class 54, "program limit exceeded": this statement's data, not the
  // database, is at fault.
  const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE);
  if (state != nullptr && std::string_view(state).starts_with("54")) return Status::Failed(text);
  return Status::IoError(text);
}

Status PostgresSink::Drain(std::optional<std::string>* last) {
  if (pending_ == 0) return Status::Ok();
  if (!PQsendFlushRequest(conn_) || PQflush(conn_) != 0) {
    return Status::IoError("PostgreSQL: cannot send: " + Message(conn_));
  }
  Status first_error;
  for (; pending_ > 0; --pending_) {
    PGresult* result = PQgetResult(conn_);
    if (result == nullptr)
      return Status::IoError("PostgreSQL: lost the connection: " + Message(conn_));
    Status s = TakeResult(result, nullptr, pending_ == 1 ? last : nullptr);
    PQclear(result);
    while ((result = PQgetResult(conn_)) != nullptr) PQclear(result);  // the end of this query
    if (first_error.ok() && !s.ok()) first_error = s;
  }
  return first_error;
}

Status PostgresSink::Sync() {
  if (PQpipelineSync(conn_) != 1)
    return Status::IoError("PostgreSQL: cannot sync: " + Message(conn_));
  Status first_error = Drain(nullptr);
  // The sync's own result ends what the pipeline held.
  for (;;) {
    PGresult* result = PQgetResult(conn_);
    if (result == nullptr) {
      if (PQstatus(conn_) != CONNECTION_OK) {
        return Status::IoError("PostgreSQL: lost the connection: " + Message(conn_));
      }
      continue;  // the end of a statement's results
    }
    const ExecStatusType status = PQresultStatus(result);
    PQclear(result);
    if (status == PGRES_PIPELINE_SYNC) break;
  }
  return first_error;
}

Status PostgresSink::LoadCheckpoint(std::string_view source, uint64_t* ts) {
  std::optional<std::string> bytes;
  Status s = Run("tttail_load", {source}, &bytes);
  *ts = bytes && bytes->size() == 8 ? DecodeU64(bytes->data()) : 0;
  return s;
}

Status PostgresSink::Begin() {
  if (PQenterPipelineMode(conn_) != 1) {
    return Status::IoError("PostgreSQL: cannot enter pipeline mode: " + Message(conn_));
  }
  in_transaction_ = true;
  return RunText("BEGIN");
}

Status PostgresSink::RunText(const char* sql) {
  if (!in_transaction_) return Exec(sql);
  if (!PQsendQueryParams(conn_, sql, 0, nullptr, nullptr, nullptr, nullptr, 0)) {
    return Status::IoError("PostgreSQL: cannot send " + std::string(sql) + ": " + Message(conn_));
  }
  ++pending_;
  return Status::Ok();
}

Status PostgresSink::Get(std::string_view key, std::optional<std::string>* value) {
  return Run("tttail_get", {key}, value);
}

Status PostgresSink::Upsert(std::string_view key, std::string_view value, uint64_t ts,
                            uint32_t flags, int64_t expires_at) {
  // A key that may not fit an index entry is waited for, so that its
  // failure is this record's and not a later statement's.
  const bool long_key = key.size() > kLongKeyBytes;
  Status s = Run("tttail_upsert",
                 {key, value, BigEndian64(ts), BigEndian64(flags),
                  BigEndian64(static_cast<uint64_t>(expires_at))},
                 nullptr, long_key);
  if (long_key && s.code() == Status::Code::kFailed) {
    return Status::Failed("PostgreSQL cannot index keys that long: this key has " +
                          std::to_string(key.size()) +
                          " bytes, and the primary key of table kv (a btree) takes entries of "
                          "about 2700 bytes at most, after compression [" +
                          s.message() + "]");
  }
  return s;
}

Status PostgresSink::Delete(std::string_view key) { return Run("tttail_delete", {key}); }

Status PostgresSink::DeleteAll() { return RunText("DELETE FROM kv"); }

Status PostgresSink::Commit(std::string_view source, uint64_t ts) {
  // Outside a transaction the checkpoint would commit by itself.
  if (!in_transaction_) return Status::Failed("PostgreSQL: no transaction is open to commit");
  Status s = Run("tttail_save", {source, BigEndian64(ts)});
  if (s.ok()) s = RunText("COMMIT");
  Status synced = Sync();
  if (s.ok()) s = synced;
  EndPipeline();
  return s;
}

void PostgresSink::Rollback() {
  if (!in_transaction_) return;
  // After an error the server skips every statement up to the next sync
  // point, a ROLLBACK too, and then leaves the transaction open (aborted):
  // the ROLLBACK follows a sync of its own.
  Sync();
  RunText("ROLLBACK");
  Sync();
  EndPipeline();
}

void PostgresSink::EndPipeline() {
  PQexitPipelineMode(conn_);
  in_transaction_ = false;
  pending_ = 0;
}

}  // namespace tt
