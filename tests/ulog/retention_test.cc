// Update-log retention: the planner's rules, the spec syntax, and a pass over
// a real directory.
#include "ulog/retention.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "common/clock.h"
#include "tests/ulog/ulog_test_util.h"
#include "ulog/base_file.h"
#include "ulog/checkpoint.h"
#include "ulog/slave_registry.h"

namespace tt {
namespace {

constexpr uint64_t kSecond = 1000000;
constexpr uint64_t kNow = 1000000 * kSecond;
constexpr uint64_t kKeepAll = UINT64_MAX;

// Files 1..n of 100 bytes; file i's first record is at first_ts[i-1] (0 = empty).
std::vector<UlogFileInfo> Files(const std::vector<uint64_t>& first_ts) {
  std::vector<UlogFileInfo> files;
  for (size_t i = 0; i < first_ts.size(); ++i) {
    UlogFileInfo file;
    file.number = static_cast<uint32_t>(i + 1);
    if (first_ts[i] != 0) file.first_ts = first_ts[i];
    file.size = 100;
    files.push_back(file);
  }
  return files;
}

std::vector<uint32_t> Numbers(const std::vector<UlogDeletion>& plan) {
  std::vector<uint32_t> numbers;
  for (const UlogDeletion& deletion : plan) numbers.push_back(deletion.file.number);
  return numbers;
}

RetentionPolicy Age(double seconds) {
  RetentionPolicy policy;
  policy.max_age_s = seconds;
  return policy;
}

RetentionPolicy Size(uint64_t bytes) {
  RetentionPolicy policy;
  policy.max_bytes = bytes;
  return policy;
}

RetentionPolicy Before(uint64_t ts) {
  RetentionPolicy policy;
  policy.before_ts = ts;
  return policy;
}

// Files whose first records are 10, 20, 30 and 40 s before kNow.
std::vector<UlogFileInfo> FourFiles() {
  return Files(
      {kNow - 40 * kSecond, kNow - 30 * kSecond, kNow - 20 * kSecond, kNow - 10 * kSecond});
}

TEST(RetentionPlanTest, NoPolicyDeletesNothing) {
  EXPECT_TRUE(PlanUlogRetention(FourFiles(), RetentionPolicy(), kNow, kKeepAll).empty());
}

TEST(RetentionPlanTest, AgeCountsTheNewestRecordBoundedByTheNextFile) {
  // File 1's records are all older than kNow - 30 s, file 2's than kNow - 20 s.
  EXPECT_EQ(Numbers(PlanUlogRetention(FourFiles(), Age(25), kNow, kKeepAll)),
            (std::vector<uint32_t>{1}));
  // Exactly at the boundary: every record of file 2 is older than kNow - 20 s.
  EXPECT_EQ(Numbers(PlanUlogRetention(FourFiles(), Age(20), kNow, kKeepAll)),
            (std::vector<uint32_t>{1, 2}));
  EXPECT_EQ(Numbers(PlanUlogRetention(FourFiles(), Age(19.5), kNow, kKeepAll)),
            (std::vector<uint32_t>{1, 2}));
  EXPECT_EQ(Numbers(PlanUlogRetention(FourFiles(), Age(21), kNow, kKeepAll)),
            (std::vector<uint32_t>{1}));
}

TEST(RetentionPlanTest, AgeUsesTheNewestRecordWhenKnown) {
  std::vector<UlogFileInfo> files = FourFiles();
  files[0].last_ts = kNow - 35 * kSecond;
  EXPECT_EQ(Numbers(PlanUlogRetention(files, Age(35), kNow, kKeepAll)), (std::vector<uint32_t>{}));
  EXPECT_EQ(Numbers(PlanUlogRetention(files, Age(34), kNow, kKeepAll)), (std::vector<uint32_t>{1}));
}

TEST(RetentionPlanTest, NewestFileIsNeverDeleted) {
  std::vector<UlogFileInfo> files = FourFiles();
  files[3].last_ts = kNow - 10 * kSecond;
  EXPECT_EQ(Numbers(PlanUlogRetention(files, Age(1), kNow, kKeepAll)),
            (std::vector<uint32_t>{1, 2, 3}));
  EXPECT_EQ(Numbers(PlanUlogRetention(files, Size(1), kNow, kKeepAll)),
            (std::vector<uint32_t>{1, 2, 3}));
  EXPECT_TRUE(PlanUlogRetention(Files({kSecond}), Size(1), kNow, kKeepAll).empty());
  EXPECT_TRUE(PlanUlogRetention({}, Size(1), kNow, kKeepAll).empty());
}

TEST(RetentionPlanTest, SizeDeletesOldestFirstUntilTheTotalFits) {
  // 400 bytes in all.
  EXPECT_TRUE(PlanUlogRetention(FourFiles(), Size(400), kNow, kKeepAll).empty());
  EXPECT_EQ(Numbers(PlanUlogRetention(FourFiles(), Size(399), kNow, kKeepAll)),
            (std::vector<uint32_t>{1}));
  EXPECT_EQ(Numbers(PlanUlogRetention(FourFiles(), Size(200), kNow, kKeepAll)),
            (std::vector<uint32_t>{1, 2}));
  EXPECT_EQ(Numbers(PlanUlogRetention(FourFiles(), Size(150), kNow, kKeepAll)),
            (std::vector<uint32_t>{1, 2, 3}));
}

TEST(RetentionPlanTest, EitherLimitDeletes) {
  RetentionPolicy both = Age(25);
  both.max_bytes = 200;
  std::vector<UlogDeletion> plan = PlanUlogRetention(FourFiles(), both, kNow, kKeepAll);
  ASSERT_EQ(Numbers(plan), (std::vector<uint32_t>{1, 2}));
  EXPECT_EQ(plan[0].reason, "older than 25s");
  EXPECT_NE(plan[1].reason.find("over the limit of 200"), std::string::npos) << plan[1].reason;
}

TEST(RetentionPlanTest, BeforeTsDeletesFilesWhoseRecordsAreAllOlder) {
  const uint64_t second_file = kNow - 30 * kSecond;
  EXPECT_TRUE(PlanUlogRetention(FourFiles(), Before(second_file - 1), kNow, kKeepAll).empty());
  EXPECT_EQ(Numbers(PlanUlogRetention(FourFiles(), Before(second_file), kNow, kKeepAll)),
            (std::vector<uint32_t>{1}));
}

TEST(RetentionPlanTest, CheckpointBoundaryAtTheFirstRecordOfTheNextFile) {
  const uint64_t second_file = kNow - 30 * kSecond;
  // keep_from = the next file's first record: file 1 holds only older ones.
  EXPECT_EQ(Numbers(PlanUlogRetention(FourFiles(), Size(1), kNow, second_file)),
            (std::vector<uint32_t>{1}));
  // One µs earlier, file 1 may hold the record at keep_from.
  EXPECT_TRUE(PlanUlogRetention(FourFiles(), Size(1), kNow, second_file - 1).empty());
  EXPECT_TRUE(PlanUlogRetention(FourFiles(), Age(1), kNow, second_file - 1).empty());
}

TEST(RetentionPlanTest, KeepFromStopsAtTheFileHoldingIt) {
  const uint64_t third_file = kNow - 20 * kSecond;
  EXPECT_EQ(Numbers(PlanUlogRetention(FourFiles(), Age(1), kNow, third_file + 5 * kSecond)),
            (std::vector<uint32_t>{1, 2}));
}

TEST(RetentionPlanTest, NoKeepFromKeepsEverythingWithRecords) {
  // No checkpoint: keep_from = 0 + 1, and every record is at or after it.
  EXPECT_TRUE(PlanUlogRetention(FourFiles(), Size(1), kNow, 1).empty());
}

TEST(RetentionPlanTest, NeverLeavesAHole) {
  // File 1 is recent (a clock that jumped back, or an imported log): it is
  // not too old, so the older files after it stay too.
  std::vector<UlogFileInfo> files = FourFiles();
  files[0].last_ts = kNow - 5 * kSecond;
  EXPECT_TRUE(PlanUlogRetention(files, Age(25), kNow, kKeepAll).empty());
}

TEST(RetentionPlanTest, FileBeforeAnEmptyNewestFileNeedsItsNewestRecord) {
  std::vector<UlogFileInfo> files = Files({kNow - 40 * kSecond, kNow - 30 * kSecond, 0});
  EXPECT_EQ(Numbers(PlanUlogRetention(files, Age(1), kNow, kKeepAll)), (std::vector<uint32_t>{1}));
  files[1].last_ts = kNow - 25 * kSecond;
  EXPECT_EQ(Numbers(PlanUlogRetention(files, Age(1), kNow, kKeepAll)),
            (std::vector<uint32_t>{1, 2}));
  EXPECT_EQ(Numbers(PlanUlogRetention(files, Age(1), kNow, kNow - 25 * kSecond)),
            (std::vector<uint32_t>{1}));
  EXPECT_EQ(Numbers(PlanUlogRetention(files, Age(1), kNow, kNow - 25 * kSecond + 1)),
            (std::vector<uint32_t>{1, 2}));
}

TEST(RetentionPlanTest, FilesWithoutRecordsHoldNothingNeeded) {
  std::vector<UlogFileInfo> files = Files({0, kNow - 30 * kSecond, kNow - 20 * kSecond});
  std::vector<UlogDeletion> plan = PlanUlogRetention(files, Size(1), kNow, 1);
  ASSERT_EQ(Numbers(plan), (std::vector<uint32_t>{1}));
  EXPECT_EQ(plan[0].end_ts, 0u);
}

TEST(RetentionSpecTest, ParsesAgeAndSize) {
  RetentionPolicy policy;
  ASSERT_TRUE(ParseRetentionSpec("age=7d,size=10g", &policy).ok());
  EXPECT_EQ(policy.max_age_s, 7 * 86400);
  EXPECT_EQ(policy.max_bytes, 10ull << 30);
  ASSERT_TRUE(ParseRetentionSpec("size=500m", &policy).ok());
  EXPECT_EQ(policy.max_age_s, 0);
  EXPECT_EQ(policy.max_bytes, 500ull << 20);
  ASSERT_TRUE(ParseRetentionSpec("age=90m", &policy).ok());
  EXPECT_EQ(policy.max_age_s, 5400);
  EXPECT_EQ(policy.max_bytes, 0u);
}

TEST(RetentionSpecTest, RefusesAmbiguousOrBrokenSpecs) {
  RetentionPolicy policy;
  for (const char* spec : {"", "7d", "10g", "age=", "age=7x", "age=0", "size=0", "size=-1",
                           "age=1d,age=2d", "speed=3", "age=7d,,size=1g"}) {
    Status s = ParseRetentionSpec(spec, &policy);
    EXPECT_FALSE(s.ok()) << spec;
    EXPECT_NE(s.message().find("age=7d,size=10g"), std::string::npos) << s.message();
  }
}

TEST(RetentionSpecTest, DurationsRoundTrip) {
  EXPECT_EQ(ParseDuration("3600"), 3600);
  EXPECT_EQ(ParseDuration("3600s"), 3600);
  EXPECT_EQ(ParseDuration("12h"), 43200);
  EXPECT_EQ(ParseDuration("1.5d"), 129600);
  EXPECT_FALSE(ParseDuration("d"));
  EXPECT_FALSE(ParseDuration("1w"));
  EXPECT_FALSE(ParseDuration("-1s"));
  EXPECT_EQ(FormatDuration(604800), "7d");
  EXPECT_EQ(FormatDuration(5400), "90m");
  EXPECT_EQ(FormatDuration(1.5), "1.5s");
}

// A directory of three files: records at 1..3, 11..13 and 21 (µs), with a
// base snapshot that covers them all (so only the other needs count).
class RetentionDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (uint32_t file = 1; file <= 3; ++file) {
      for (uint64_t k = 1; k <= (file == 3 ? 1u : 3u); ++k) {
        AppendToFile(dir_.File(file), EncodeRecord((file - 1) * 10 + k, 1, 0, "\xC8\x10"));
      }
    }
    WriteBaseAt(1000);
  }
  void WriteBaseAt(uint64_t ts) {
    std::unique_ptr<BaseWriter> base;
    ASSERT_TRUE(BaseWriter::Open(dir_.path(), ts, 1, &base).ok());
    ASSERT_TRUE(base->Commit().ok());
  }
  ScratchDir dir_;
};

