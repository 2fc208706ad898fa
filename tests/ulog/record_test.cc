#include "ulog/record.h"

#include <gtest/gtest.h>

#include "common/coding.h"
#include "common/commands.h"
#include "common/hex.h"

namespace tt {
namespace {

std::string Hex(std::string_view text) { return *HexDecode(text); }

// spec/README.md, "Update-log record (captured, vector 1's put)".
const std::string kCapturedPutRecord = Hex(
    "C9 00 06 60 C5 B4 45 2C C2 00 07 00 00 00 00 00 11 C8 10 00 00 00 03 00 00 00 03 66 6F 6F 62 "
    "61 72 00");

TEST(RecordTest, EncodesTheCapturedPutRecordByteForByte) {
  UlogRecord rec{1795252109520066, 7, 0, PutBody("foo", "bar")};
  std::string out;
  EncodeFileRecord(rec, &out);
  EXPECT_EQ(HexSpaced(out), HexSpaced(kCapturedPutRecord));
}

TEST(RecordTest, DecodesTheCapturedPutRecord) {
  UlogRecord rec;
  size_t consumed = 0;
  ASSERT_EQ(DecodeFileRecord(kCapturedPutRecord, &rec, &consumed), DecodeResult::kOk);
  EXPECT_EQ(consumed, 34u);
  EXPECT_EQ(rec.ts, 1795252109520066u);
  EXPECT_EQ(rec.sid, 7);
  EXPECT_EQ(rec.mid, 0);
  EXPECT_EQ(rec.body, PutBody("foo", "bar"));
}

TEST(RecordTest, FileRecordBecomesTheCapturedWireRecord) {
  UlogRecord rec;
  size_t consumed = 0;
  ASSERT_EQ(DecodeFileRecord(kCapturedPutRecord, &rec, &consumed), DecodeResult::kOk);
  std::string wire;
  EncodeWireRecord(rec, &wire);
  EXPECT_EQ(HexSpaced(wire.substr(0, 19)),
            "C9 00 06 60 C5 B4 45 2C C2 00 00 00 07 00 00 00 11 C8 10");
  EXPECT_EQ(wire.size(), kCapturedPutRecord.size());
}

// The same put on the replication wire (spec/README.md, sid 7 as 32 bits, no mid).
const std::string kCapturedWirePut = Hex(
    "C9 00 06 60 C5 B4 45 2C C2 00 00 00 07 00 00 00 11 C8 10 00 00 00 03 00 00 00 03 66 6F 6F 62 "
    "61 72 00");

TEST(RecordTest, EncodesTheCapturedWirePutByteForByte) {
  std::string wire;
  EncodeWireRecord(UlogRecord{1795252109520066, 7, 0, PutBody("foo", "bar")}, &wire);
  EXPECT_EQ(HexSpaced(wire), HexSpaced(kCapturedWirePut));
}

TEST(RecordTest, FileRecordHasSixteenBitSidAndMid) {
  std::string out;
  EncodeFileRecord(UlogRecord{1795252109520066, 7, 3, PutBody("foo", "bar")}, &out);
  EXPECT_EQ(HexSpaced(out.substr(9, 4)), "00 07 00 03");
}

TEST(RecordTest, PeekReadsTimestampAndBodySizeOfEitherForm) {
  for (const std::string& record : {kCapturedPutRecord, kCapturedWirePut}) {
    uint64_t ts = 0;
    uint32_t size = 0;
    ASSERT_TRUE(
        PeekRecordHeader(std::string_view(record).substr(0, kRecordHeaderSize), &ts, &size));
    EXPECT_EQ(ts, 1795252109520066u);
    EXPECT_EQ(size, 17u);
  }
}

TEST(RecordTest, PeekNeedsOnlyTheBytesOfTheFieldsAskedFor) {
  std::string_view header = std::string_view(kCapturedPutRecord).substr(0, kRecordHeaderSize);
  uint64_t ts = 0;
  uint32_t size = 0;
  EXPECT_FALSE(PeekRecordHeader(header.substr(0, 8), &ts, nullptr));
  ASSERT_TRUE(PeekRecordHeader(header.substr(0, 9), &ts, nullptr));
  EXPECT_EQ(ts, 1795252109520066u);
  EXPECT_FALSE(PeekRecordHeader(header.substr(0, kRecordHeaderSize - 1), &ts, &size));
  EXPECT_TRUE(PeekRecordHeader(header, &ts, &size));
}

TEST(RecordTest, DecodesTheCapturedWireMiscRecord) {
  // ulog-and-replication.md §4.2: misc getlist from sid 1.
  std::string wire = Hex(
      "C9 00 06 60 C5 87 7E BE 75 00 00 00 01 00 00 00 1B C8 90 00 00 00 07 00 00 00 01 67 65 74 "
      "6C 69 73 74 00 00 00 05 6B 31 00 6B 32 00");
  UlogRecord rec;
  size_t consumed = 0;
  ASSERT_EQ(DecodeWireRecord(wire, &rec, &consumed), DecodeResult::kOk);
  EXPECT_EQ(consumed, wire.size());
  EXPECT_EQ(rec.sid, 1);
  EXPECT_EQ(rec.mid, 0);
  ParsedBody body;
  ASSERT_TRUE(ParseBody(rec.body, &body).ok());
  EXPECT_EQ(body.command, kCmdMisc);
  EXPECT_EQ(body.misc_name, "getlist");
  ASSERT_EQ(body.misc_args.size(), 1u);
  EXPECT_EQ(body.misc_args[0], std::string_view("k1\0k2", 5));
  EXPECT_TRUE(body.expect_success);

  std::string back;
  EncodeWireRecord(rec, &back);
  EXPECT_EQ(back, wire);
}

TEST(RecordTest, WireDecodeNeedsMoreUntilTheBodyIsWhole) {
  std::string wire;
  EncodeWireRecord(UlogRecord{5, 3, 0, PutBody("k", "v")}, &wire);
  UlogRecord rec;
  size_t consumed = 0;
  for (size_t n = 0; n < wire.size(); ++n) {
    EXPECT_EQ(DecodeWireRecord(std::string_view(wire).substr(0, n), &rec, &consumed),
              DecodeResult::kNeedMore)
        << n;
  }
  EXPECT_EQ(DecodeWireRecord(wire, &rec, &consumed), DecodeResult::kOk);
}

TEST(RecordTest, TruncatedRecordNeedsMoreAtEveryLength) {
  UlogRecord rec;
  size_t consumed = 0;
  for (size_t n = 0; n < kCapturedPutRecord.size(); ++n) {
    EXPECT_EQ(DecodeFileRecord(std::string_view(kCapturedPutRecord).substr(0, n), &rec, &consumed),
              DecodeResult::kNeedMore)
        << n;
  }
}

TEST(RecordTest, RecordNotStartingWithC9IsCorrupt) {
  UlogRecord rec;
  size_t consumed = 0;
  std::string bad = kCapturedPutRecord;
  bad[0] = '\xC8';
  EXPECT_EQ(DecodeFileRecord(bad, &rec, &consumed), DecodeResult::kCorrupt);
  EXPECT_EQ(DecodeFileRecord(std::string_view("\x00", 1), &rec, &consumed), DecodeResult::kCorrupt);
}

TEST(RecordTest, WireRecordNotStartingWithC9IsCorrupt) {
  UlogRecord rec;
  size_t consumed = 0;
  std::string bad = kCapturedWirePut;
  bad[0] = '\xC8';
  EXPECT_EQ(DecodeWireRecord(bad, &rec, &consumed), DecodeResult::kCorrupt);
  EXPECT_EQ(DecodeWireRecord(std::string_view(bad).substr(0, 2), &rec, &consumed),
            DecodeResult::kCorrupt);
}

TEST(RecordTest, TwoRecordsInOneBufferDecodeInTurn) {
  std::string buf;
  EncodeFileRecord(UlogRecord{1, 1, 2, OutBody("a")}, &buf);
  EncodeFileRecord(UlogRecord{2, 3, 4, VanishBody()}, &buf);
  UlogRecord rec;
  size_t consumed = 0;
  ASSERT_EQ(DecodeFileRecord(buf, &rec, &consumed), DecodeResult::kOk);
  EXPECT_EQ(rec.mid, 2);
  ASSERT_EQ(DecodeFileRecord(std::string_view(buf).substr(consumed), &rec, &consumed),
            DecodeResult::kOk);
  EXPECT_EQ(rec.ts, 2u);
  EXPECT_EQ(rec.sid, 3);
  EXPECT_EQ(rec.mid, 4);
  EXPECT_EQ(rec.body, VanishBody());
}

TEST(RecordTest, BodyBuildersMatchTheOriginalsLayouts) {
  EXPECT_EQ(HexSpaced(PutBody("foo", "bar")), "C8 10 00 00 00 03 00 00 00 03 66 6F 6F 62 61 72 00");
  EXPECT_EQ(HexSpaced(OutBody("foo")), "C8 20 00 00 00 03 66 6F 6F 00");
  EXPECT_EQ(HexSpaced(VanishBody()), "C8 72 00");
  EXPECT_EQ(HexSpaced(SyncBody()), "C8 70 00");
  EXPECT_EQ(HexSpaced(OptimizeBody("bnum=9")), "C8 71 00 00 00 06 62 6E 75 6D 3D 39 00");
}

TEST(ParseBodyTest, ParsesPutFamily) {
  for (uint8_t cmd : {kCmdPut, kCmdPutKeep, kCmdPutCat, kCmdPutNr}) {
    std::string body = PutBody("key", "value");
    body[1] = static_cast<char>(cmd);
    body.back() = 1;
    ParsedBody parsed;
    ASSERT_TRUE(ParseBody(body, &parsed).ok()) << int{cmd};
    EXPECT_EQ(parsed.command, cmd);
    EXPECT_EQ(parsed.key, "key");
    EXPECT_EQ(parsed.value, "value");
    EXPECT_FALSE(parsed.expect_success);
  }
}

TEST(OriginalCompatibleTest, PutmetaBecomesThePutOfTheSameKeyAndValue) {
  std::string body = PutMetaBody("k", "vv", ValueMeta{.flags = 7, .expires_at = 99, .cas = 3});
  MakeOriginalCompatible(&body);
  EXPECT_EQ(body, Hex("C8 10 00 00 00 01 00 00 00 02 6B 76 76 00"));
}

TEST(OriginalCompatibleTest, BodiesTheOriginalWritesStayAsTheyAre) {
  for (std::string body : {PutBody("k", "v"), OutBody("k"), VanishBody(), OptimizeBody("x"),
                           Hex("C8 90 00 00 00 07 00 00 00 01 67 65 74 6C 69 73 74 00 00 00 05 "
                               "6B 31 00 6B 32 00")}) {
    const std::string before = body;
    MakeOriginalCompatible(&body);
    EXPECT_EQ(body, before);
  }
}

TEST(OriginalCompatibleTest, MalformedPutmetaIsLeftAsItIs) {
  std::string body = PutMetaBody("key", "value", ValueMeta{.flags = 1});
  body.resize(body.size() - 4);
  body.push_back('\0');
  const std::string before = body;
  MakeOriginalCompatible(&body);
  EXPECT_EQ(body, before);
}

TEST(ParseBodyTest, PutmetaCarriesTheMemcachedMetadata) {
  ValueMeta meta{.flags = 0x01020304, .expires_at = 0x0A0B, .state = kValueStale, .cas = 0x99};
  std::string body = PutMetaBody("k", "vv", meta);
  EXPECT_EQ(body, Hex("C8 B0 00 00 00 01 00 00 00 02 01 02 03 04 00 00 00 00 00 00 0A 0B 01 "
                      "00 00 00 00 00 00 00 99 6B 76 76 00"));
  ParsedBody parsed;
  ASSERT_TRUE(ParseBody(body, &parsed).ok());
  EXPECT_EQ(parsed.command, kRecordPutMeta);
  EXPECT_EQ(parsed.key, "k");
  EXPECT_EQ(parsed.value, "vv");
  EXPECT_EQ(parsed.meta.flags, meta.flags);
  EXPECT_EQ(parsed.meta.expires_at, meta.expires_at);
  EXPECT_EQ(parsed.meta.state, meta.state);
  EXPECT_EQ(parsed.meta.cas, meta.cas);
  for (size_t cut = 3; cut + 1 < body.size(); ++cut) {
    std::string truncated = body.substr(0, cut);
    truncated.push_back('\0');
    EXPECT_FALSE(ParseBody(truncated, &parsed).ok()) << "cut at " << cut;
  }
  EXPECT_EQ(RecordKindName(kRecordPutMeta), "putmeta");
  EXPECT_EQ(RecordKindName(kCmdPut), "put");
}

TEST(ParseBodyTest, StoreBodyIsAPlainPutWithoutMetadata) {
  EXPECT_EQ(StoreBody("k", "v", ValueMeta{.version = 5}), PutBody("k", "v"));
  EXPECT_EQ(StoreBody("k", "v", ValueMeta{.flags = 1}),
            PutMetaBody("k", "v", ValueMeta{.flags = 1}));
}

TEST(ParseBodyTest, ParsesPutShlWithWidth) {
  std::string body = Hex("C8 13 00 00 00 01 00 00 00 02 00 00 00 05 6B 76 76 00");
  ParsedBody parsed;
  ASSERT_TRUE(ParseBody(body, &parsed).ok());
  EXPECT_EQ(parsed.command, kCmdPutShl);
  EXPECT_EQ(parsed.key, "k");
  EXPECT_EQ(parsed.value, "vv");
  EXPECT_EQ(parsed.width, 5);
  EXPECT_TRUE(parsed.expect_success);
}

TEST(ParseBodyTest, ParsesOut) {
  const std::string body = OutBody("gone");  // parsed views point into it
  ParsedBody parsed;
  ASSERT_TRUE(ParseBody(body, &parsed).ok());
  EXPECT_EQ(parsed.command, kCmdOut);
  EXPECT_EQ(parsed.key, "gone");
}

TEST(ParseBodyTest, ParsesAddIntFromTheCapturedRequest) {
  // spec/README.md vector 4b (addint counter += -2) plus a result byte.
  std::string body = Hex("C8 60 00 00 00 07 FF FF FF FE 63 6F 75 6E 74 65 72 00");
  ParsedBody parsed;
  ASSERT_TRUE(ParseBody(body, &parsed).ok());
  EXPECT_EQ(parsed.command, kCmdAddInt);
  EXPECT_EQ(parsed.key, "counter");
  EXPECT_EQ(parsed.int_delta, -2);
}

TEST(ParseBodyTest, ParsesAddDoubleFromTheCapturedRequest) {
  // spec/README.md vector 7 (adddouble d += -5.5) plus a failure result byte.
  std::string body = Hex("C8 61 00 00 00 01 FF FF FF FF FF FF FF FB FF FF FF 8B 95 AD 78 00 64 01");
  ParsedBody parsed;
  ASSERT_TRUE(ParseBody(body, &parsed).ok());
  EXPECT_EQ(parsed.command, kCmdAddDouble);
  EXPECT_EQ(parsed.key, "d");
  EXPECT_EQ(parsed.double_integ, -5);
  EXPECT_EQ(parsed.double_fract, -500000000000);
  EXPECT_FALSE(parsed.expect_success);
}

TEST(ParseBodyTest, ParsesSyncVanishAndOptimize) {
  ParsedBody parsed;
  ASSERT_TRUE(ParseBody(SyncBody(), &parsed).ok());
  EXPECT_EQ(parsed.command, kCmdSync);
  ASSERT_TRUE(ParseBody(VanishBody(), &parsed).ok());
  EXPECT_EQ(parsed.command, kCmdVanish);
  const std::string optimize = OptimizeBody("bnum=9");
  ASSERT_TRUE(ParseBody(optimize, &parsed).ok());
  EXPECT_EQ(parsed.command, kCmdOptimize);
  EXPECT_EQ(parsed.value, "bnum=9");
}

TEST(ParseBodyTest, SyncAndVanishMustBeExactlyThreeBytes) {
  ParsedBody parsed;
  EXPECT_EQ(ParseBody(Hex("C8 70 00 00"), &parsed).code(), Status::Code::kCorruption);
  EXPECT_EQ(ParseBody(Hex("C8 72 00 00"), &parsed).code(), Status::Code::kCorruption);
}

TEST(ParseBodyTest, ParsesMiscWithoutOptsField) {
  std::string body = Hex("C8 90 00 00 00 03 00 00 00 02 70 75 74 00 00 00 01 61 00 00 00 00 00");
  ParsedBody parsed;
  ASSERT_TRUE(ParseBody(body, &parsed).ok());
  EXPECT_EQ(parsed.misc_name, "put");
  ASSERT_EQ(parsed.misc_args.size(), 2u);
  EXPECT_EQ(parsed.misc_args[0], "a");
  EXPECT_EQ(parsed.misc_args[1], "");
}

TEST(ParseBodyTest, RejectsBodiesWhoseLengthsOverrun) {
  const char* bad[] = {
      "C8 10 00 00 00 04 00 00 00 03 66 6F 6F 62 61 72 00",  // ksiz one too many
      "C8 10 00 00 00 03 00 00 00 04 66 6F 6F 62 61 72 00",  // vsiz one too many
      "C8 10 FF FF FF FF 00 00 00 00 00",                    // huge ksiz
      "C8 10 00 00 00 00 00",                                // header cut short
      "C8 13 00 00 00 01 00 00 00 01 00 00 00 00",           // putshl width cut short
      "C8 20 00 00 00 05 6B 00",                             // out key overruns
      "C8 60 00 00 00 01 00 00 00 00",                       // addint delta cut short
      "C8 61 00 00 00 02 00 00 00 00 00 00 00 01 00 00 00 00 00 00 00 00 6B 00",  // adddouble
      "C8 71 00 00 00 09 62 00",                             // optimize params overrun
      "C8 90 00 00 00 09 00 00 00 00 6E 00",                 // misc name overruns
      "C8 90 00 00 00 01 00 00 00 02 6E 00 00 00 01 61 00",  // misc second argument missing
      "C8 90 00 00 00 01 FF FF FF FF 6E 00",                 // misc huge argc
      "C8 90 00 00 00 01 00 00 00 01 6E 00 00 00 05 61 00",  // misc argument overruns
      "C8 10 00 00 00 01 00 00 00 01 6B 76 99 00",           // stray byte before the result
  };
  for (const char* hex : bad) {
    ParsedBody parsed;
    EXPECT_EQ(ParseBody(Hex(hex), &parsed).code(), Status::Code::kCorruption) << hex;
  }
}

TEST(ParseBodyTest, RejectsShortOrForeignBodies) {
  ParsedBody parsed;
  EXPECT_EQ(ParseBody(Hex("C8 10"), &parsed).code(), Status::Code::kCorruption);
  EXPECT_EQ(ParseBody(Hex("C9 70 00"), &parsed).code(), Status::Code::kCorruption);
  EXPECT_EQ(ParseBody(Hex("C8 30 00 00 00 01 6B 00"), &parsed).code(),
            Status::Code::kUnsupported);  // get is never logged
}

}  // namespace
}  // namespace tt
