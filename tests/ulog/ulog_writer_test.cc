#include "ulog/ulog_writer.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <stop_token>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "tests/ulog/ulog_test_util.h"
#include "ulog/record.h"
#include "ulog/ulog_reader.h"

namespace tt {
namespace {

// While it lives, a write past `bytes` into a file is short, then fails
// with EFBIG (RLIMIT_FSIZE, its SIGXFSZ ignored).
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    EXPECT_EQ(getrlimit(RLIMIT_FSIZE, &old_limit_), 0);
    old_handler_ = signal(SIGXFSZ, SIG_IGN);
    struct rlimit small = old_limit_;
    small.rlim_cur = bytes;
    EXPECT_EQ(setrlimit(RLIMIT_FSIZE, &small), 0);
  }
  ~FileSizeLimit() {
    setrlimit(RLIMIT_FSIZE, &old_limit_);
    signal(SIGXFSZ, old_handler_);
  }

 private:
  struct rlimit old_limit_;
  sighandler_t old_handler_;
};

class UlogWriterTest : public ::testing::Test {
 protected:
  std::unique_ptr<UlogWriter> OpenWriter(uint64_t limit = 0, UlogSync sync = UlogSync::kNone,
                                         TimestampClock* clock = nullptr) {
    UlogWriterOptions options;
    options.dir = dir_.path();
    options.limit = limit;
    options.sync = sync;
    options.sync_interval_s = 0.01;
    options.clock = clock != nullptr ? clock : &clock_;
    std::unique_ptr<UlogWriter> writer;
    Status s = UlogWriter::Open(options, &writer);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return writer;
  }

  uint64_t Put(UlogWriter* writer, const std::string& key, const std::string& value,
               uint64_t* seq = nullptr) {
    uint64_t ts = 0, s = 0;
    Status st = writer->Append(7, 0, PutBody(key, value), &ts, &s);
    EXPECT_TRUE(st.ok()) << st.ToString();
    if (seq != nullptr) *seq = s;
    return ts;
  }

  uint64_t FileSize(uint32_t number) { return std::filesystem::file_size(dir_.File(number)); }

  ScratchDir dir_;
  TimestampClock clock_;
};

TEST_F(UlogWriterTest, FirstFileIs00000001) {
  auto writer = OpenWriter();
  EXPECT_TRUE(std::filesystem::is_regular_file(dir_.path() + "/00000001.ulog"));
  EXPECT_EQ(writer->Position().file, 1u);
  EXPECT_EQ(writer->Position().offset, 0u);
  uint64_t ts = Put(writer.get(), "foo", "bar");
  EXPECT_EQ(writer->Position().offset, 34u);
  EXPECT_EQ(ReadWholeFile(dir_.File(1)), EncodeRecord(ts, 7, 0, PutBody("foo", "bar")));
}

TEST_F(UlogWriterTest, MissingDirectoryIsAClearError) {
  UlogWriterOptions options;
  options.dir = dir_.path() + "/nope";
  options.clock = &clock_;
  std::unique_ptr<UlogWriter> writer;
  Status s = UlogWriter::Open(options, &writer);
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.message(),
            "update log directory " + options.dir + " does not exist; create it or fix -ulog");
  EXPECT_FALSE(std::filesystem::exists(options.dir));
}

TEST_F(UlogWriterTest, ContinuesInTheHighestCanonicalFile) {
  AppendToFile(dir_.File(1), "");
  AppendToFile(dir_.File(3), EncodeRecord(100, 1, 0, SyncBody()));
  AppendToFile(dir_.path() + "/9.ulog", "");                          // not the canonical name of 9
  std::filesystem::create_directory(dir_.path() + "/00000012.ulog");  // not a regular file
  auto writer = OpenWriter();
  EXPECT_EQ(writer->Position().file, 3u);
  EXPECT_EQ(writer->Position().offset, 20u);
}