TEST_F(RetentionDirTest, ListsFirstTimestampsAndReadsTheLastOnlyWhenAsked) {
  AppendToFile(dir_.File(4), "");
  std::vector<UlogFileInfo> files;
  ASSERT_TRUE(ListUlogFileInfo(dir_.path(), false, &files).ok());
  ASSERT_EQ(files.size(), 4u);
  EXPECT_EQ(files[1].first_ts, 11u);
  EXPECT_FALSE(files[2].last_ts);
  EXPECT_FALSE(files[3].first_ts);
  EXPECT_EQ(files[0].size, 3 * EncodeRecord(1, 1, 0, "\xC8\x10").size());
  ASSERT_TRUE(ListUlogFileInfo(dir_.path(), true, &files).ok());
  EXPECT_EQ(files[2].last_ts, 21u);
  EXPECT_FALSE(files[1].last_ts);
}

TEST_F(RetentionDirTest, DiskUsageCountsTheLogFilesOnly) {
  AppendToFile(dir_.path() + "/ttserver.checkpoint", "5\n");
  uint64_t files = 0, bytes = 0;
  ASSERT_TRUE(UlogDiskUsage(dir_.path(), &files, &bytes).ok());
  EXPECT_EQ(files, 3u);
  EXPECT_EQ(bytes, 7 * EncodeRecord(1, 1, 0, "\xC8\x10").size());
}

