#include "common/coding.h"

#include <gtest/gtest.h>

namespace tt {
namespace {

TEST(CodingTest, IntegersAreBigEndian) {
  std::string out;
  PutU16(&out, 0x0102);
  PutU32(&out, 0x03040506);
  PutU64(&out, 0x0708090A0B0C0D0Eull);
  EXPECT_EQ(out, std::string("\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0A\x0B\x0C\x0D\x0E", 14));
  EXPECT_EQ(DecodeU16(out.data()), 0x0102);
  EXPECT_EQ(DecodeU32(out.data() + 2), 0x03040506u);
  EXPECT_EQ(DecodeU64(out.data() + 6), 0x0708090A0B0C0D0Eull);
}

TEST(CodingTest, HighBitBytesDecodeUnsigned) {
  const char bytes[] = "\xFF\xFF\xFF\xFE";
  EXPECT_EQ(DecodeU32(bytes), 0xFFFFFFFEu);
}

TEST(ByteReaderTest, ShortInputConsumesNothing) {
  ByteReader reader(std::string_view("\x00\x00\x00", 3));
  uint32_t v;
  EXPECT_FALSE(reader.ReadU32(&v));
  EXPECT_EQ(reader.remaining(), 3u);
  std::string_view bytes;
  EXPECT_FALSE(reader.ReadBytes(4, &bytes));
  EXPECT_TRUE(reader.ReadBytes(3, &bytes));
  EXPECT_EQ(reader.remaining(), 0u);
}

TEST(ByteReaderTest, SignedFieldsAreTwosComplement) {
  ByteReader reader(std::string_view("\xFF\xFF\xFF\xFE\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFB", 12));
  int32_t a;
  int64_t b;
  ASSERT_TRUE(reader.ReadI32(&a));
  ASSERT_TRUE(reader.ReadI64(&b));
  EXPECT_EQ(a, -2);
  EXPECT_EQ(b, -5);
}

}  // namespace
}  // namespace tt
