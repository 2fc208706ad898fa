// mc:: operations (memcached semantics) over a real Engine and update log.
#include "ttserver/memcached/memcached_ops.h"

#include <gtest/gtest.h>

#include <ctime>

#include "common/commands.h"
#include "tests/support/temp_dir.h"
#include "tests/ttserver/session_fixture.h"
#include "ulog/record.h"
#include "ulog/ulog_reader.h"

namespace tt::mc {
namespace {

class MemcachedOpsTest : public tt::testing::SessionFixture {
 protected:
  Result Set(std::string_view key, std::string_view value, uint32_t flags = 0,
             int64_t exptime = 0, uint64_t* cas = nullptr) {
    return Store(context_, {.key = key, .value = value, .flags = flags, .exptime = exptime}, cas);
  }
  Result Do(StoreMode mode, std::string_view key, std::string_view value, uint64_t cas = 0) {
    return Store(context_, {.mode = mode, .key = key, .value = value, .cas = cas});
  }
  std::string ValueOf(std::string_view key) {
    Item item;
    return Get(context_, key, &item) == Result::kStored ? item.value : "<absent>";
  }
};

TEST(MemcachedKeyTest, AnyBytesFromOneToTwoHundredFifty) {
  constexpr size_t kNoLimit = SIZE_MAX;
  EXPECT_TRUE(IsValidKey("foo", kNoLimit));
  EXPECT_TRUE(IsValidKey(std::string(250, 'k'), kNoLimit));
  EXPECT_FALSE(IsValidKey(std::string(251, 'k'), kNoLimit));
  EXPECT_FALSE(IsValidKey("", kNoLimit));
  EXPECT_TRUE(IsValidKey("a\x01", kNoLimit));
  EXPECT_TRUE(IsValidKey("a\x7F\xFF", kNoLimit));
  EXPECT_TRUE(IsValidKey(std::string("a\0b c\n", 6), kNoLimit));
}

TEST(MemcachedKeyTest, AtMostTheServersMaxKey) {
  EXPECT_TRUE(IsValidKey(std::string(10, 'k'), 10));
  EXPECT_FALSE(IsValidKey(std::string(11, 'k'), 10));
}

TEST(MemcachedExpiryTest, RelativeAbsoluteNegativeAndNever) {
  EXPECT_EQ(AbsoluteExpiry(0, 1000), 0);
  EXPECT_EQ(AbsoluteExpiry(10, 1000), 1010);
  EXPECT_EQ(AbsoluteExpiry(kMaxRelativeExptime, 1000), 1000 + kMaxRelativeExptime);
  EXPECT_EQ(AbsoluteExpiry(kMaxRelativeExptime + 1, 1000), kMaxRelativeExptime + 1);
  EXPECT_EQ(AbsoluteExpiry(-1, 1000), 1);
}

TEST_F(MemcachedOpsTest, SetKeepsFlagsAndExpiryAndCasIsTheVersion) {
  uint64_t cas = 0;
  ASSERT_EQ(Set("k", "v", 0xCAFEBABE, 100, &cas), Result::kStored);
  Item item;
  ASSERT_EQ(Get(context_, "k", &item), Result::kStored);
  EXPECT_EQ(item.value, "v");
  EXPECT_EQ(item.meta.flags, 0xCAFEBABEu);
  EXPECT_NEAR(static_cast<double>(item.meta.expires_at), static_cast<double>(time(nullptr) + 100),
              2);
  EXPECT_EQ(item.meta.Cas(), cas);
  EXPECT_EQ(item.meta.version, cas);
}

TEST_F(MemcachedOpsTest, NegativeExptimeStoresAnAlreadyExpiredItem) {
  EXPECT_EQ(Set("k", "v", 0, -1), Result::kStored);
  Item item;
  EXPECT_EQ(Get(context_, "k", &item), Result::kNotFound);
  EXPECT_EQ(stats_.get_expired.load(), 1u);
  EXPECT_EQ(engine_->Count(), 0u) << "the read purged the expired value";
}

TEST_F(MemcachedOpsTest, AddReplaceAppendPrepend) {
  EXPECT_EQ(Do(StoreMode::kReplace, "k", "x"), Result::kNotStored);
  EXPECT_EQ(Do(StoreMode::kAppend, "k", "x"), Result::kNotStored);
  EXPECT_EQ(Do(StoreMode::kPrepend, "k", "x"), Result::kNotStored);
  EXPECT_EQ(Do(StoreMode::kAdd, "k", "mid"), Result::kStored);
  EXPECT_EQ(Do(StoreMode::kAdd, "k", "again"), Result::kNotStored);
  EXPECT_EQ(Do(StoreMode::kAppend, "k", ">"), Result::kStored);
  EXPECT_EQ(Do(StoreMode::kPrepend, "k", "<"), Result::kStored);
  EXPECT_EQ(ValueOf("k"), "<mid>");
  EXPECT_EQ(Do(StoreMode::kReplace, "k", "new"), Result::kStored);
  EXPECT_EQ(ValueOf("k"), "new");
  EXPECT_EQ(stats_.put_miss.load(), 4u);
  EXPECT_EQ(stats_.CommandCount(kCmdPutKeep), 2u);
  EXPECT_EQ(stats_.CommandCount(kCmdPutCat), 2u);
}

TEST_F(MemcachedOpsTest, AppendKeepsTheItemsFlags) {
  ASSERT_EQ(Set("k", "a", 7), Result::kStored);
  ASSERT_EQ(Store(context_, {.mode = StoreMode::kAppend, .key = "k", .value = "b", .flags = 9}),
            Result::kStored);
  Item item;
  ASSERT_EQ(Get(context_, "k", &item), Result::kStored);
  EXPECT_EQ(item.value, "ab");
  EXPECT_EQ(item.meta.flags, 7u);
}

TEST_F(MemcachedOpsTest, CasStoresOnlyWithTheCurrentUnique) {
  EXPECT_EQ(Do(StoreMode::kCas, "k", "v", 1), Result::kNotFound);
  uint64_t cas = 0;
  ASSERT_EQ(Set("k", "v1", 0, 0, &cas), Result::kStored);
  EXPECT_EQ(Do(StoreMode::kCas, "k", "v2", cas + 1), Result::kExists);
  EXPECT_EQ(Do(StoreMode::kCas, "k", "v2", cas), Result::kStored);
  EXPECT_EQ(Do(StoreMode::kCas, "k", "v3", cas), Result::kExists);
  EXPECT_EQ(ValueOf("k"), "v2");
  EXPECT_EQ(stats_.cas_hits.load(), 1u);
  EXPECT_EQ(stats_.cas_badval.load(), 2u);
  EXPECT_EQ(stats_.cas_misses.load(), 1u);
}

TEST_F(MemcachedOpsTest, ExplicitCasIsKeptAndInvalidateMarksStale) {
  ASSERT_EQ(Store(context_, {.key = "k", .value = "v", .new_cas = 500}), Result::kStored);
  Item item;
  ASSERT_EQ(Get(context_, "k", &item), Result::kStored);
  EXPECT_EQ(item.meta.Cas(), 500u);
  ASSERT_EQ(Store(context_, {.key = "k", .value = "old", .cas = 400, .invalidate = true}),
            Result::kStored);
  ASSERT_EQ(Get(context_, "k", &item), Result::kStored);
  EXPECT_EQ(item.value, "old");
  EXPECT_EQ(item.meta.state & kValueStale, kValueStale);
}

TEST_F(MemcachedOpsTest, IncrWrapsDecrStopsAtZeroNonNumericRefused) {
  DeltaResult value;
  EXPECT_EQ(Delta(context_, {.key = "n", .delta = 1}, &value), Result::kNotFound);
  ASSERT_EQ(Set("n", "18446744073709551615"), Result::kStored);
  ASSERT_EQ(Delta(context_, {.key = "n", .delta = 2}, &value), Result::kStored);
  EXPECT_EQ(value.value, 1u);
  ASSERT_EQ(Delta(context_, {.key = "n", .incr = false, .delta = 5}, &value), Result::kStored);
  EXPECT_EQ(value.value, 0u);
  EXPECT_EQ(ValueOf("n"), "0");
  ASSERT_EQ(Set("s", "12abc"), Result::kStored);
  EXPECT_EQ(Delta(context_, {.key = "s", .delta = 1}, &value), Result::kNonNumeric);
  ASSERT_EQ(Set("s", "-3"), Result::kStored);
  EXPECT_EQ(Delta(context_, {.key = "s", .delta = 1}, &value), Result::kNonNumeric);
  ASSERT_EQ(Set("s", "7 "), Result::kStored);
  EXPECT_EQ(Delta(context_, {.key = "s", .delta = 1}, &value), Result::kStored);
  EXPECT_EQ(value.value, 8u);
  EXPECT_EQ(stats_.incr_misses.load(), 1u);
  EXPECT_EQ(stats_.incr_hits.load(), 4u);
  EXPECT_EQ(stats_.decr_hits.load(), 1u);
}

TEST_F(MemcachedOpsTest, DeltaVivifiesWithTheInitialValue) {
  DeltaResult value;
  ASSERT_EQ(Delta(context_, {.key = "n", .delta = 5, .vivify = true, .initial = 10}, &value),
            Result::kStored);
  EXPECT_EQ(value.value, 10u);
  ASSERT_EQ(Delta(context_, {.key = "n", .delta = 5, .vivify = true, .initial = 10}, &value),
            Result::kStored);
  EXPECT_EQ(value.value, 15u);
  EXPECT_FALSE(value.created);
}

TEST_F(MemcachedOpsTest, DeltaAndDeleteSetTheExpiryInTheSameWrite) {
  ASSERT_EQ(Set("n", "1"), Result::kStored);
  DeltaResult result;
  ASSERT_EQ(Delta(context_, {.key = "n", .delta = 1, .touch = true, .touch_exptime = 100}, &result),
            Result::kStored);
  EXPECT_NEAR(static_cast<double>(result.meta.expires_at),
              static_cast<double>(time(nullptr) + 100), 2);
  ASSERT_EQ(Delete(context_, {.key = "n", .invalidate = true, .touch = true, .exptime = -1}),
            Result::kStored);
  Item item;
  EXPECT_EQ(Get(context_, "n", &item), Result::kNotFound) << "invalidated and expired at once";
}

TEST_F(MemcachedOpsTest, VivifyCreatesOnceAndTheTokenIsClaimedOnce) {
  Item item;
  ASSERT_EQ(Vivify(context_, "v", 30, 0, &item), Result::kStored);
  EXPECT_EQ(item.value, "");
  EXPECT_TRUE(item.meta.state & kValueWinTokenSent);
  EXPECT_EQ(Vivify(context_, "v", 30, 0, &item), Result::kNotFound);
  uint64_t cas = 0;
  ASSERT_EQ(Set("w", "x", 0, 0, &cas), Result::kStored);
  EXPECT_TRUE(ClaimRecacheToken(context_, "w", cas));
  EXPECT_FALSE(ClaimRecacheToken(context_, "w", cas)) << "the token is handed out once";
  ASSERT_EQ(Peek(context_, "w", &item), Result::kStored);
  EXPECT_EQ(item.meta.Cas(), cas) << "claiming the token keeps the CAS";
  EXPECT_EQ(stats_.CommandCount(kCmdGet), 0u) << "Peek is not a get";
}

TEST_F(MemcachedOpsTest, TouchChangesExpiryButNotTheCas) {
  uint64_t cas = 0;
  ASSERT_EQ(Set("k", "v", 3, 0, &cas), Result::kStored);
  Item item;
  ASSERT_EQ(Touch(context_, "k", -1, &item), Result::kStored);
  EXPECT_EQ(item.value, "v");
  EXPECT_EQ(item.meta.Cas(), cas);
  EXPECT_EQ(Get(context_, "k", &item), Result::kNotFound);
  EXPECT_EQ(Touch(context_, "k", 10), Result::kNotFound);
  EXPECT_EQ(stats_.touch_hits.load(), 1u);
  EXPECT_EQ(stats_.touch_misses.load(), 1u);
}

TEST_F(MemcachedOpsTest, DeleteWithCasAndInvalidate) {
  uint64_t cas = 0;
  ASSERT_EQ(Set("k", "v", 0, 0, &cas), Result::kStored);
  EXPECT_EQ(Delete(context_, {.key = "k", .cas = cas + 1}), Result::kExists);
  EXPECT_EQ(Delete(context_, {.key = "k", .invalidate = true}), Result::kStored);
  Item item;
  ASSERT_EQ(Get(context_, "k", &item), Result::kStored);
  EXPECT_TRUE(item.meta.state & kValueStale);
  EXPECT_EQ(Delete(context_, {.key = "k"}), Result::kStored);
  EXPECT_EQ(Delete(context_, {.key = "k"}), Result::kNotFound);
  EXPECT_EQ(stats_.out_miss.load(), 1u);
}

TEST_F(MemcachedOpsTest, ItemsOverTheLimitAreTooLargeAndAppendsPastItNotStored) {
  context_.limits.mc_item_max = 5;  // key and value together
  EXPECT_EQ(Set("k", "12345"), Result::kTooLarge);
  ASSERT_EQ(Set("k", "1234"), Result::kStored);
  EXPECT_EQ(Do(StoreMode::kAppend, "k", "5"), Result::kNotStored);
  EXPECT_EQ(Do(StoreMode::kPrepend, "k", "0"), Result::kNotStored);
  EXPECT_EQ(ValueOf("k"), "1234");
}

TEST_F(MemcachedOpsTest, RefusedTooLargeSetRemovesTheOldValueButOtherModesKeepIt) {
  ASSERT_EQ(Set("k", "old"), Result::kStored);
  RefuseTooLarge(context_, StoreMode::kAppend, "k");
  EXPECT_EQ(ValueOf("k"), "old");
  RefuseTooLarge(context_, StoreMode::kSet, "k");
  EXPECT_EQ(ValueOf("k"), "<absent>");
  EXPECT_EQ(stats_.put_miss.load(), 2u);
}

TEST_F(MemcachedOpsTest, FlushNowEmptiesAndDelayedFlushIsScheduled) {
  ASSERT_EQ(Set("a", "1"), Result::kStored);
  FlushWork work = Flush(context_, 0);
  ASSERT_TRUE(work);
  EXPECT_EQ(engine_->Count(), 1u) << "an immediate flush is work for the caller to run";
  ASSERT_EQ(work(), Result::kStored);
  EXPECT_EQ(engine_->Count(), 0u);
  ASSERT_FALSE(Flush(context_, 60)) << "a delayed flush is only scheduled";
  const int64_t deadline = memcache_.flush_deadline();
  EXPECT_NEAR(static_cast<double>(deadline), static_cast<double>(time(nullptr) + 60), 2);
  EXPECT_FALSE(memcache_.TakeDueFlush(deadline - 1));
  EXPECT_TRUE(memcache_.TakeDueFlush(deadline));
  EXPECT_FALSE(memcache_.TakeDueFlush(deadline)) << "a due flush is handed out once";
}

TEST_F(MemcachedOpsTest, LastFetchIsKnownAfterAGet) {
  ASSERT_EQ(Set("k", "v"), Result::kStored);
  Item item;
  ASSERT_EQ(Get(context_, "k", &item), Result::kStored);
  EXPECT_EQ(item.last_fetch_us, 0u) << "not fetched since it was written";
  ASSERT_EQ(Get(context_, "k", &item), Result::kStored);
  EXPECT_GE(item.last_fetch_us, item.meta.version);
  ASSERT_EQ(Set("k", "w"), Result::kStored);
  ASSERT_EQ(Get(context_, "k", &item), Result::kStored);
  EXPECT_EQ(item.last_fetch_us, 0u) << "a fetch before the write does not count";
}

class MemcachedOpsLogTest : public tt::testing::SessionFixture {
 protected:
  void SetUp() override { Open("*", dir_.path()); }
  tt::testing::TempDir dir_;
};

TEST_F(MemcachedOpsLogTest, MetadataIsLoggedAsPutmetaAndPlainSetsAsPut) {
  ASSERT_EQ(Store(context_, {.key = "plain", .value = "v"}), Result::kStored);
  ASSERT_EQ(Store(context_, {.key = "meta", .value = "w", .flags = 5, .exptime = 2000000000}),
            Result::kStored);
  ulog_.reset();
  std::unique_ptr<UlogReader> reader;
  ASSERT_TRUE(UlogReader::Open(dir_.path(), 0, &reader).ok());
  UlogRecord record;
  ASSERT_TRUE(reader->Next(&record).ok());
  EXPECT_EQ(static_cast<uint8_t>(record.body[1]), kCmdPut);
  ASSERT_TRUE(reader->Next(&record).ok());
  ParsedBody body;
  ASSERT_TRUE(ParseBody(record.body, &body).ok());
  EXPECT_EQ(body.command, kRecordPutMeta);
  EXPECT_EQ(body.key, "meta");
  EXPECT_EQ(body.value, "w");
  EXPECT_EQ(body.meta.flags, 5u);
  EXPECT_EQ(body.meta.expires_at, 2000000000);
}

}  // namespace
}  // namespace tt::mc