TEST_F(RetentionDirTest, KeepsWhatTheCheckpointNeeds) {
  RetentionRun run;
  RetentionPolicy policy = Before(UINT64_MAX / 2);
  // No checkpoint: recovery would replay everything.
  ASSERT_TRUE(
      RunUlogRetention(dir_.path(), policy, 0, kKeepAll, true, false, /*keep_base=*/true, &run)
          .ok());
  EXPECT_TRUE(run.deleted.empty());
  EXPECT_EQ(run.keep_from_ts, 1u);
  // Checkpoint 10: keep from 11, the first record of file 2.
  ASSERT_TRUE(WriteCheckpoint(dir_.path(), 10).ok());
  ASSERT_TRUE(
      RunUlogRetention(dir_.path(), policy, 0, kKeepAll, true, false, /*keep_base=*/true, &run)
          .ok());
  EXPECT_EQ(Numbers(run.deleted), (std::vector<uint32_t>{1}));
  EXPECT_FALSE(std::filesystem::exists(dir_.File(1)));
  EXPECT_TRUE(std::filesystem::exists(dir_.File(2)));
  EXPECT_EQ(ReadAll(dir_.path()).size(), 4u);
}

TEST_F(RetentionDirTest, KeepsWhatARecentSlaveNeedsButNotAForgottenOne) {
  ASSERT_TRUE(WriteCheckpoint(dir_.path(), 100).ok());
  const double now = static_cast<double>(NowMicros()) / 1e6;
  // Slave 2 applied up to 2 an hour ago, slave 3 up to 12 just now.
  ASSERT_TRUE(
      WriteSlaveRegistry(dir_.path(), {{2, 2, now - 3600, "a:1"}, {3, 12, now, "b:2"}}).ok());
  RetentionPolicy policy = Before(UINT64_MAX / 2);
  RetentionRun run;
  ASSERT_TRUE(
      RunUlogRetention(dir_.path(), policy, 7200, kKeepAll, true, true, /*keep_base=*/true, &run)
          .ok());
  EXPECT_EQ(run.keep_from_ts, 3u);
  EXPECT_TRUE(run.deleted.empty());
  ASSERT_TRUE(
      RunUlogRetention(dir_.path(), policy, 60, kKeepAll, true, true, /*keep_base=*/true, &run)
          .ok());
  EXPECT_EQ(run.keep_from_ts, 13u);
  EXPECT_EQ(Numbers(run.deleted), (std::vector<uint32_t>{1}));
  EXPECT_TRUE(std::filesystem::exists(dir_.File(1))) << "a dry run deleted a file";
  // A further need the caller knows of (a streaming slave) counts as well.
  ASSERT_TRUE(
      RunUlogRetention(dir_.path(), policy, 60, 11, true, false, /*keep_base=*/true, &run).ok());
  EXPECT_EQ(Numbers(run.deleted), (std::vector<uint32_t>{1}));
  ASSERT_TRUE(
      RunUlogRetention(dir_.path(), policy, 60, 20, true, false, /*keep_base=*/true, &run).ok());
  EXPECT_TRUE(run.deleted.empty());
  EXPECT_EQ(run.files_before, 2u);
}

