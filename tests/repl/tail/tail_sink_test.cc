// Applying a stream to SQLite (repl/tail/tail_sink.h, repl/tail/sqlite_sink.h,
// repl/tail/tail_output.h): each record kind's effect, the original's command
// records computed in the transaction, refusals, and the checkpoint that
// commits together with the changes (exactly once across a crash).
#include "repl/tail/tail_sink.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>

#include "repl/tail/postgres_sink.h"
#include "repl/tail/sqlite_sink.h"
#include "repl/tail/tail_output.h"
#include "tests/repl/tail/sink_semantics.h"
#include "tests/repl/tail/tail_test_bodies.h"
#include "tests/support/temp_dir.h"

namespace tt::testing {
namespace {

class TailSinkTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }

  void Reopen() {
    sink_.reset();
    ASSERT_TRUE(SqliteSink::Open(dir_.Join("tail.sqlite"), &sink_).ok());
    ASSERT_TRUE(sink_->Prepare().ok());
  }

  std::string Value(std::string_view key) { return SinkValue(sink_.get(), key); }

  uint64_t Checkpoint() {
    uint64_t ts = 0;
    EXPECT_TRUE(sink_->LoadCheckpoint("test", &ts).ok());
    return ts;
  }

  TempDir dir_;
  std::unique_ptr<SqliteSink> sink_;
};

TEST_F(TailSinkTest, EveryRecordKindHasItsEffect) { ExpectSinkSemantics(sink_.get()); }

TEST_F(TailSinkTest, CheckpointCommitsWithTheChangesAndNothingElse) {
  {
    std::unique_ptr<TailOutput> output = NewSinkOutput(std::move(sink_), "test");
    uint64_t position = 1;
    ASSERT_TRUE(output->LoadPosition(&position).ok());
    EXPECT_EQ(position, 0u);
    ASSERT_TRUE(output->Deliver(Record(10, PutBody("a", "1")), 1).ok());
    ASSERT_TRUE(
        output->Deliver(Record(11, Logged(requests::KeyValue(kCmdPutCat, "c", "x"))), 1).ok());
    ASSERT_TRUE(output->Flush().ok());
    // Delivered, not flushed: lost with the process, checkpoint included.
    ASSERT_TRUE(output->Deliver(Record(12, PutBody("b", "2")), 1).ok());
  }
  Reopen();
  EXPECT_EQ(Checkpoint(), 11u);
  EXPECT_EQ(Value("a"), "1");
  EXPECT_EQ(Value("b"), "<none>");
  // The master resends what follows the checkpoint; an original master may
  // repeat a timestamp, and both records take effect.
  std::unique_ptr<TailOutput> output = NewSinkOutput(std::move(sink_), "test");
  uint64_t position = 0;
  ASSERT_TRUE(output->LoadPosition(&position).ok());
  EXPECT_EQ(position, 11u);
  ASSERT_TRUE(output->Deliver(Record(12, PutBody("b", "2")), 1).ok());
  ASSERT_TRUE(
      output->Deliver(Record(12, Logged(requests::KeyValue(kCmdPutCat, "c", "y"))), 1).ok());
  ASSERT_TRUE(output->Flush().ok());
  output.reset();
  Reopen();
  EXPECT_EQ(Checkpoint(), 12u);
  EXPECT_EQ(Value("c"), "xy");
  EXPECT_EQ(Value("b"), "2");
}

