// Request bytes of every command, byte for byte: the captured vectors of
// spec/README.md where they exist, else the field layout of
// spec/binary-protocol.md §2 spelled out by hand.
#include "client/requests.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "common/tt_double.h"
#include "tests/client/test_support.h"

namespace tt {
namespace {

using testing::Bytes;

TEST(RequestsTest, PutMatchesCapturedVector1) {
  EXPECT_EQ(requests::KeyValue(kCmdPut, "foo", "bar"),
            Bytes("C8 10 00 00 00 03 00 00 00 03 66 6F 6F 62 61 72"));
}

TEST(RequestsTest, PutFamilyDiffersOnlyInCommandByte) {
  EXPECT_EQ(requests::KeyValue(kCmdPutKeep, "k", "vv"), Bytes("C8 11 00000001 00000002 6B 7676"));
  EXPECT_EQ(requests::KeyValue(kCmdPutCat, "k", "vv"), Bytes("C8 12 00000001 00000002 6B 7676"));
  EXPECT_EQ(requests::KeyValue(kCmdPutNr, "k", "vv"), Bytes("C8 18 00000001 00000002 6B 7676"));
}

TEST(RequestsTest, PutShlPutsWidthBetweenSizesAndKey) {
  EXPECT_EQ(requests::PutShl("sh", "abc", 5),
            Bytes("C8 13 00000002 00000003 00000005 7368 616263"));
}

TEST(RequestsTest, GetMatchesCapturedVectors2And3) {
  EXPECT_EQ(requests::Key(kCmdGet, "foo"), Bytes("C8 30 00 00 00 03 66 6F 6F"));
  EXPECT_EQ(requests::Key(kCmdGet, "nope"), Bytes("C8 30 00 00 00 04 6E 6F 70 65"));
}

TEST(RequestsTest, OutAndVsizCarryOneKey) {
  EXPECT_EQ(requests::Key(kCmdOut, "ab"), Bytes("C8 20 00000002 6162"));
  EXPECT_EQ(requests::Key(kCmdVsiz, "ab"), Bytes("C8 38 00000002 6162"));
}

TEST(RequestsTest, EmptyKeyIsAZeroLength) {
  EXPECT_EQ(requests::Key(kCmdGet, ""), Bytes("C8 30 00000000"));
}

TEST(RequestsTest, MgetMatchesCapturedVector5) {
  EXPECT_EQ(requests::MGet({"foo", "nope", "counter"}),
            Bytes("C8 31 00 00 00 03 00 00 00 03 66 6F 6F 00 00 00 04 6E 6F 70 65 00 00 00 07 63 "
                  "6F 75 6E 74 65 72"));
}

TEST(RequestsTest, AddIntMatchesCapturedVectors4And4b) {
  EXPECT_EQ(requests::AddInt("counter", 42),
            Bytes("C8 60 00 00 00 07 00 00 00 2A 63 6F 75 6E 74 65 72"));
  EXPECT_EQ(requests::AddInt("counter", -2),
            Bytes("C8 60 00 00 00 07 FF FF FF FE 63 6F 75 6E 74 65 72"));
}

TEST(RequestsTest, AddDoubleMatchesCapturedVectors6And7) {
  EXPECT_EQ(requests::AddDouble("d", 3.75),
            Bytes("C8 61 00 00 00 01 00 00 00 00 00 00 00 03 00 00 00 AE 9F 7B CC 00 64"));
  EXPECT_EQ(requests::AddDouble("d", -5.5),
            Bytes("C8 61 00 00 00 01 FF FF FF FF FF FF FF FB FF FF FF 8B 95 AD 78 00 64"));
}

TEST(RequestsTest, BareCommandsAreTwoBytes) {
  EXPECT_EQ(requests::Bare(kCmdIterInit), Bytes("C8 50"));
  EXPECT_EQ(requests::Bare(kCmdIterNext), Bytes("C8 51"));
  EXPECT_EQ(requests::Bare(kCmdSync), Bytes("C8 70"));
  EXPECT_EQ(requests::Bare(kCmdVanish), Bytes("C8 72"));
  EXPECT_EQ(requests::Bare(kCmdRnum), Bytes("C8 80"));
  EXPECT_EQ(requests::Bare(kCmdSize), Bytes("C8 81"));
  EXPECT_EQ(requests::Bare(kCmdStat), Bytes("C8 88"));
}

TEST(RequestsTest, FwmKeysSendsSignedMax) {
  EXPECT_EQ(requests::FwmKeys("pre", -1), Bytes("C8 58 00000003 FFFFFFFF 707265"));
  EXPECT_EQ(requests::FwmKeys("", 10), Bytes("C8 58 00000000 0000000A"));
}

TEST(RequestsTest, ExtPutsAllSizesBeforeTheStrings) {
  EXPECT_EQ(requests::Ext("fn", 1, "k", "vw"),
            Bytes("C8 68 00000002 00000001 00000001 00000002 666E 6B 7677"));
}

TEST(RequestsTest, OptimizeAndCopyCarryOneString) {
  EXPECT_EQ(requests::PathLike(kCmdOptimize, "bnum=9"), Bytes("C8 71 00000006 626E756D3D39"));
  EXPECT_EQ(requests::PathLike(kCmdOptimize, ""), Bytes("C8 71 00000000"));
  EXPECT_EQ(requests::PathLike(kCmdCopy, "/b"), Bytes("C8 73 00000002 2F62"));
}

TEST(RequestsTest, RestoreSendsTimestampAndOptions) {
  EXPECT_EQ(requests::Restore("u", 0x0102030405060708, 1),
            Bytes("C8 74 00000001 0102030405060708 00000001 75"));
}

TEST(RequestsTest, SetMstSendsPortTimestampOptionsThenHost) {
  EXPECT_EQ(requests::SetMst("h", 1978, 5, 1),
            Bytes("C8 78 00000001 000007BA 0000000000000005 00000001 68"));
  EXPECT_EQ(requests::SetMst("", 1978, 0, 0),
            Bytes("C8 78 00000000 000007BA 0000000000000000 00000000"));
}

TEST(RequestsTest, MiscHasOptionsAndArgumentCountBeforeName) {
  EXPECT_EQ(requests::Misc("getlist", {"k1", "k2"}, 1),
            Bytes("C8 90 00000007 00000001 00000002 6765746C697374 00000002 6B31 00000002 6B32"));
  EXPECT_EQ(requests::Misc("sync", {}, 0), Bytes("C8 90 00000004 00000000 00000000 73796E63"));
}

TEST(RequestsTest, ReplHandshakeMatchesCapturedBytes) {
  EXPECT_EQ(requests::Repl(0x000660C5877EBE75, 0x63),
            Bytes("C8 A0 00 06 60 C5 87 7E BE 75 00 00 00 63"));
}

// The double encoding with the spec's observed vectors (binary-protocol.md §3.11).
TEST(TtDoubleTest, EncodesObservedVectors) {
  TtDouble a = EncodeTtDouble(1.5);
  EXPECT_EQ(a.integ, 1);
  EXPECT_EQ(a.fract, 500000000000);
  TtDouble b = EncodeTtDouble(-0.25);
  EXPECT_EQ(b.integ, 0);
  EXPECT_EQ(b.fract, -250000000000);
  TtDouble c = EncodeTtDouble(-5.5);
  EXPECT_EQ(c.integ, -5);
  EXPECT_EQ(c.fract, -500000000000);
  TtDouble d = EncodeTtDouble(-1.75);
  EXPECT_EQ(d.integ, -1);
  EXPECT_EQ(d.fract, -750000000000);
}

TEST(TtDoubleTest, RoundTripsToTwelveDecimals) {
  for (double x : {0.0, 1.5, -0.25, -5.5, 3.75, -1.75, 123456.789012, -98765.000001}) {
    EXPECT_NEAR(DecodeTtDouble(EncodeTtDouble(x)), x, 1e-9) << x;
  }
}

TEST(TtDoubleTest, SpecialValuesRoundTrip) {
  EXPECT_TRUE(std::isnan(DecodeTtDouble(EncodeTtDouble(std::nan("")))));
  EXPECT_EQ(DecodeTtDouble(EncodeTtDouble(std::numeric_limits<double>::infinity())),
            std::numeric_limits<double>::infinity());
  EXPECT_EQ(DecodeTtDouble(EncodeTtDouble(-std::numeric_limits<double>::infinity())),
            -std::numeric_limits<double>::infinity());
}

}  // namespace
}  // namespace tt