TEST_F(RetentionDirTest, KeepsWhatTheBaseDoesNotCoverUnlessForced) {
  ASSERT_TRUE(WriteCheckpoint(dir_.path(), 100).ok());
  RetentionPolicy policy = Before(UINT64_MAX / 2);
  RetentionRun run;
  // A base as of 10: a rebuild needs 11 on, the first record of file 2.
  WriteBaseAt(10);
  ASSERT_TRUE(RunUlogRetention(dir_.path(), policy, 0, kKeepAll, true, true, true, &run).ok());
  EXPECT_EQ(run.keep_from_ts, 11u);
  EXPECT_EQ(Numbers(run.deleted), (std::vector<uint32_t>{1}));
  EXPECT_EQ(run.held_by_base, 1u);  // file 2 would go too, but for the base
  // No base at all: a rebuild would need the whole log.
  ASSERT_TRUE(std::filesystem::remove(BasePath(dir_.path())));
  ASSERT_TRUE(RunUlogRetention(dir_.path(), policy, 0, kKeepAll, true, true, true, &run).ok());
  EXPECT_EQ(run.keep_from_ts, 1u);
  EXPECT_TRUE(run.deleted.empty());
  EXPECT_EQ(run.held_by_base, 2u);
  // Without keeping the base (ttulmgr purge -force), the checkpoint decides.
  ASSERT_TRUE(RunUlogRetention(dir_.path(), policy, 0, kKeepAll, true, false, false, &run).ok());
  EXPECT_EQ(Numbers(run.deleted), (std::vector<uint32_t>{1, 2}));
  EXPECT_FALSE(std::filesystem::exists(dir_.File(2)));
}