TEST_F(TailSinkTest, ChangesAreNotCommittedWithoutTheirCheckpoint) {
  // Another connection makes every write of the checkpoint fail.
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(dir_.Join("tail.sqlite").c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other,
                         "CREATE TRIGGER no_insert BEFORE INSERT ON tttail_checkpoint "
                         "BEGIN SELECT RAISE(ABORT, 'injected'); END;"
                         "CREATE TRIGGER no_update BEFORE UPDATE ON tttail_checkpoint "
                         "BEGIN SELECT RAISE(ABORT, 'injected'); END;",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(other);
  {
    std::unique_ptr<TailOutput> output = NewSinkOutput(std::move(sink_), "test");
    uint64_t position = 0;
    ASSERT_TRUE(output->LoadPosition(&position).ok());
    ASSERT_TRUE(output->Deliver(Record(1, PutBody("a", "1")), 1).ok());
    Status s = output->Flush();
    EXPECT_NE(s.message().find("injected"), std::string::npos) << s.ToString();
  }
  Reopen();
  EXPECT_EQ(Value("a"), "<none>");
}

// A sink whose first Commit fails as a refused COMMIT does: the database
// rolls the transaction back.
class CommitFailsOnce : public Sink {
 public:
  explicit CommitFailsOnce(std::unique_ptr<Sink> sink) : sink_(std::move(sink)) {}
  Status Prepare() override { return sink_->Prepare(); }
  Status LoadCheckpoint(std::string_view source, uint64_t* ts) override {
    return sink_->LoadCheckpoint(source, ts);
  }
  Status Begin() override { return sink_->Begin(); }
  Status Get(std::string_view key, std::optional<std::string>* value) override {
    return sink_->Get(key, value);
  }
  Status Upsert(std::string_view key, std::string_view value, uint64_t ts, uint32_t flags,
                int64_t expires_at) override {
    return sink_->Upsert(key, value, ts, flags, expires_at);
  }
  Status Delete(std::string_view key) override { return sink_->Delete(key); }
  Status DeleteAll() override { return sink_->DeleteAll(); }
  Status Commit(std::string_view source, uint64_t ts) override {
    if (++commits_ > 1) return sink_->Commit(source, ts);
    sink_->Rollback();
    return Status::IoError("injected: COMMIT refused");
  }
  void Rollback() override { sink_->Rollback(); }

  int commits_ = 0;

 private:
  std::unique_ptr<Sink> sink_;
};

TEST_F(TailSinkTest, AFailedCommitLeavesTheCheckpointAndIsNeverRetried) {
  auto failing = std::make_unique<CommitFailsOnce>(std::move(sink_));
  CommitFailsOnce* sink = failing.get();
  {
    std::unique_ptr<TailOutput> output = NewSinkOutput(std::move(failing), "test");
    uint64_t position = 0;
    ASSERT_TRUE(output->LoadPosition(&position).ok());
    ASSERT_TRUE(output->Deliver(Record(7, PutBody("a", "1")), 1).ok());
    const Status s = output->Flush();
    EXPECT_NE(s.message().find("injected: COMMIT refused"), std::string::npos) << s.ToString();
    // Says what became of the batch.
    EXPECT_NE(s.message().find("checkpoint stays at 0"), std::string::npos) << s.ToString();
    EXPECT_EQ(output->unflushed(), 0u);
    // The first error stays the answer; nothing reaches the sink any more.
    EXPECT_EQ(output->Flush().message(), s.message());
    EXPECT_EQ(output->Deliver(Record(8, PutBody("b", "2")), 1).message(), s.message());
    EXPECT_EQ(sink->commits_, 1);
  }
  Reopen();
  EXPECT_EQ(Checkpoint(), 0u);
  EXPECT_EQ(Value("a"), "<none>");
}

// The records of the batch before it are committed with their checkpoint,
// so that setting the checkpoint to the failed record's timestamp skips
// that record alone.
TEST_F(TailSinkTest, ARecordThatCannotBeAppliedStopsAfterTheRecordsBeforeIt) {
  std::unique_ptr<TailOutput> output = NewSinkOutput(std::move(sink_), "test");
  uint64_t position = 0;
  ASSERT_TRUE(output->LoadPosition(&position).ok());
  ASSERT_TRUE(output->Deliver(Record(1, PutBody("n", "not a number")), 1).ok());
  ASSERT_TRUE(output->Deliver(Record(2, PutBody("other", "v")), 1).ok());
  Status s = output->Deliver(Record(3, Logged(requests::AddInt("n", 1))), 1);
  EXPECT_EQ(s.code(), Status::Code::kFailed);
  // Says which record, why, and how to get past it.
  EXPECT_NE(s.message().find("timestamp 3: "), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("setting ts to 3 in the tttail_checkpoint row 'test'"),
            std::string::npos)
      << s.message();
  EXPECT_EQ(output->unflushed(), 0u);
  // Nothing after the failed record is taken, nor committed.
  EXPECT_EQ(output->Deliver(Record(4, PutBody("m", "1")), 1).message(), s.message());
  EXPECT_EQ(output->Flush().message(), s.message());
  output.reset();
  Reopen();
  EXPECT_EQ(Checkpoint(), 2u);
  EXPECT_EQ(Value("n"), "not a number");
  EXPECT_EQ(Value("other"), "v");
  EXPECT_EQ(Value("m"), "<none>");
}

// An original master's clock stepped back: the failed record's timestamp is
// not after the checkpoint, which therefore cannot skip it.
TEST_F(TailSinkTest, AFailedRecordAtOrBeforeTheCheckpointCannotBeSkippedByIt) {
  std::unique_ptr<TailOutput> output = NewSinkOutput(std::move(sink_), "test");
  uint64_t position = 0;
  ASSERT_TRUE(output->LoadPosition(&position).ok());
  ASSERT_TRUE(output->Deliver(Record(10, PutBody("n", "not a number")), 1).ok());
  Status s = output->Deliver(Record(5, Logged(requests::AddInt("n", 1))), 1);
  EXPECT_EQ(s.code(), Status::Code::kFailed);
  EXPECT_EQ(s.message().find("setting ts to"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("fix the table"), std::string::npos) << s.message();
  output.reset();
  Reopen();
  EXPECT_EQ(Checkpoint(), 10u);
}

TEST_F(TailSinkTest, OpenFailureSaysWhatToCheck) {
  std::unique_ptr<SqliteSink> sink;
  Status s = SqliteSink::Open(dir_.Join("missing/tail.sqlite"), &sink);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("cannot open the SQLite database " + dir_.Join("missing/tail.sqlite")),
            std::string::npos)
      << s.message();
  EXPECT_NE(s.message().find("check that directory " + dir_.Join("missing") + " exists"),
            std::string::npos)
      << s.message();
  // A file that is not a database.
  ASSERT_EQ(system(("echo 'not a database, but long enough for SQLite to look at its header "
                    "and find no magic string there' > " +
                    dir_.Join("text.sqlite"))
                       .c_str()),
            0);
  s = SqliteSink::Open(dir_.Join("text.sqlite"), &sink);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("is an SQLite 3 database"), std::string::npos) << s.message();
}

