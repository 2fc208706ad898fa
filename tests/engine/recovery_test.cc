// Crash recovery from the update log, compensating records, and restore's
// refusal to feed on the server's own log — over real Kyoto Cabinet files.
#include <gtest/gtest.h>

#include <filesystem>

#include "common/clock.h"
#include "common/coding.h"
#include "common/commands.h"
#include "engine/engine.h"
#include "engine/redo.h"
#include "partition/store.h"
#include "ulog/checkpoint.h"
#include "ulog/ulog_reader.h"

namespace tt {
namespace {

class RecoveryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/tt-recovery-XXXXXX";
    dir_ = mkdtemp(pattern);
    std::filesystem::create_directory(dir_ + "/ulog");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // A server's data: a store named `db` in the test dir and the shared log.
  struct Server {
    TimestampClock clock;
    std::unique_ptr<Store> store;
    std::unique_ptr<UlogWriter> ulog;
    std::unique_ptr<Engine> engine;
  };
  std::unique_ptr<Server> Open(const std::string& db, bool read_only = false) {
    auto server = std::make_unique<Server>();
    EXPECT_TRUE(OpenStore({.name = dir_ + "/" + db, .read_only = read_only}, &server->store).ok());
    UlogWriterOptions options;
    options.dir = dir_ + "/ulog";
    options.clock = &server->clock;
    EXPECT_TRUE(UlogWriter::Open(options, &server->ulog).ok());
    server->engine = std::make_unique<Engine>(Engine::Options{
        .store = server->store.get(), .ulog = server->ulog.get(), .clock = &server->clock, .sid = 1});
    return server;
  }
  static std::string GetOr(Engine& engine, std::string_view key) {
    std::string value;
    return engine.Get(key, &value).ok() ? value : "<absent>";
  }