TEST_F(UlogWriterTest, RotatesOnceAFileReachesTheLimit) {
  auto writer = OpenWriter(/*limit=*/1024);
  const std::string value(80, 'v');
  const uint64_t record_size = kRecordHeaderSize + PutBody("key", value).size();
  while (writer->Position().file < 4) Put(writer.get(), "key", value);
  // Rotation happens right after the append that reached the limit: a fresh,
  // empty file is current.
  EXPECT_EQ(writer->Position().offset, 0u);
  EXPECT_EQ(FileSize(4), 0u);
  for (uint32_t i = 1; i <= 3; ++i) {
    EXPECT_GE(FileSize(i), 1024u) << i;
    // Over by less than one record, and the checksum record that closes it.
    EXPECT_LT(FileSize(i), 1024u + record_size + kChecksumRecordSize) << i;
  }
  EXPECT_FALSE(std::filesystem::exists(dir_.File(5)));
  EXPECT_EQ(ReadAll(dir_.path()).size(), writer->LastSeq());
}

TEST_F(UlogWriterTest, OversizedRecordStillGoesIntoTheCurrentFile) {
  auto writer = OpenWriter(/*limit=*/100);
  Put(writer.get(), "k", std::string(500, 'x'));
  EXPECT_GT(FileSize(1), 500u);
  EXPECT_EQ(writer->Position().file, 2u);
}

TEST_F(UlogWriterTest, TimestampsStrictlyIncreaseAcrossReopenEvenIfTheClockWentBack) {
  uint64_t future = NowMicros() + 3600ull * 1000000;
  {
    TimestampClock ahead;
    ahead.Observe(future);  // the previous run's clock was an hour ahead
    auto writer = OpenWriter(0, UlogSync::kNone, &ahead);
    uint64_t last = 0;
    for (int i = 0; i < 100; ++i) {
      uint64_t ts = Put(writer.get(), "k", "v");
      EXPECT_GT(ts, last);
      last = ts;
    }
  }
  TimestampClock fresh;
  auto writer = OpenWriter(0, UlogSync::kNone, &fresh);
  EXPECT_GT(Put(writer.get(), "k", "v"), future + 100);
  auto records = ReadAll(dir_.path());
  ASSERT_EQ(records.size(), 101u);
  for (size_t i = 1; i < records.size(); ++i) EXPECT_GT(records[i].ts, records[i - 1].ts);
}

TEST_F(UlogWriterTest, NewestTimestampIsFoundBehindAFreshEmptyFile) {
  uint64_t future = NowMicros() + 3600ull * 1000000;
  uint64_t last;
  {
    TimestampClock ahead;
    ahead.Observe(future);
    auto writer = OpenWriter(/*limit=*/1, UlogSync::kNone, &ahead);
    last = Put(writer.get(), "k", "v");
    ASSERT_EQ(writer->Position().file, 2u);  // rotated: the current file is empty
  }
  TimestampClock fresh;
  auto writer = OpenWriter(/*limit=*/1, UlogSync::kNone, &fresh);
  EXPECT_GT(Put(writer.get(), "k", "v"), last);
}

TEST_F(UlogWriterTest, TornTailIsCutOnReopen) {
  uint64_t first;
  {
    auto writer = OpenWriter();
    first = Put(writer.get(), "foo", "bar");
  }
  const std::string whole = ReadWholeFile(dir_.File(1));
  const std::string torn = EncodeRecord(first + 1, 7, 0, PutBody("half", "written"));
  AppendToFile(dir_.File(1), torn.substr(0, torn.size() / 2));

  auto writer = OpenWriter();
  EXPECT_EQ(FileSize(1), whole.size());
  EXPECT_EQ(writer->Position().offset, whole.size());
  uint64_t next = Put(writer.get(), "after", "repair");
  auto records = ReadAll(dir_.path());
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].ts, first);
  EXPECT_EQ(records[1].ts, next);
  EXPECT_EQ(records[1].body, PutBody("after", "repair"));
}

TEST_F(UlogWriterTest, ZerosAfterTheLastRecordAreCutOnReopen) {
  {
    auto writer = OpenWriter();
    Put(writer.get(), "foo", "bar");
  }
  // The record and the checksum record the writer adds when it closes.
  ASSERT_EQ(FileSize(1), 34u + kChecksumRecordSize);
  AppendToFile(dir_.File(1), std::string(4096, '\0'));  // e.g. zeros after a power loss
  auto writer = OpenWriter();
  EXPECT_EQ(FileSize(1), 34u + kChecksumRecordSize);
  Put(writer.get(), "k", "v");
  EXPECT_EQ(ReadAll(dir_.path()).size(), 2u);
}

