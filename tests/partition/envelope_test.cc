#include "partition/envelope.h"

#include <gtest/gtest.h>

#include <string>

namespace tt {
namespace {

TEST(EnvelopeTest, RoundTripsWithoutFlagsOrExpiry) {
  std::string stored;
  EncodeEnvelope({.version = 123456789}, "payload", &stored);
  EXPECT_EQ(stored.size(), 1u + 8u + 7u);
  EXPECT_EQ(static_cast<uint8_t>(stored[0]), 0x10);
  ValueMeta meta;
  std::string_view payload;
  ASSERT_TRUE(DecodeEnvelope(stored, &meta, &payload));
  EXPECT_EQ(meta.version, 123456789u);
  EXPECT_EQ(meta.flags, 0u);
  EXPECT_EQ(meta.expires_at, 0);
  EXPECT_EQ(payload, "payload");
}

TEST(EnvelopeTest, RoundTripsFlagsAndExpiry) {
  std::string stored;
  EncodeEnvelope({.version = ~uint64_t{0}, .flags = 0xDEADBEEF, .expires_at = 1700000000},
                 std::string_view("a\0b", 3), &stored);
  EXPECT_EQ(static_cast<uint8_t>(stored[0]), 0x13);
  ValueMeta meta;
  std::string_view payload;
  ASSERT_TRUE(DecodeEnvelope(stored, &meta, &payload));
  EXPECT_EQ(meta.version, ~uint64_t{0});
  EXPECT_EQ(meta.flags, 0xDEADBEEFu);
  EXPECT_EQ(meta.expires_at, 1700000000);
  EXPECT_EQ(payload, std::string_view("a\0b", 3));
}

TEST(EnvelopeTest, EncodesFieldsBigEndianInGrammarOrder) {
  std::string stored;
  EncodeEnvelope({.version = 0x0102030405060708, .flags = 0x0A0B0C0D, .expires_at = 0x10}, "",
                 &stored);
  const std::string expected(
      "\x13\x01\x02\x03\x04\x05\x06\x07\x08\x0A\x0B\x0C\x0D"
      "\x00\x00\x00\x00\x00\x00\x00\x10",
      21);
  EXPECT_EQ(stored, expected);
}

TEST(EnvelopeTest, RoundTripsExpiryAloneAndEmptyPayload) {
  std::string stored;
  EncodeEnvelope({.version = 7, .expires_at = 42}, "", &stored);
  EXPECT_EQ(static_cast<uint8_t>(stored[0]), 0x12);
  ValueMeta meta;
  std::string_view payload = "junk";
  ASSERT_TRUE(DecodeEnvelope(stored, &meta, &payload));
  EXPECT_EQ(meta.flags, 0u);
  EXPECT_EQ(meta.expires_at, 42);
  EXPECT_TRUE(payload.empty());
}

TEST(EnvelopeTest, EncodeClearsTheOutput) {
  std::string stored = "previous contents";
  EncodeEnvelope({.version = 1}, "x", &stored);
  EXPECT_EQ(stored.size(), 10u);
}

TEST(EnvelopeTest, RejectsEmptyAndTruncatedInput) {
  std::string stored;
  EncodeEnvelope({.version = 5, .flags = 9, .expires_at = 99}, "", &stored);
  ValueMeta meta;
  std::string_view payload;
  // Every proper prefix is too short for the fields its tag announces.
  for (size_t n = 0; n < stored.size(); ++n) {
    EXPECT_FALSE(DecodeEnvelope(std::string_view(stored).substr(0, n), &meta, &payload))
        << "prefix of " << n << " bytes";
  }
  EXPECT_TRUE(DecodeEnvelope(stored, &meta, &payload));
}

TEST(EnvelopeTest, RejectsWrongTagNibble) {
  std::string stored;
  EncodeEnvelope({.version = 5}, "payload", &stored);
  ValueMeta meta;
  std::string_view payload;
  for (int tag : {0x00, 0x20, 0x90, 0xF0}) {
    stored[0] = static_cast<char>(tag);
    EXPECT_FALSE(DecodeEnvelope(stored, &meta, &payload)) << "tag " << tag;
  }
}

TEST(EnvelopeTest, RoundTripsStateAndClientCas) {
  std::string stored;
  EncodeEnvelope({.version = 7, .state = kValueStale | kValueWinTokenSent, .cas = 0x0102030405060708},
                 "v", &stored);
  EXPECT_EQ(stored, std::string("\x1C\x00\x00\x00\x00\x00\x00\x00\x07\x03"
                                "\x01\x02\x03\x04\x05\x06\x07\x08v",
                                19));
  ValueMeta meta;
  std::string_view payload;
  ASSERT_TRUE(DecodeEnvelope(stored, &meta, &payload));
  EXPECT_EQ(meta.state, kValueStale | kValueWinTokenSent);
  EXPECT_EQ(meta.cas, 0x0102030405060708u);
  EXPECT_EQ(meta.Cas(), 0x0102030405060708u);
  EXPECT_EQ(payload, "v");
  for (size_t n = 0; n < 18; ++n) {
    EXPECT_FALSE(DecodeEnvelope(stored.substr(0, n), &meta, &payload)) << "prefix of " << n;
  }
}

TEST(EnvelopeTest, CasIsTheVersionUnlessAClientChoseOne) {
  EXPECT_EQ((ValueMeta{.version = 42}).Cas(), 42u);
  EXPECT_EQ((ValueMeta{.version = 42, .cas = 9}).Cas(), 9u);
}

TEST(EnvelopeTest, ExpiryIsInclusiveAndZeroNeverExpires) {
  EXPECT_FALSE(IsExpired({.expires_at = 0}, 1 << 30));
  EXPECT_FALSE(IsExpired({.expires_at = 100}, 99));
  EXPECT_TRUE(IsExpired({.expires_at = 100}, 100));
  EXPECT_TRUE(IsExpired({.expires_at = 100}, 101));
}

}  // namespace
}  // namespace tt
