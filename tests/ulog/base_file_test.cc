// The base snapshot file (ulog/base_file.h): what is written reads back,
// damage of any kind is Corruption naming the file, and the log's gap after
// the base is found.
#include "ulog/base_file.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "tests/ulog/ulog_test_util.h"

namespace tt {
namespace {

namespace fs = std::filesystem;

// Writes a base of `values` put bodies "v<i>" as of `ts`; versions 1..n.
void WriteBase(const std::string& dir, uint64_t ts, int values) {
  std::unique_ptr<BaseWriter> writer;
  ASSERT_TRUE(BaseWriter::Open(dir, ts, 7, &writer).ok());
  for (int i = 0; i < values; ++i) {
    ASSERT_TRUE(writer->Add(PutBody("k" + std::to_string(i), "v" + std::to_string(i)), i + 1).ok());
  }
  BaseInfo info;
  ASSERT_TRUE(writer->Commit(&info).ok());
  EXPECT_EQ(info.ts, ts);
  EXPECT_EQ(info.records, static_cast<uint64_t>(values));
}

// Every record of the base of `dir`, or the first error.
Status ReadBase(const std::string& dir, std::vector<UlogRecord>* records) {
  records->clear();
  std::unique_ptr<BaseReader> reader;
  Status s = BaseReader::Open(dir, &reader);
  if (!s.ok()) return s;
  UlogRecord record;
  while ((s = reader->Next(&record)).ok()) records->push_back(record);
  return s.IsNotFound() ? Status::Ok() : s;
}

TEST(BaseFileTest, WrittenValuesReadBackWithTheirVersions) {
  ScratchDir dir;
  ASSERT_NO_FATAL_FAILURE(WriteBase(dir.path(), 5000, 3000));
  std::optional<BaseInfo> info;
  ASSERT_TRUE(ReadBaseInfo(dir.path(), &info).ok());
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->ts, 5000u);
  EXPECT_EQ(info->records, 3000u);
  std::vector<UlogRecord> records;
  ASSERT_TRUE(ReadBase(dir.path(), &records).ok());
  ASSERT_EQ(records.size(), 3000u);
  EXPECT_EQ(records[2999].ts, 3000u);
  EXPECT_EQ(records[2999].sid, 7);
  EXPECT_EQ(records[2999].body, PutBody("k2999", "v2999"));
  EXPECT_FALSE(fs::exists(BasePath(dir.path()) + ".tmp"));
}

TEST(BaseFileTest, EmptyBaseAndNoBase) {
  ScratchDir dir;
  std::optional<BaseInfo> info;
  ASSERT_TRUE(ReadBaseInfo(dir.path(), &info).ok());
  EXPECT_FALSE(info.has_value());
  std::unique_ptr<BaseReader> reader;
  EXPECT_TRUE(BaseReader::Open(dir.path(), &reader).IsNotFound());
  ASSERT_NO_FATAL_FAILURE(WriteBase(dir.path(), 1, 0));
  std::vector<UlogRecord> records;
  ASSERT_TRUE(ReadBase(dir.path(), &records).ok());
  EXPECT_TRUE(records.empty());
}

TEST(BaseFileTest, AWriterThatIsNotCommittedLeavesTheOldBase) {
  ScratchDir dir;
  ASSERT_NO_FATAL_FAILURE(WriteBase(dir.path(), 100, 2));
  {
    std::unique_ptr<BaseWriter> writer;
    ASSERT_TRUE(BaseWriter::Open(dir.path(), 200, 7, &writer).ok());
    ASSERT_TRUE(writer->Add(PutBody("x", "y"), 150).ok());
  }
  std::optional<BaseInfo> info;
  ASSERT_TRUE(ReadBaseInfo(dir.path(), &info).ok());
  EXPECT_EQ(info->ts, 100u);
  EXPECT_FALSE(fs::exists(BasePath(dir.path()) + ".tmp"));
}

TEST(BaseFileTest, TruncatedGrownOrFlippedBasesAreCorruption) {
  ScratchDir dir;
  ASSERT_NO_FATAL_FAILURE(WriteBase(dir.path(), 5000, 500));
  const std::string path = BasePath(dir.path());
  const std::string good = ReadWholeFile(path);
  std::mt19937 rng(7);
  std::vector<std::string> damaged = {good.substr(0, good.size() / 2), good + "x",
                                      good.substr(0, good.size() - 1)};
  for (int i = 0; i < 20; ++i) {
    std::string flipped = good;
    flipped[std::uniform_int_distribution<size_t>(0, good.size() - 1)(rng)] ^= 0x10;
    damaged.push_back(flipped);
  }
  for (const std::string& bytes : damaged) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
    std::vector<UlogRecord> records;
    Status s = ReadBase(dir.path(), &records);
    EXPECT_EQ(s.code(), Status::Code::kCorruption) << s.ToString();
    EXPECT_NE(s.message().find(path), std::string::npos) << s.ToString();
  }
}

TEST(BaseFileTest, GapAfterTheBaseIsFound) {
  ScratchDir dir;
  for (uint32_t file = 1; file <= 3; ++file) {
    AppendToFile(dir.File(file), EncodeRecord(file * 100, 1, 0, PutBody("k", "v")));
  }
  std::string gap;
  // No base: the log from its start suffices only for an in-memory database.
  ASSERT_TRUE(FindLogGapAfterBase(dir.path(), false, &gap).ok());
  EXPECT_NE(gap.find("there is no base snapshot"), std::string::npos) << gap;
  ASSERT_TRUE(FindLogGapAfterBase(dir.path(), true, &gap).ok());
  EXPECT_EQ(gap, "");
  ASSERT_NO_FATAL_FAILURE(WriteBase(dir.path(), 150, 1));
  fs::remove(dir.File(1));
  // File 2 begins at 200: the records after 150 and before it went with file 1.
  ASSERT_TRUE(FindLogGapAfterBase(dir.path(), false, &gap).ok());
  EXPECT_NE(gap.find("were deleted"), std::string::npos) << gap;
  ASSERT_NO_FATAL_FAILURE(WriteBase(dir.path(), 199, 1));
  ASSERT_TRUE(FindLogGapAfterBase(dir.path(), false, &gap).ok());
  EXPECT_EQ(gap, "");
}

}  // namespace
}  // namespace tt