// Bytes that are not a record, in the middle of the current file, are
// damage, not a torn tail: cutting there would drop the records after them.
TEST_F(UlogWriterTest, DamageInTheMiddleOfTheCurrentFileIsRefusedNotCut) {
  {
    auto writer = OpenWriter();
    Put(writer.get(), "foo", "bar");
  }
  const uint64_t size = FileSize(1);
  AppendToFile(dir_.File(1),
               std::string("garbage") + EncodeRecord(NowMicros(), 1, 0, PutBody("k", "v")));
  std::unique_ptr<UlogWriter> writer;
  UlogWriterOptions options;
  options.dir = dir_.path();
  options.clock = &clock_;
  Status s = UlogWriter::Open(options, &writer);
  EXPECT_EQ(s.code(), Status::Code::kCorruption) << s.ToString();
  EXPECT_NE(s.message().find("is damaged at offset " + std::to_string(size)), std::string::npos)
      << s.ToString();
  EXPECT_GT(FileSize(1), size) << "the records after the damage were cut";
}

// A byte flipped inside a record's value, where the framing still holds, is
// found by the checksum record after it: at open (the current file) and by
// every reader.
TEST_F(UlogWriterTest, AFlippedByteInsideARecordIsFoundByItsChecksum) {
  {
    auto writer = OpenWriter();
    for (int i = 0; i < 200; ++i) Put(writer.get(), "key" + std::to_string(i), "value");
  }
  std::string bytes = ReadWholeFile(dir_.File(1));
  const size_t at = bytes.find("value", bytes.size() * 3 / 4);
  ASSERT_NE(at, std::string::npos);
  bytes[at] = 'V';
  std::ofstream(dir_.File(1), std::ios::binary | std::ios::trunc) << bytes;
  std::unique_ptr<UlogReader> reader;
  ASSERT_TRUE(UlogReader::Open(dir_.path(), 0, &reader).ok());
  UlogRecord record;
  Status s;
  int returned = 0;
  while ((s = reader->Next(&record)).ok()) {
    EXPECT_EQ(record.body.find("Value"), std::string::npos) << "a changed record was returned";
    ++returned;
  }
  EXPECT_GT(returned, 50);
  EXPECT_LT(returned, 200);
  EXPECT_EQ(s.code(), Status::Code::kCorruption) << s.ToString();
  EXPECT_NE(s.message().find("do not match the checksum record"), std::string::npos)
      << s.ToString();
  std::unique_ptr<UlogWriter> writer;
  UlogWriterOptions options;
  options.dir = dir_.path();
  options.clock = &clock_;
  EXPECT_EQ(UlogWriter::Open(options, &writer).code(), Status::Code::kCorruption);
}

TEST_F(UlogWriterTest, GroupCommitServesEightThreads) {
  auto writer = OpenWriter(/*limit=*/64 * 1024, UlogSync::kAlways);
  constexpr int kThreads = 8;
  constexpr int kPerThread = 200;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        uint64_t ts, seq;
        std::string key = "t" + std::to_string(t) + "-" + std::to_string(i);
        if (!writer->Append(static_cast<uint16_t>(t + 1), 0, PutBody(key, "value"), &ts, &seq)
                 .ok() ||
            !writer->WaitDurable(seq).ok()) {
          ++failures;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(writer->LastSeq(), uint64_t{kThreads * kPerThread});
  auto records = ReadAll(dir_.path());
  ASSERT_EQ(records.size(), size_t{kThreads * kPerThread});
  for (size_t i = 1; i < records.size(); ++i) {
    ASSERT_GT(records[i].ts, records[i - 1].ts) << "file order must be timestamp order";
  }
}

TEST_F(UlogWriterTest, WaitDurableReturnsAtOnceWithoutAlways) {
  auto writer = OpenWriter(0, UlogSync::kNone);
  uint64_t seq;
  Put(writer.get(), "k", "v", &seq);
  EXPECT_TRUE(writer->WaitDurable(seq).ok());
  EXPECT_TRUE(writer->Sync().ok());
}

TEST_F(UlogWriterTest, IntervalSyncThreadStopsWithTheWriter) {
  auto writer = OpenWriter(0, UlogSync::kInterval);
  Put(writer.get(), "k", "v");
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  Put(writer.get(), "k", "w");
  writer.reset();  // joins the thread
  EXPECT_EQ(ReadAll(dir_.path()).size(), 2u);
}

TEST_F(UlogWriterTest, WaitForAppendWakesOnAppendAndTimesOut) {
  auto writer = OpenWriter();
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(writer->WaitForAppend(0, 30), 0u);
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(25));

  std::thread appender([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    Put(writer.get(), "k", "v");
  });
  start = std::chrono::steady_clock::now();
  EXPECT_EQ(writer->WaitForAppend(0, 10000), 1u);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  appender.join();
}