// Standard output with a checkpoint file.
class TailStdoutOutputTest : public ::testing::Test {
 protected:
  // Runs `op` with standard output (the lines it writes or flushes) going to
  // /dev/null; gtest's own output stays.
  static Status Quietly(const std::function<Status()>& op) {
    fflush(stdout);
    const int saved = dup(STDOUT_FILENO);
    const int null = open("/dev/null", O_WRONLY);
    dup2(null, STDOUT_FILENO);
    close(null);
    Status s = op();
    fflush(stdout);
    dup2(saved, STDOUT_FILENO);
    close(saved);
    return s;
  }
  Status Deliver(TailOutput* output, uint64_t ts) {
    return Quietly([&] { return output->Deliver(Record(ts, PutBody("k", "v")), 1); });
  }
  Status Flush(TailOutput* output) {
    return Quietly([&] { return output->Flush(); });
  }

  TempDir dir_;
};

TEST_F(TailStdoutOutputTest, AFailedCheckpointSaveIsNeverForgotten) {
  const std::string path = dir_.Join("tail.ts");
  std::unique_ptr<TailOutput> output =
      NewStdoutOutput(TailFormat::kJson, TailEncoding::kText, path);
  uint64_t position = 1;
  ASSERT_TRUE(output->LoadPosition(&position).ok());
  ASSERT_TRUE(Deliver(output.get(), 5).ok());
  ASSERT_TRUE(Flush(output.get()).ok());
  // The atomic replacement writes PATH.tmp first: a directory there fails it.
  ASSERT_EQ(mkdir((path + ".tmp").c_str(), 0755), 0);
  ASSERT_TRUE(Deliver(output.get(), 6).ok());
  const Status s = Flush(output.get());
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("cannot save tttail's checkpoint file " + path), std::string::npos)
      << s.message();
  // A later flush (at SIGTERM, say) must not report success.
  EXPECT_EQ(Flush(output.get()).message(), s.message());
  EXPECT_EQ(Deliver(output.get(), 7).message(), s.message());
  rmdir((path + ".tmp").c_str());
  EXPECT_EQ(Flush(output.get()).message(), s.message());
  std::ifstream in(path);
  std::string saved;
  std::getline(in, saved);
  EXPECT_EQ(saved, "5");
}

TEST_F(TailStdoutOutputTest, CheckpointFileThatCannotBeCreatedSaysWhatToCheck) {
  const std::string path = dir_.Join("missing/tail.ts");
  std::unique_ptr<TailOutput> output =
      NewStdoutOutput(TailFormat::kJson, TailEncoding::kText, path);
  uint64_t position = 0;
  const Status s = output->LoadPosition(&position);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("tttail's checkpoint file " + path + " (--checkpoint)"),
            std::string::npos)
      << s.message();
  EXPECT_NE(s.message().find("check that directory " + dir_.Join("missing") + " exists"),
            std::string::npos)
      << s.message();
  EXPECT_EQ(s.message().find("replication timestamp file"), std::string::npos) << s.message();
}

TEST(PostgresSinkConninfoTest, PasswordsAreMaskedInBothForms) {
  EXPECT_EQ(ConninfoWithoutPassword("host=h password=secret dbname=app"),
            "host=h password=*** dbname=app");
  EXPECT_EQ(ConninfoWithoutPassword("password = 'se cr\\'et' user=u"), "password = *** user=u");
  EXPECT_EQ(ConninfoWithoutPassword("passfile=/p password=a\\ b"), "passfile=/p password=***");
  EXPECT_EQ(ConninfoWithoutPassword("host=h dbname=app"), "host=h dbname=app");
  EXPECT_EQ(
      ConninfoWithoutPassword("postgresql://me:secret@db:5432/app?password=other&sslmode=require"),
      "postgresql://me:***@db:5432/app?password=***&sslmode=require");
  EXPECT_EQ(ConninfoWithoutPassword("postgres://:secret@db"), "postgres://:***@db");
  EXPECT_EQ(ConninfoWithoutPassword("postgresql://me@db/app"), "postgresql://me@db/app");
  EXPECT_EQ(ConninfoWithoutPassword("postgresql://db:5432/app"), "postgresql://db:5432/app");
}

TEST(PostgresSinkConninfoTest, ConnectionErrorShowsNoPassword) {
  std::unique_ptr<PostgresSink> sink;
  const Status s =
      PostgresSink::Open("host=127.0.0.1 port=1 user=app password=secret connect_timeout=5", &sink);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message().find("secret"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("password=***"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("check the --postgres connection string"), std::string::npos)
      << s.message();
}

}  // namespace
}  // namespace tt::testing