TEST_F(RetentionDirTest, RegistryKeepsWhatTheSlaveAppliedAndReadsEarlierFiles) {
  ASSERT_TRUE(WriteSlaveRegistry(dir_.path(), {{2, 50, 1.5, "a:1", 40}}).ok());
  // A line of an earlier version has no applied timestamp: it is the acknowledged one.
  AppendToFile(SlaveRegistryPath(dir_.path()), "3\t70\t2.000000\tb:2\n");
  std::vector<SlaveAck> slaves;
  ASSERT_TRUE(ReadSlaveRegistry(dir_.path(), &slaves).ok());
  ASSERT_EQ(slaves.size(), 2u);
  EXPECT_EQ(slaves[0].acked_ts, 50u);
  EXPECT_EQ(slaves[0].applied_ts, 40u);
  EXPECT_EQ(slaves[0].address, "a:1");
  EXPECT_EQ(slaves[1].acked_ts, 70u);
  EXPECT_EQ(slaves[1].applied_ts, 70u);
  EXPECT_EQ(slaves[1].address, "b:2");
}

TEST_F(RetentionDirTest, UnreadableRegistryDeletesNothing) {
  ASSERT_TRUE(WriteCheckpoint(dir_.path(), 100).ok());
  AppendToFile(SlaveRegistryPath(dir_.path()), "garbage\n");
  RetentionRun run;
  Status s =
      RunUlogRetention(dir_.path(), Size(1), 60, kKeepAll, true, false, /*keep_base=*/true, &run);
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(std::filesystem::exists(dir_.File(1)));
}

}  // namespace
}  // namespace tt