TEST_F(UlogWriterTest, WaitForAppendEndsWhenStopIsRequested) {
  auto writer = OpenWriter();
  std::stop_source stop;
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    stop.request_stop();
  });
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(writer->WaitForAppend(0, 60000, stop.get_token()), 0u);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30));
  stopper.join();
  // Already requested: no wait at all.
  start = std::chrono::steady_clock::now();
  EXPECT_EQ(writer->WaitForAppend(0, 60000, stop.get_token()), 0u);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30));
}

TEST_F(UlogWriterTest, AppendRecordKeepsItsTimestampAndIds) {
  auto writer = OpenWriter();
  uint64_t seq;
  ASSERT_TRUE(writer->AppendRecord(UlogRecord{123, 5, 6, OutBody("k")}, &seq).ok());
  EXPECT_EQ(seq, 1u);
  auto records = ReadAll(dir_.path());
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].ts, 123u);
  EXPECT_EQ(records[0].sid, 5);
  EXPECT_EQ(records[0].mid, 6);
}

TEST_F(UlogWriterTest, FailedAppendLeavesNoPartialRecord) {
  auto writer = OpenWriter();
  Put(writer.get(), "foo", "bar");
  uint64_t ts, seq;
  Status s;
  {
    FileSizeLimit limit(34 + 10);  // the next write stops 10 bytes into the record
    s = writer->Append(7, 0, PutBody("big", std::string(100, 'x')), &ts, &seq);
  }

  EXPECT_EQ(s.code(), Status::Code::kIoError);
  EXPECT_NE(s.message().find(dir_.File(1)), std::string::npos) << s.message();
  EXPECT_EQ(FileSize(1), 34u);
  EXPECT_EQ(writer->Position().offset, 34u);
  Put(writer.get(), "after", "failure");
  auto records = ReadAll(dir_.path());
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[1].body, PutBody("after", "failure"));
}

Status Flush(UlogWriter* writer) {
  uint64_t seq = 0;
  return writer->Flush(&seq);
}

uint64_t PutDeferred(UlogWriter* writer, const std::string& key, const std::string& value) {
  uint64_t ts = 0, seq = 1;
  Status s = writer->Append(7, 0, PutBody(key, value), &ts, &seq, /*deferred=*/true);
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(seq, 0u);
  return ts;
}

std::vector<std::string> Keys(const std::vector<UlogRecord>& records) {
  std::vector<std::string> keys;
  for (const UlogRecord& record : records) {
    ParsedBody body;
    EXPECT_TRUE(ParseBody(record.body, &body).ok());
    keys.emplace_back(body.key);
  }
  return keys;
}

TEST_F(UlogWriterTest, DeferredRecordsWaitForAFlushAndKeepTimestampOrder) {
  auto writer = OpenWriter();
  PutDeferred(writer.get(), "a", "1");
  PutDeferred(writer.get(), "b", "2");
  EXPECT_EQ(FileSize(1), 0u);
  EXPECT_EQ(writer->LastSeq(), 0u) << "followers were woken for records not in the file";
  Put(writer.get(), "c", "3");  // not deferred: the deferred ones go first
  EXPECT_EQ(Keys(ReadAll(dir_.path())), (std::vector<std::string>{"a", "b", "c"}));
  PutDeferred(writer.get(), "d", "4");
  ASSERT_TRUE(Flush(writer.get()).ok());
  const std::vector<UlogRecord> records = ReadAll(dir_.path());
  EXPECT_EQ(Keys(records), (std::vector<std::string>{"a", "b", "c", "d"}));
  for (size_t i = 1; i < records.size(); ++i) EXPECT_GT(records[i].ts, records[i - 1].ts);
  PutDeferred(writer.get(), "e", "5");
  writer.reset();  // closing writes them too
  EXPECT_EQ(ReadAll(dir_.path()).size(), 5u);
}

