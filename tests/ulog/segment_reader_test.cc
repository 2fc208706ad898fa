#include "ulog/segment_reader.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <optional>

#include "ulog/record.h"

namespace tt {
namespace {

TEST(SegmentReaderTest, PartialRecordCutOffByTheWriterIsNotJoinedToTheNextOne) {
  char pattern[] = "/tmp/tt-segment-XXXXXX";
  std::string dir = mkdtemp(pattern);
  std::string path = dir + "/00000001.ulog";
  std::string first, second, third;
  EncodeFileRecord({1, 1, 0, PutBody("a", "1")}, &first);
  EncodeFileRecord({2, 1, 0, PutBody("b", "22222222")}, &second);
  EncodeFileRecord({3, 1, 0, PutBody("c", "3")}, &third);
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  ASSERT_EQ(write(fd, first.data(), first.size()), static_cast<ssize_t>(first.size()));
  // A failed append left half a record, which the reader sees...
  ASSERT_EQ(write(fd, second.data(), 20), 20);
  std::optional<SegmentReader> reader;
  ASSERT_TRUE(SegmentReader::Open(path, &reader).ok());
  UlogRecord rec;
  Status error;
  ASSERT_EQ(reader->Next(&rec, &error), DecodeResult::kOk);
  EXPECT_EQ(rec.ts, 1u);
  EXPECT_EQ(reader->Next(&rec, &error), DecodeResult::kNeedMore);
  // ...before the writer cuts it off and appends the next record there.
  ASSERT_EQ(ftruncate(fd, static_cast<off_t>(first.size())), 0);
  ASSERT_EQ(write(fd, third.data(), third.size()), static_cast<ssize_t>(third.size()));
  close(fd);
  ASSERT_EQ(reader->Next(&rec, &error), DecodeResult::kOk);
  EXPECT_EQ(rec.ts, 3u);
  EXPECT_EQ(rec.body, PutBody("c", "3"));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace tt
