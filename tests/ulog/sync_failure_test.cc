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

TEST(UlogSyncFailureTest, RecordCoveredOnlyByAFailedSyncIsNeverAcknowledged) {
  char pattern[] = "/tmp/tt-syncfail-XXXXXX";
  std::string dir = mkdtemp(pattern);
  TimestampClock clock;
  UlogWriterOptions options;
  options.dir = dir;
  options.sync = UlogSync::kAlways;
  options.clock = &clock;
  std::unique_ptr<UlogWriter> writer;
  ASSERT_TRUE(UlogWriter::Open(options, &writer).ok());
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
  writer.reset();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace tt
