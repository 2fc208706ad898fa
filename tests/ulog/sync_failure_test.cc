// Group commit when fdatasync fails. This test binary replaces libc's
// fdatasync with one that can be told to fail, so it lives in its own
// executable.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include "ulog/record.h"
#include "ulog/ulog_writer.h"

namespace {
int fail_next_fdatasync = 0;
}  // namespace

extern "C" int fdatasync(int fd) {
  if (fail_next_fdatasync > 0) {
    --fail_next_fdatasync;
    errno = EIO;
    return -1;
  }
  return fsync(fd);
}

namespace tt {
namespace {

// An update log in a directory of its own, with --ulog-sync always.
struct SyncAlwaysLog {
  SyncAlwaysLog() {
    char pattern[] = "/tmp/tt-syncfail-XXXXXX";
    dir = mkdtemp(pattern);
    UlogWriterOptions options;
    options.dir = dir;
    options.sync = UlogSync::kAlways;
    options.clock = &clock;
    EXPECT_TRUE(UlogWriter::Open(options, &writer).ok());
  }
  ~SyncAlwaysLog() {
    writer.reset();
    std::filesystem::remove_all(dir);
  }
  std::string dir;
  TimestampClock clock;
  std::unique_ptr<UlogWriter> writer;
};

TEST(UlogSyncFailureTest, RecordCoveredOnlyByAFailedSyncIsNeverAcknowledged) {
  SyncAlwaysLog log;
  std::unique_ptr<UlogWriter>& writer = log.writer;
  uint64_t ts, first, second, third;
  std::string body = PutBody("k", "v");
  ASSERT_TRUE(writer->Append(1, 0, body, &ts, &first).ok());  // its writer has not waited yet
  ASSERT_TRUE(writer->Append(1, 0, body, &ts, &second).ok());
  fail_next_fdatasync = 1;
  EXPECT_FALSE(writer->WaitDurable(second).ok());
  ASSERT_TRUE(writer->Append(1, 0, body, &ts, &third).ok());
  EXPECT_TRUE(writer->WaitDurable(third).ok());
  // The first record's pages went through the failed fdatasync only.
  EXPECT_FALSE(writer->WaitDurable(first).ok());
}

// A replication slave's deferred records, written by a client's write whose
// fdatasync failed: the sequence Flush gives for them is never durable, so
// the slave does not save a position over them (repl/replicator.h).
TEST(UlogSyncFailureTest, DeferredRecordsCoveredOnlyByAFailedSyncAreNeverDurable) {
  SyncAlwaysLog log;
  std::unique_ptr<UlogWriter>& writer = log.writer;
  uint64_t ts, deferred_seq, client, flushed;
  std::string body = PutBody("k", "v");
  ASSERT_TRUE(writer->Append(1, 1, body, &ts, &deferred_seq, /*deferred=*/true).ok());
  ASSERT_TRUE(writer->Append(2, 0, body, &ts, &client).ok());  // writes the batch first
  fail_next_fdatasync = 1;
  EXPECT_FALSE(writer->WaitDurable(client).ok());
  ASSERT_TRUE(writer->Flush(&flushed).ok());  // nothing left to write
  EXPECT_FALSE(writer->WaitDurable(flushed).ok());
}

}  // namespace
}  // namespace tt
