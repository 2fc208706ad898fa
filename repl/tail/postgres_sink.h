// The Sink of a PostgreSQL database (Debian's libpq): keys and values as
// bytea, sent and read in binary form; each batch is one transaction, whose
// statements are pipelined (libpq pipeline mode): sent without waiting for
// each result, which are read every kMaxPending statements, for a Get, and
// at Commit.
#pragma once

#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>

#include "repl/tail/tail_sink.h"

struct pg_conn;
struct pg_result;

namespace tt {

// `conninfo` (key=value pairs or a postgresql:// URI) as errors may show
// it: every password value (password=..., or the URI's user:password@) is
// replaced by ***. What does not parse is left as it is.
std::string ConninfoWithoutPassword(std::string_view conninfo);

class PostgresSink : public Sink {
 public:
  // Connects with the libpq connection string `conninfo` (e.g.
  // "host=127.0.0.1 port=5432 user=me dbname=app"). IoError with libpq's
  // message and `conninfo` without its password on failure.
  static Status Open(const std::string& conninfo, std::unique_ptr<PostgresSink>* sink);
  ~PostgresSink() override;

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
  PostgresSink() = default;
  // Results read at once at the latest: bounds what waits in the socket
  // buffers, so that neither side blocks writing while the other does too.
  static constexpr int kMaxPending = 256;
  // Keys longer than this may exceed what a btree index entry holds (about
  // 2700 bytes after compression); their upserts are waited for.
  static constexpr size_t kLongKeyBytes = 2000;

  // Runs the prepared statement `name` with binary parameters; the first
  // column of the first row (binary) into *first when it is not null. In a
  // transaction it is pipelined, and an error may show at a later call,
  // unless `wait` (or `first`) asks to read its result now.
  Status Run(const char* name, std::initializer_list<std::string_view> params,
             std::optional<std::string>* first = nullptr, bool wait = false);
  // Runs `sql` without parameters (pipelined in a transaction).
  Status RunText(const char* sql);
  // Runs `sql` outside a transaction and waits for it.
  Status Exec(const char* sql);
  // Ok for a successful result; fills *first as Run says. The error names
  // the statement `what` unless it is null. Failed for an
  // error of class 54 (a limit the statement's data exceeds, such as an
  // index entry's size), else IoError.
  Status TakeResult(pg_result* result, const char* what, std::optional<std::string>* first);
  // Reads the results of the pending statements, the last one's first column
  // into *last; the first error among them.
  Status Drain(std::optional<std::string>* last);
  // Ends the pipeline's batch (a sync point) and reads everything up to it.
  Status Sync();
  void EndPipeline();

  pg_conn* conn_ = nullptr;
  bool in_transaction_ = false;  // and so in pipeline mode
  int pending_ = 0;              // statements sent whose results are not read
};

}  // namespace tt
