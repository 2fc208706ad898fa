// ReadReplItem (client/repl_stream.h) over streams captured in a buffer.
#include "client/repl_stream.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/client/test_support.h"
#include "ulog/record.h"

namespace tt::testing {
namespace {

// The spec's captured put foo=bar in the wire form (sid 7).
const std::string kPutRecord =
    "C9 00 06 60 C5 B4 45 2C C2 00 00 00 07 00 00 00 11 C8 10 00 00 00 03 00 00 00 03 66 6F 6F 62 "
    "61 72 00";

struct Item {
  Status status;
  ReplItem kind = ReplItem::kNop;
  UlogRecord record;
  bool replace = false;
};

Item Next(BufferSource& source, bool extended) {
  Item item;
  item.status =
      ReadReplItem(source, extended, "master:1978", &item.kind, &item.record, &item.replace);
  return item;
}

TEST(ReplStreamTest, ReadsRecordsAndNopsOfThePlainStream) {
  const std::string stream = Bytes("CA " + kPutRecord + " CA");
  BufferSource source(stream);
  Item nop = Next(source, false);
  ASSERT_TRUE(nop.status.ok());
  EXPECT_EQ(nop.kind, ReplItem::kNop);
  Item put = Next(source, false);
  ASSERT_TRUE(put.status.ok()) << put.status.ToString();
  EXPECT_EQ(put.kind, ReplItem::kRecord);
  EXPECT_EQ(put.record.ts, 1795252109520066u);
  EXPECT_EQ(put.record.sid, 7);
  EXPECT_EQ(put.record.mid, 0);
  EXPECT_EQ(put.record.body, Bytes("C8 10 00 00 00 03 00 00 00 03 66 6F 6F 62 61 72 00"));
  EXPECT_EQ(Next(source, false).kind, ReplItem::kNop);
  EXPECT_EQ(source.remaining(), 0u);
  EXPECT_EQ(Next(source, false).status.code(), Status::Code::kNetwork);
}

TEST(ReplStreamTest, ReadsTheSnapshotItemsOfTheExtendedStream) {
  std::string snapshot_record = Bytes(kPutRecord);
  snapshot_record[0] = static_cast<char>(0xCC);
  const std::string stream = Bytes("CB 00 00 00 00 00 00 00 2A 01") + snapshot_record + Bytes("CD");
  BufferSource source(stream);
  Item begin = Next(source, true);
  ASSERT_TRUE(begin.status.ok());
  EXPECT_EQ(begin.kind, ReplItem::kSnapshotBegin);
  EXPECT_EQ(begin.record.ts, 42u);
  EXPECT_TRUE(begin.replace);
  Item record = Next(source, true);
  ASSERT_TRUE(record.status.ok());
  EXPECT_EQ(record.kind, ReplItem::kSnapshotRecord);
  EXPECT_EQ(record.record.body.size(), 17u);
  EXPECT_EQ(Next(source, true).kind, ReplItem::kSnapshotEnd);
}

TEST(ReplStreamTest, ExtendedItemsOnThePlainStreamAreProtocolErrors) {
  for (const char* hex :
       {"CB 00 00 00 00 00 00 00 2A 01", "CD", "CF 00 00 00 00 00 00 00 01", "00"}) {
    const std::string stream = Bytes(hex);
    BufferSource source(stream);
    EXPECT_EQ(Next(source, false).status.code(), Status::Code::kProtocol) << hex;
  }
}

TEST(ReplStreamTest, LogGapIsNotFoundWithTheOldestTimestamp) {
  const std::string stream = Bytes("CF 00 00 00 00 00 00 01 00");
  BufferSource source(stream);
  Item gap = Next(source, true);
  EXPECT_TRUE(gap.status.IsNotFound());
  EXPECT_EQ(gap.record.ts, 256u);
  EXPECT_NE(gap.status.message().find("master:1978"), std::string::npos);
}

TEST(ReplStreamTest, OversizedBodyIsRefusedBeforeItIsRead) {
  // kMaxReplBody + 1 bytes announced (0x20000041); none of them sent.
  const std::string stream = Bytes("C9 00 00 00 00 00 00 00 01 00 00 00 07 20 00 00 41");
  BufferSource source(stream);
  EXPECT_EQ(Next(source, false).status.code(), Status::Code::kProtocol);
}

TEST(ReplStreamTest, TruncatedRecordIsTheSourcesError) {
  const std::string whole = Bytes(kPutRecord);
  for (size_t cut : {size_t{1}, size_t{16}, whole.size() - 1}) {
    const std::string stream = whole.substr(0, cut);
    BufferSource source(stream);
    EXPECT_EQ(Next(source, false).status.code(), Status::Code::kNetwork) << cut;
  }
}

}  // namespace
}  // namespace tt::testing
