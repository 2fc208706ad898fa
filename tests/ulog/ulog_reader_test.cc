#include "ulog/ulog_reader.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "common/clock.h"
#include "tests/ulog/ulog_test_util.h"
#include "ulog/record.h"
#include "ulog/ulog_writer.h"

namespace tt {
namespace {

constexpr uint64_t kSecond = 1000000;

std::vector<uint64_t> Timestamps(const std::vector<UlogRecord>& records) {
  std::vector<uint64_t> out;
  for (const auto& rec : records) out.push_back(rec.ts);
  return out;
}

class UlogReaderTest : public ::testing::Test {
 protected:
  // The spec's crafted directory (§6): files whose first records are at
  // 10 s, 100 s, 200 s, 5 s, then an empty file.
  void WriteCraftedFiles() {
    AppendToFile(dir_.File(1), EncodeRecord(10 * kSecond, 1, 0, PutBody("a", "1")));
    AppendToFile(dir_.File(2), EncodeRecord(100 * kSecond, 1, 0, PutBody("b", "2")));
    AppendToFile(dir_.File(3), EncodeRecord(200 * kSecond, 1, 0, PutBody("c", "3")));
    AppendToFile(dir_.File(4), EncodeRecord(5 * kSecond, 1, 0, PutBody("d", "4")));
    AppendToFile(dir_.File(5), "");
  }

  std::unique_ptr<UlogReader> OpenReader(uint64_t ts) {
    std::unique_ptr<UlogReader> reader;
    Status s = UlogReader::Open(dir_.path(), ts, &reader);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return reader;
  }

  ScratchDir dir_;
};

TEST_F(UlogReaderTest, StartFileIsChosenAsTheOriginalDoesWithinTheSkewAllowance) {
  WriteCraftedFiles();
  // B = 0: the walk reaches file 1; only records at or after 30 s are returned.
  EXPECT_EQ(Timestamps(ReadAll(dir_.path(), 30 * kSecond)),
            (std::vector<uint64_t>{100 * kSecond, 200 * kSecond}));
}

TEST_F(UlogReaderTest, StartFileWalkStopsAtTheFirstFileBeforeTheBound) {
  WriteCraftedFiles();
  // B = 120 s: file 4 (first record 5 s) is the start, so nothing is >= 150 s.
  EXPECT_TRUE(ReadAll(dir_.path(), 150 * kSecond).empty());
}

TEST_F(UlogReaderTest, RecordsInFilesBeforeTheStartFileAreNotSeen) {
  WriteCraftedFiles();
  AppendToFile(dir_.File(2), EncodeRecord(300 * kSecond, 1, 0, PutBody("late", "x")));
  // The walk stops at file 4, as the original's does, so file 2's 300 s record is missed.
  EXPECT_TRUE(ReadAll(dir_.path(), 250 * kSecond).empty());
  // Without a bound every file is read, in file order.
  EXPECT_EQ(Timestamps(ReadAll(dir_.path(), 0)),
            (std::vector<uint64_t>{10 * kSecond, 100 * kSecond, 300 * kSecond, 200 * kSecond,
                                   5 * kSecond}));
}

TEST_F(UlogReaderTest, WalkStopsAtAMissingFile) {
  AppendToFile(dir_.File(1), EncodeRecord(10 * kSecond, 1, 0, SyncBody()));
  AppendToFile(dir_.File(3), EncodeRecord(500 * kSecond, 1, 0, SyncBody()));
  // File 2 is missing: the walk stops there and the reading starts at file 3.
  EXPECT_EQ(Timestamps(ReadAll(dir_.path(), 0)), (std::vector<uint64_t>{500 * kSecond}));
}

TEST_F(UlogReaderTest, FollowsAGrowingLogAcrossRotation) {
  TimestampClock clock;
  UlogWriterOptions options;
  options.dir = dir_.path();
  options.limit = 200;
  options.clock = &clock;
  std::unique_ptr<UlogWriter> writer;
  ASSERT_TRUE(UlogWriter::Open(options, &writer).ok());
  auto reader = OpenReader(0);
  UlogRecord rec;
  EXPECT_TRUE(reader->Next(&rec).IsNotFound());

  std::vector<uint64_t> written;
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 10; ++i) {
      uint64_t ts, seq;
      ASSERT_TRUE(
          writer->Append(1, 0, PutBody("key" + std::to_string(i), std::string(40, 'v')), &ts, &seq)
              .ok());
      written.push_back(ts);
    }
    Status s;
    while ((s = reader->Next(&rec)).ok()) {
      ASSERT_LT(0u, written.size());
      EXPECT_EQ(rec.ts, written.front());
      written.erase(written.begin());
    }
    EXPECT_TRUE(s.IsNotFound()) << s.ToString();
    EXPECT_TRUE(written.empty());
  }
  EXPECT_GT(writer->Position().file, 5u);
}