  std::string dir_;
};

TEST_F(RecoveryTest, WritesMissingFromTheDatabaseFilesAreReappliedFromTheLog) {
  {
    auto server = Open("a.kct");
    int32_t sum;
    ASSERT_TRUE(server->engine->Put("k1", "v1").ok());
    ASSERT_TRUE(server->engine->AddInt("n", 3, &sum).ok());
    ASSERT_TRUE(server->engine->Put("gone", "x").ok());
    ASSERT_TRUE(server->engine->Out("gone").ok());
  }
  // A database that never saw those writes (as if the files missed them).
  auto server = Open("b.kct");
  uint64_t applied = 0;
  ASSERT_TRUE(RecoverFromLog(*server->engine, &applied).ok());
  EXPECT_EQ(applied, 4u);
  EXPECT_EQ(GetOr(*server->engine, "k1"), "v1");
  EXPECT_EQ(GetOr(*server->engine, "n"), std::string("\x03\x00\x00\x00", 4));
  EXPECT_EQ(GetOr(*server->engine, "gone"), "<absent>");
  // Recovery itself logs nothing.
  std::unique_ptr<UlogReader> reader;
  ASSERT_TRUE(UlogReader::Open(dir_ + "/ulog", 0, &reader).ok());
  UlogRecord rec;
  int records = 0;
  while (reader->Next(&rec).ok()) ++records;
  EXPECT_EQ(records, 4);
}

TEST_F(RecoveryTest, MemcachedMetadataIsReappliedWithTheValue) {
  uint64_t version = 0;
  {
    auto server = Open("a.kch");
    ValueMeta meta{.flags = 42, .expires_at = 4000000000, .cas = 0};
    ASSERT_TRUE(server->engine->PutWithMeta("mc", "v", meta).ok());
    ValueMeta read;
    std::string value;
    ASSERT_TRUE(server->engine->Get("mc", &value, &read).ok());
    version = read.version;
  }
  auto server = Open("b.kch");
  uint64_t applied = 0;
  ASSERT_TRUE(RecoverFromLog(*server->engine, &applied).ok());
  EXPECT_EQ(applied, 1u);
  std::string value;
  ValueMeta read;
  ASSERT_TRUE(server->engine->Get("mc", &value, &read).ok());
  EXPECT_EQ(value, "v");
  EXPECT_EQ(read.flags, 42u);
  EXPECT_EQ(read.expires_at, 4000000000);
  EXPECT_EQ(read.version, version) << "the version (memcached CAS) is the record's timestamp";
}

TEST_F(RecoveryTest, RestoreAppliesPutmetaRecords) {
  {
    auto source = Open("a.kch");
    ASSERT_TRUE(source->engine->PutWithMeta("mc", "v", ValueMeta{.flags = 7}).ok());
  }
  std::filesystem::rename(dir_ + "/ulog", dir_ + "/source-ulog");
  std::filesystem::create_directory(dir_ + "/ulog");
  auto server = Open("b.kch");
  uint64_t applied = 0;
  ASSERT_TRUE(RestoreFromLog(*server->engine, dir_ + "/source-ulog", 0, true, &applied).ok());
  EXPECT_EQ(applied, 1u);
  std::string value;
  ValueMeta read;
  ASSERT_TRUE(server->engine->Get("mc", &value, &read).ok());
  EXPECT_EQ(read.flags, 7u);
}

TEST_F(RecoveryTest, SyncAdvancesTheCheckpointSoOnlyLaterRecordsAreReapplied) {
  {
    auto server = Open("a.kch");
    ASSERT_TRUE(server->engine->Put("before", "1").ok());
    ASSERT_TRUE(server->engine->Sync().ok());
    ASSERT_TRUE(server->engine->Put("after", "2").ok());
  }
  uint64_t checkpoint = 0;
  ASSERT_TRUE(ReadCheckpoint(dir_ + "/ulog", &checkpoint).ok());
  EXPECT_GT(checkpoint, 0u);
  auto server = Open("b.kch");
  uint64_t applied = 0;
  ASSERT_TRUE(RecoverFromLog(*server->engine, &applied).ok());
  EXPECT_EQ(applied, 2u);  // the sync record and "after"
  EXPECT_EQ(GetOr(*server->engine, "after"), "2");
  EXPECT_EQ(GetOr(*server->engine, "before"), "<absent>");
}

TEST_F(RecoveryTest, CheckpointCoversEverythingLoggedBeforeItWithoutLogging) {
  {
    auto server = Open("a.kch");
    ASSERT_TRUE(server->engine->Put("before", "1").ok());
    ASSERT_TRUE(server->engine->Checkpoint().ok());
    ASSERT_TRUE(server->engine->Put("after", "2").ok());
  }
  auto server = Open("b.kch");
  uint64_t applied = 0;
  ASSERT_TRUE(RecoverFromLog(*server->engine, &applied).ok());
  EXPECT_EQ(applied, 1u);  // only "after": the checkpoint itself is not a record
  EXPECT_EQ(GetOr(*server->engine, "after"), "2");
  EXPECT_EQ(GetOr(*server->engine, "before"), "<absent>");
}

TEST_F(RecoveryTest, RefusedStoreWriteIsCompensatedInTheLog) {
  { auto created = Open("ro.kch"); }
  auto server = Open("ro.kch", /*read_only=*/true);
  EXPECT_FALSE(server->engine->Put("k", "v").ok());
  EXPECT_EQ(GetOr(*server->engine, "k"), "<absent>");
  // Replaying the log anywhere gives what the database holds: no "k".
  auto replica = Open("replica.kch");
  uint64_t applied = 0;
  ASSERT_TRUE(RecoverFromLog(*replica->engine, &applied).ok());
  EXPECT_EQ(applied, 2u);  // the put, then the compensating out
  EXPECT_EQ(GetOr(*replica->engine, "k"), "<absent>");
}

TEST_F(RecoveryTest, RefusedWriteOverAnExpiredValueIsCompensatedWithoutDeadlock) {
  {
    auto created = Open("ro.kch");
    ASSERT_TRUE(created->engine->PutWithMeta("k", "old", ValueMeta{.expires_at = 1}).ok());
  }
  auto server = Open("ro.kch", /*read_only=*/true);
  // The compensating record reads the key under its stripe: it must not try
  // to purge the expired value, which would take the stripe again.
  EXPECT_FALSE(server->engine->PutCat("k", "v").ok());
  EXPECT_EQ(GetOr(*server->engine, "k"), "<absent>");
}

// The consistency check (-rcc, restore's) compares the state a record
// leaves behind: a slave applies again the records after its last saved
// position after a crash, and a bootstrapping slave the outs of keys its
// snapshot no longer held; those must not halt replication.
TEST_F(RecoveryTest, ARecordAppliedAgainIsConsistent) {
  auto server = Open("a.kch");
  Engine& engine = *server->engine;
  auto consistent = [&](const std::string& body) {
    bool result = false;
    EXPECT_TRUE(ApplyRecord(engine, {.ts = 1, .sid = 9, .body = body}, 9, &result).ok());
    return result;
  };
  ASSERT_TRUE(engine.Put("gone", "x").ok());
  EXPECT_TRUE(consistent(OutBody("gone")));
  EXPECT_TRUE(consistent(OutBody("gone")));  // no key on either side
  std::string putkeep = PutBody("kept", "v");
  putkeep[1] = static_cast<char>(kCmdPutKeep);
  EXPECT_TRUE(consistent(putkeep));
  EXPECT_TRUE(consistent(putkeep));  // the value it stored is there
  ASSERT_TRUE(engine.Put("kept", "other").ok());
  EXPECT_FALSE(consistent(putkeep));  // another value: the slave differs
}

// The original logs an addint whose sum is its error value (INT_MIN) as
// failed; applied where the sum is that value, a record that says success
// is inconsistent and one that says failure is not.
TEST_F(RecoveryTest, AnAddIntThatReachesIntMinCountsAsFailed) {
  auto server = Open("a.kch");
  Engine& engine = *server->engine;
  auto consistent = [&](bool logged_success) {
    std::string body("\xC8\x60", 2);
    PutU32(&body, 1);
    PutU32(&body, 1);
    body += "n";
    body += logged_success ? '\0' : '\x01';
    bool result = false;
    EXPECT_TRUE(ApplyRecord(engine, {.ts = 1, .sid = 9, .body = body}, 9, &result).ok());
    return result;
  };
  int32_t sum = 0;
  ASSERT_TRUE(engine.AddInt("n", 2147483646, &sum).ok());
  EXPECT_TRUE(consistent(true));    // 2147483647
  EXPECT_FALSE(consistent(true));   // INT_MIN: failed here, not on the origin
  ASSERT_TRUE(engine.AddInt("n", -1, &sum).ok());  // wraps back to INT_MAX
  EXPECT_TRUE(consistent(false));   // INT_MIN, failed on the origin too
}

TEST_F(RecoveryTest, RestoreFromTheServersOwnLogIsRefused) {
  auto server = Open("a.kch");
  ASSERT_TRUE(server->engine->Put("k", "v").ok());
  uint64_t applied = 0;
  Status s = RestoreFromLog(*server->engine, dir_ + "/ulog/.", 0, false, &applied);
  EXPECT_EQ(s.code(), Status::Code::kFailed);
  EXPECT_NE(s.message().find("own update log"), std::string::npos);
  EXPECT_EQ(applied, 0u);
}

TEST_F(RecoveryTest, CopyCommandRunsWithTheTimeAsItsArgument) {
  auto server = Open("a.kch");
  std::string marker = dir_ + "/copied";
  ASSERT_TRUE(server->engine->Copy("@echo >" + marker).ok());
  EXPECT_TRUE(std::filesystem::exists(marker));
  EXPECT_FALSE(server->engine->Copy("@false").ok());
}

}  // namespace
}  // namespace tt