TEST_F(UlogWriterTest, DeferredRecordsAreWrittenWhenTheyWouldPassTheFileLimit) {
  auto writer = OpenWriter(/*limit=*/1024);
  const std::string value(80, 'v');
  const uint64_t record_size = kRecordHeaderSize + PutBody("key", value).size();
  int records = 0;
  for (; writer->Position().file < 4; ++records) PutDeferred(writer.get(), "key", value);
  for (uint32_t i = 1; i <= 3; ++i) {
    EXPECT_GE(FileSize(i), 1024u) << i;
    // Over by less than one record, and the checksum record that closes it.
    EXPECT_LT(FileSize(i), 1024u + record_size + kChecksumRecordSize) << i;
  }
  ASSERT_TRUE(Flush(writer.get()).ok());
  EXPECT_EQ(ReadAll(dir_.path()).size(), static_cast<size_t>(records));
  // Without a limit they wait until they fill 64 KiB.
  writer.reset();
  auto unlimited = OpenWriter();
  while (FileSize(4) == 0) PutDeferred(unlimited.get(), "key", value);
  EXPECT_GE(FileSize(4), 64u * 1024);
  EXPECT_LT(FileSize(4), 64u * 1024 + record_size + kChecksumRecordSize);
}

TEST_F(UlogWriterTest, AFailedWriteOfDeferredRecordsIsReportedByTheNextFlush) {
  auto writer = OpenWriter();
  Put(writer.get(), "foo", "bar");
  PutDeferred(writer.get(), "lost1", std::string(100, 'x'));
  PutDeferred(writer.get(), "lost2", std::string(100, 'x'));
  uint64_t ts, seq;
  Status s;
  {
    FileSizeLimit limit(34 + 10);  // the next write stops 10 bytes in
    // A write that is not deferred writes them first, and fails with them.
    s = writer->Append(7, 0, PutBody("mine", "v"), &ts, &seq);
  }
  EXPECT_EQ(s.code(), Status::Code::kIoError);
  EXPECT_EQ(FileSize(1), 34u);
  // Their appender hears of it once.
  EXPECT_EQ(Flush(writer.get()).code(), Status::Code::kIoError);
  EXPECT_TRUE(Flush(writer.get()).ok());
  PutDeferred(writer.get(), "after", "failure");
  ASSERT_TRUE(Flush(writer.get()).ok());
  EXPECT_EQ(Keys(ReadAll(dir_.path())), (std::vector<std::string>{"foo", "after"}));
}

// A batch write that fails part-way keeps the whole records it wrote (a
// follower may have read them) and cuts the rest; Flush reports it once.
TEST_F(UlogWriterTest, AFlushThatFailsPartWayKeepsTheWholeRecordsItWrote) {
  auto writer = OpenWriter();
  Put(writer.get(), "foo", "bar");  // 34 bytes
  PutDeferred(writer.get(), "kept", std::string(100, 'x'));
  PutDeferred(writer.get(), "cut", std::string(100, 'x'));
  const uint64_t kept_size = kRecordHeaderSize + PutBody("kept", std::string(100, 'x')).size();
  Status s;
  {
    FileSizeLimit limit(34 + kept_size + 10);
    s = Flush(writer.get());
  }
  EXPECT_EQ(s.code(), Status::Code::kIoError);
  EXPECT_EQ(FileSize(1), 34u + kept_size);
  EXPECT_EQ(writer->Position().offset, 34u + kept_size);
  EXPECT_TRUE(Flush(writer.get()).ok()) << "reported twice";
  Put(writer.get(), "after", "failure");
  EXPECT_EQ(Keys(ReadAll(dir_.path())), (std::vector<std::string>{"foo", "kept", "after"}));
}

}  // namespace
}  // namespace tt