TEST_F(UlogReaderTest, PartialRecordIsReadOnceItIsComplete) {
  const std::string first = EncodeRecord(1, 1, 0, PutBody("a", "b"));
  const std::string second = EncodeRecord(2, 1, 0, PutBody("c", std::string(100, 'd')));
  AppendToFile(dir_.File(1), first + second.substr(0, 10));
  auto reader = OpenReader(0);
  UlogRecord rec;
  ASSERT_TRUE(reader->Next(&rec).ok());
  EXPECT_EQ(rec.ts, 1u);
  EXPECT_TRUE(reader->Next(&rec).IsNotFound());
  AppendToFile(dir_.File(1), second.substr(10, 50));
  EXPECT_TRUE(reader->Next(&rec).IsNotFound());
  AppendToFile(dir_.File(1), second.substr(60));
  ASSERT_TRUE(reader->Next(&rec).ok());
  EXPECT_EQ(rec.ts, 2u);
  EXPECT_EQ(rec.body, PutBody("c", std::string(100, 'd')));
  EXPECT_TRUE(reader->Next(&rec).IsNotFound());
}

TEST_F(UlogReaderTest, RecordLargerThanTheReadChunkIsRead) {
  const std::string big(300 * 1024, 'x');
  AppendToFile(dir_.File(1),
               EncodeRecord(1, 1, 0, PutBody("big", big)) + EncodeRecord(2, 1, 0, OutBody("big")));
  auto records = ReadAll(dir_.path());
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].body, PutBody("big", big));
  EXPECT_EQ(records[1].body, OutBody("big"));
}

TEST_F(UlogReaderTest, BogusHugeLengthAtTheEndIsAPartialRecord) {
  std::string rec = EncodeRecord(1, 1, 0, SyncBody());
  rec[13] = '\x7F';  // claims a body of ~2 GiB
  AppendToFile(dir_.File(1), EncodeRecord(0, 1, 0, SyncBody()) + rec);
  auto reader = OpenReader(0);
  UlogRecord out;
  ASSERT_TRUE(reader->Next(&out).ok());
  EXPECT_TRUE(reader->Next(&out).IsNotFound());
}

// Records followed by bytes that are not records cannot be trusted: they
// may be the damaged neighbours of what broke the file.
TEST_F(UlogReaderTest, ByteOtherThanC9IsCorruptionAndNoRecordBeforeItIsReturned) {
  AppendToFile(dir_.File(1), EncodeRecord(1, 1, 0, SyncBody()) + "garbage");
  auto reader = OpenReader(0);
  UlogRecord rec;
  Status s = reader->Next(&rec);
  EXPECT_EQ(s.code(), Status::Code::kCorruption);
  EXPECT_NE(s.message().find("00000001.ulog: the bytes at offset 20 do not start a record"),
            std::string::npos)
      << s.message();
  EXPECT_EQ(reader->Next(&rec).code(), Status::Code::kCorruption);  // it stays stopped
}

// A crash leaves zeros or part of a record at the end: the records before
// them are returned.
TEST_F(UlogReaderTest, ZerosAtTheEndAreNotDamageToTheRecordsBeforeThem) {
  AppendToFile(dir_.File(1), EncodeRecord(1, 1, 0, SyncBody()) + std::string(100, '\0'));
  auto reader = OpenReader(0);
  UlogRecord rec;
  ASSERT_TRUE(reader->Next(&rec).ok());
  EXPECT_EQ(rec.ts, 1u);
  EXPECT_EQ(reader->Next(&rec).code(), Status::Code::kCorruption);
}

TEST_F(UlogReaderTest, ReaderOpenedOnAnEmptyDirectoryPicksUpTheFirstFile) {
  auto reader = OpenReader(0);
  UlogRecord rec;
  EXPECT_TRUE(reader->Next(&rec).IsNotFound());
  AppendToFile(dir_.File(1), EncodeRecord(9, 1, 0, VanishBody()));
  ASSERT_TRUE(reader->Next(&rec).ok());
  EXPECT_EQ(rec.ts, 9u);
}

TEST_F(UlogReaderTest, MissingDirectoryIsAnIoError) {
  std::unique_ptr<UlogReader> reader;
  EXPECT_EQ(UlogReader::Open(dir_.path() + "/nope", 0, &reader).code(), Status::Code::kIoError);
}

TEST(UlogFilesTest, ListsOnlyCanonicalRegularFiles) {
  ScratchDir dir;
  AppendToFile(dir.File(2), "");
  AppendToFile(dir.File(10), "");
  AppendToFile(dir.path() + "/3.ulog", "");
  AppendToFile(dir.path() + "/00000004.ulog.bak", "");
  AppendToFile(dir.path() + "/00000000.ulog", "");
  std::filesystem::create_directory(dir.path() + "/00000005.ulog");
  std::vector<uint32_t> numbers;
  ASSERT_TRUE(ListUlogFiles(dir.path(), &numbers).ok());
  EXPECT_EQ(numbers, (std::vector<uint32_t>{2, 10}));
  EXPECT_EQ(UlogFileName("/x", 12), "/x/00000012.ulog");
  EXPECT_EQ(UlogFileName("d", 123456789), "d/123456789.ulog");
}

}  // namespace
}  // namespace tt
