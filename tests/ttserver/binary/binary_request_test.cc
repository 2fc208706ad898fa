#include "ttserver/binary/binary_request.h"

#include <gtest/gtest.h>

#include "common/commands.h"
#include "common/hex.h"

namespace tt {
namespace {

std::string Hex(const char* hex) { return *HexDecode(hex); }

ParseStatus Parse(const std::string& in, BinaryRequest* req, size_t* consumed,
                  const Limits& limits = Limits{}) {
  std::string error;
  return ParseBinaryRequest(in, limits, req, consumed, &error);
}

TEST(BinaryRequestTest, PutFedOneByteAtATimeNeedsMoreUntilWhole) {
  std::string put = Hex("C8 10 00 00 00 03 00 00 00 03 66 6F 6F 62 61 72");
  BinaryRequest req;
  size_t consumed = 0;
  for (size_t n = 0; n < put.size(); ++n) {
    ASSERT_EQ(Parse(put.substr(0, n), &req, &consumed), ParseStatus::kNeedMore) << n;
  }
  ASSERT_EQ(Parse(put, &req, &consumed), ParseStatus::kComplete);
  EXPECT_EQ(consumed, put.size());
  EXPECT_EQ(req.command, kCmdPut);
  EXPECT_EQ(req.key, "foo");
  EXPECT_EQ(req.value, "bar");
}

TEST(BinaryRequestTest, PipelinedRequestsParseOneAfterAnother) {
  std::string in = Hex("C8 30 00 00 00 01 61 C8 80 C8 20 00 00 00 01 62");
  BinaryRequest req;
  size_t consumed = 0, offset = 0;
  std::vector<uint8_t> commands;
  while (offset < in.size()) {
    ASSERT_EQ(Parse(in.substr(offset), &req, &consumed), ParseStatus::kComplete);
    commands.push_back(req.command);
    offset += consumed;
  }
  EXPECT_EQ(commands, (std::vector<uint8_t>{kCmdGet, kCmdRnum, kCmdOut}));
}

TEST(BinaryRequestTest, TwoGigabyteValueIsRefusedFromItsHeader) {
  BinaryRequest req;
  size_t consumed = 0;
  std::string error;
  // put with vsiz 0x80000000: refused after the 10 header bytes, before any body.
  EXPECT_EQ(ParseBinaryRequest(Hex("C8 10 00 00 00 01 80 00 00 00"), Limits{}, &req, &consumed,
                               &error),
            ParseStatus::kInvalid);
  EXPECT_NE(error.find("value length"), std::string::npos);
}

TEST(BinaryRequestTest, ValueOverTheConfiguredLimitIsRefused) {
  Limits limits;
  limits.max_value = 4;
  BinaryRequest req;
  size_t consumed = 0;
  EXPECT_EQ(Parse(Hex("C8 10 00 00 00 01 00 00 00 05"), &req, &consumed, limits),
            ParseStatus::kInvalid);
}

TEST(BinaryRequestTest, UnknownCommandAndNegativeWidthAreInvalid) {
  BinaryRequest req;
  size_t consumed = 0;
  EXPECT_EQ(Parse(Hex("C8 FF"), &req, &consumed), ParseStatus::kInvalid);
  EXPECT_EQ(Parse(Hex("C8 13 00 00 00 01 00 00 00 01 FF FF FF FF 6B 76"), &req, &consumed),
            ParseStatus::kInvalid);
}

TEST(BinaryRequestTest, MgetCountOverTheLimitIsInvalid) {
  BinaryRequest req;
  size_t consumed = 0;
  EXPECT_EQ(Parse(Hex("C8 31 00 10 00 01"), &req, &consumed), ParseStatus::kInvalid);
}

TEST(BinaryRequestTest, MiscArgumentsAreViewsIntoTheInput) {
  std::string in = Hex("C8 90 00 00 00 03 00 00 00 00 00 00 00 02 70 75 74 00 00 00 01 6B 00 00 00 01 76");
  BinaryRequest req;
  size_t consumed = 0;
  ASSERT_EQ(Parse(in, &req, &consumed), ParseStatus::kComplete);
  EXPECT_EQ(req.text, "put");
  ASSERT_EQ(req.list.size(), 2u);
  EXPECT_EQ(req.list[0], "k");
  EXPECT_EQ(req.list[1], "v");
}

TEST(BinaryRequestTest, ReplWithZeroSidIsInvalid) {
  BinaryRequest req;
  size_t consumed = 0;
  EXPECT_EQ(Parse(Hex("C8 A0 00 00 00 00 00 00 00 01 00 00 00 00"), &req, &consumed),
            ParseStatus::kInvalid);
}

}  // namespace
}  // namespace tt
