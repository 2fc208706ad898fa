// Replication-stream records: header decoding with its size limit, and the
// file-format / ttulmgr-export re-encodings that `tcrmgr repl` prints.
#include "client/wire_record.h"

#include <gtest/gtest.h>

#include "tests/client/test_support.h"

namespace tt {
namespace {

using testing::Bytes;

// Vector 1's put, as the spec shows it on the replication wire (sid 7).
const char kWirePut[] =
    "C9 00 06 60 C5 B4 45 2C C2 00 00 00 07 00 00 00 11 "
    "C8 10 00 00 00 03 00 00 00 03 66 6F 6F 62 61 72 00";
const char kPutBody[] = "C8 10 00 00 00 03 00 00 00 03 66 6F 6F 62 61 72 00";

TEST(WireRecordTest, DecodesCapturedHeader) {
  std::string wire = Bytes(kWirePut);
  uint64_t ts = 0;
  uint32_t sid = 0, size = 0;
  ASSERT_TRUE(DecodeWireRecordHeader(wire.substr(0, 17), &ts, &sid, &size).ok());
  EXPECT_EQ(ts, 1795252109520066u);
  EXPECT_EQ(sid, 7u);
  EXPECT_EQ(size, 17u);
}

TEST(WireRecordTest, DecodesGetlistRecordFromSpec) {
  std::string wire = Bytes(
      "C9 00 06 60 C5 87 7E BE 75 00 00 00 01 00 00 00 1B C8 90 00 00 00 07 00 00 00 01 67 65 74 "
      "6C 69 73 74 00 00 00 05 6B 31 00 6B 32 00");
  uint64_t ts = 0;
  uint32_t sid = 0, size = 0;
  ASSERT_TRUE(DecodeWireRecordHeader(wire, &ts, &sid, &size).ok());
  EXPECT_EQ(sid, 1u);
  EXPECT_EQ(size, wire.size() - 17);
}

TEST(WireRecordTest, OversizedBodyIsRejectedBeforeReading) {
  std::string header = Bytes("C9 0000000000000001 00000001 FFFFFFFF");
  uint64_t ts;
  uint32_t sid, size;
  Status s = DecodeWireRecordHeader(header, &ts, &sid, &size);
  EXPECT_EQ(s.code(), Status::Code::kProtocol);
  // A caller may tighten the limit.
  header = Bytes("C9 0000000000000001 00000001 00000011");
  EXPECT_EQ(DecodeWireRecordHeader(header, &ts, &sid, &size, 16).code(), Status::Code::kProtocol);
  EXPECT_TRUE(DecodeWireRecordHeader(header, &ts, &sid, &size, 17).ok());
}

TEST(WireRecordTest, WrongMagicOrShortHeaderIsCorruption) {
  uint64_t ts;
  uint32_t sid, size;
  EXPECT_EQ(DecodeWireRecordHeader(Bytes("C8 0000000000000001 00000001 00000000"), &ts, &sid, &size)
                .code(),
            Status::Code::kCorruption);
  EXPECT_EQ(DecodeWireRecordHeader(Bytes("C9 00"), &ts, &sid, &size).code(),
            Status::Code::kCorruption);
}

TEST(WireRecordTest, EncodeWireRecordMatchesSpec) {
  ReplRecord r{1795252109520066, 7, Bytes(kPutBody)};
  EXPECT_EQ(EncodeWireRecord(r), Bytes(kWirePut));
}

TEST(WireRecordTest, FileRecordHasSixteenBitSidAndMid) {
  ReplRecord r{1795252109520066, 7, Bytes(kPutBody)};
  // The captured ulog bytes of spec/README.md, with mid 0 ...
  EXPECT_EQ(EncodeFileRecord(r, 0),
            Bytes("C9 00 06 60 C5 B4 45 2C C2 00 07 00 00 00 00 00 11 C8 10 00 00 00 03 00 00 00 "
                  "03 66 6F 6F 62 61 72 00"));
  // ... and with the master's id in the mid field.
  EXPECT_EQ(EncodeFileRecord(r, 3).substr(9, 4), Bytes("00 07 00 03"));
}

TEST(WireRecordTest, ExportLineMatchesTtulmgr) {
  ReplRecord r{1795252109520066, 7, Bytes(kPutBody)};
  EXPECT_EQ(FormatExportLine(r, 0),
            "1795252109520066\t7:0\tput\tC8 10 00 00 00 03 00 00 00 03 66 6F 6F 62 61 72 00\n");
}

TEST(WireRecordTest, ShortBodyIsBrokenEntry) {
  ReplRecord r{5, 2, Bytes("C8")};
  EXPECT_EQ(FormatExportLine(r, 1), "5\t2:1\t[broken entry]\n");
}

}  // namespace
}  // namespace tt
