// The Engine over a real in-memory Kyoto Cabinet store and a real update log.
#include "engine/engine.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <functional>
#include <thread>

#include "common/commands.h"
#include "ulog/record.h"
#include "ulog/ulog_reader.h"

namespace tt {
namespace {

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/tt-engine-XXXXXX";
    dir_ = mkdtemp(pattern);
    ASSERT_TRUE(OpenStore({.name = "*"}, &store_).ok());
    UlogWriterOptions options;
    options.dir = dir_;
    options.clock = &clock_;
    ASSERT_TRUE(UlogWriter::Open(options, &ulog_).ok());
    engine_ = std::make_unique<Engine>(
        Engine::Options{.store = store_.get(), .ulog = ulog_.get(), .clock = &clock_, .sid = 9});
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string GetOr(std::string_view key, std::string missing = "<absent>") {
    std::string value;
    return engine_->Get(key, &value).ok() ? value : missing;
  }

  // Every record in the log, in order.
  std::vector<UlogRecord> LogRecords() {
    std::unique_ptr<UlogReader> reader;
    EXPECT_TRUE(UlogReader::Open(dir_, 0, &reader).ok());
    std::vector<UlogRecord> records;
    UlogRecord rec;
    while (reader->Next(&rec).ok()) records.push_back(rec);
    return records;
  }

  std::string dir_;
  TimestampClock clock_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<UlogWriter> ulog_;
  std::unique_ptr<Engine> engine_;
};

TEST_F(EngineTest, PutFamilyFollowsTheOriginal) {
  EXPECT_TRUE(engine_->Put("k", "v1").ok());
  EXPECT_EQ(engine_->PutKeep("k", "v2").code(), Status::Code::kExists);
  EXPECT_EQ(GetOr("k"), "v1");
  EXPECT_TRUE(engine_->PutCat("k", "+").ok());
  EXPECT_EQ(GetOr("k"), "v1+");
  EXPECT_TRUE(engine_->Out("k").ok());
  EXPECT_TRUE(engine_->Out("k").IsNotFound());
  EXPECT_EQ(GetOr("k"), "<absent>");
}

TEST_F(EngineTest, PutShlMatchesTheObservedSequence) {
  const std::pair<const char*, int> steps[] = {{"abc", 5}, {"defg", 5}, {"XY", 3},
                                               {"LONGVALUE", 4}, {"z", 0}};
  const char* expected[] = {"abc", "cdefg", "gXY", "ALUE", ""};
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(engine_->PutShl("sh", steps[i].first, steps[i].second).ok());
    EXPECT_EQ(GetOr("sh"), expected[i]) << "step " << i;
  }
  ASSERT_TRUE(engine_->PutShl("sh2", "hello", 2).ok());
  EXPECT_EQ(GetOr("sh2"), "hello");  // an absent key is stored whole
}

TEST_F(EngineTest, AddIntStoresLittleEndianInt32AndRejectsOtherSizes) {
  int32_t sum = 0;
  ASSERT_TRUE(engine_->AddInt("c", 42, &sum).ok());
  EXPECT_EQ(sum, 42);
  ASSERT_TRUE(engine_->AddInt("c", -2, &sum).ok());
  EXPECT_EQ(sum, 40);
  EXPECT_EQ(GetOr("c"), std::string("\x28\x00\x00\x00", 4));
  ASSERT_TRUE(engine_->Put("s", "abc").ok());
  EXPECT_EQ(engine_->AddInt("s", 1, &sum).code(), Status::Code::kFailed);
}

TEST_F(EngineTest, AddDoubleRejectsNaNAndWrongSizes) {
  double sum = 0;
  ASSERT_TRUE(engine_->AddDouble("d", 3.75, &sum).ok());
  ASSERT_TRUE(engine_->AddDouble("d", -5.5, &sum).ok());
  EXPECT_DOUBLE_EQ(sum, -1.75);
  EXPECT_EQ(engine_->AddDouble("d", std::nan(""), &sum).code(), Status::Code::kFailed);
  ASSERT_TRUE(engine_->Put("s", "abc").ok());
  EXPECT_EQ(engine_->AddDouble("s", 1, &sum).code(), Status::Code::kFailed);
}

TEST_F(EngineTest, LogHoldsEffectsNotCommands) {
  int32_t sum;
  ASSERT_TRUE(engine_->AddInt("c", 5, &sum).ok());
  ASSERT_TRUE(engine_->AddInt("c", 0, &sum).ok());        // no change: not logged
  EXPECT_FALSE(engine_->PutKeep("c", "x").ok());          // failed: not logged
  EXPECT_TRUE(engine_->Out("missing").IsNotFound());      // failed: not logged
  ASSERT_TRUE(engine_->PutCat("c", "!").ok());
  ASSERT_TRUE(engine_->Out("c").ok());
  ASSERT_TRUE(engine_->Vanish().ok());
  std::vector<UlogRecord> records = LogRecords();
  ASSERT_EQ(records.size(), 4u);
  EXPECT_EQ(records[0].body, PutBody("c", std::string("\x05\x00\x00\x00", 4)));
  EXPECT_EQ(records[1].body, PutBody("c", std::string("\x05\x00\x00\x00!", 5)));
  EXPECT_EQ(records[2].body, OutBody("c"));
  EXPECT_EQ(records[3].body, VanishBody());
  for (size_t i = 0; i < records.size(); ++i) {
    EXPECT_EQ(records[i].sid, 9);
    EXPECT_EQ(records[i].mid, 0);
    if (i > 0) {
      EXPECT_GT(records[i].ts, records[i - 1].ts);
    }
  }
}

TEST_F(EngineTest, ValueVersionIsTheRecordTimestamp) {
  ValueMeta written;
  ASSERT_TRUE(engine_->Mutate("k", {}, [](const Current&) { return Change::Set("v"); }, &written)
                  .ok());
  std::string value;
  ValueMeta meta;
  ASSERT_TRUE(engine_->Get("k", &value, &meta).ok());
  EXPECT_EQ(meta.version, written.version);
  EXPECT_EQ(LogRecords().back().ts, written.version);
}

TEST_F(EngineTest, ExpiredValuesReadAsAbsent) {
  ASSERT_TRUE(engine_->Mutate("k", {}, [](const Current&) {
    Change c = Change::Set("v");
    c.meta.expires_at = 1;  // long past
    return c;
  }).ok());
  EXPECT_EQ(GetOr("k"), "<absent>");
  EXPECT_TRUE(engine_->PutKeep("k", "new").ok());  // an expired key counts as absent
  EXPECT_EQ(GetOr("k"), "new");
}

TEST_F(EngineTest, ByteChangesKeepMemcachedFlagsAndExpiry) {
  const ValueMeta meta{.flags = 7, .expires_at = 4000000000, .state = kValueStale, .cas = 99};
  for (const auto& [name, change] :
       std::vector<std::pair<std::string, std::function<Status(const std::string&)>>>{
           {"putcat", [this](const std::string& k) { return engine_->PutCat(k, "x"); }},
           {"putshl", [this](const std::string& k) { return engine_->PutShl(k, "x", 8); }},
           {"addint", [this](const std::string& k) { int32_t sum; return engine_->AddInt(k, 1, &sum); }},
           {"adddouble",
            [this](const std::string& k) { double sum; return engine_->AddDouble(k, 1, &sum); }}}) {
    SCOPED_TRACE(name);
    const std::string initial = name == "addint" ? std::string(4, '\0')
                                : name == "adddouble" ? std::string(8, '\0') : "ab";
    ASSERT_TRUE(engine_->PutWithMeta(name, initial, meta).ok());
    ASSERT_TRUE(change(name).ok());
    std::string value;
    ValueMeta read;
    ASSERT_TRUE(engine_->Get(name, &value, &read).ok());
    EXPECT_EQ(read.flags, 7u);
    EXPECT_EQ(read.expires_at, 4000000000);
    EXPECT_EQ(read.state, 0) << "a new value is not stale";
    EXPECT_EQ(read.cas, 0u) << "its CAS is the new version";
  }
  ASSERT_TRUE(engine_->Put("putcat", "plain").ok());
  ValueMeta read;
  std::string value;
  ASSERT_TRUE(engine_->Get("putcat", &value, &read).ok());
  EXPECT_EQ(read.flags, 0u) << "put replaces the metadata";
}

TEST_F(EngineTest, ExpireDueRemovesScheduledKeysWithoutReadingThem) {
  ASSERT_TRUE(engine_->Put("plain", "v").ok());
  ASSERT_TRUE(engine_->PutWithMeta("gone", "v", ValueMeta{.expires_at = 1}).ok());
  ASSERT_TRUE(engine_->PutWithMeta("later", "v", ValueMeta{.expires_at = 4000000000}).ok());
  EXPECT_EQ(engine_->Count(), 3u) << "an expired value stays stored until it is purged";
  EXPECT_EQ(engine_->ScheduledExpiries(), 2u);
  EXPECT_EQ(engine_->ExpireDue(), 1u);
  EXPECT_EQ(engine_->Count(), 2u);
  EXPECT_EQ(engine_->ExpiredPurged(), 1u);
  EXPECT_EQ(engine_->ScheduledExpiries(), 1u) << "\"later\" waits for its time";
  EXPECT_EQ(engine_->ExpireDue(), 0u);
}

TEST_F(EngineTest, ExpireDueFollowsTheNewestWriteOfAKey) {
  // Rewritten without an expiry: the scheduled time comes, the value stays.
  ASSERT_TRUE(engine_->PutWithMeta("persisted", "v", ValueMeta{.expires_at = 1}).ok());
  ASSERT_TRUE(engine_->Put("persisted", "kept").ok());
  // A later expiry replaces an earlier one, and the reverse.
  ASSERT_TRUE(engine_->PutWithMeta("extended", "v", ValueMeta{.expires_at = 1}).ok());
  ASSERT_TRUE(engine_->PutWithMeta("extended", "v", ValueMeta{.expires_at = 4000000000}).ok());
  ASSERT_TRUE(engine_->PutWithMeta("shortened", "v", ValueMeta{.expires_at = 4000000000}).ok());
  ASSERT_TRUE(engine_->PutWithMeta("shortened", "v", ValueMeta{.expires_at = 1}).ok());
  EXPECT_EQ(engine_->ScheduledExpiries(), 3u) << "one entry per key";
  EXPECT_EQ(engine_->ExpireDue(), 1u);
  EXPECT_EQ(GetOr("persisted"), "kept");
  EXPECT_EQ(GetOr("extended"), "v");
  EXPECT_EQ(GetOr("shortened"), "<absent>");
  EXPECT_EQ(engine_->Count(), 2u);
  EXPECT_EQ(engine_->ScheduledExpiries(), 1u);
}

TEST_F(EngineTest, VanishEmptiesTheExpirySchedule) {
  ASSERT_TRUE(engine_->PutWithMeta("k", "v", ValueMeta{.expires_at = 4000000000}).ok());
  ASSERT_TRUE(engine_->Vanish().ok());
  EXPECT_EQ(engine_->ScheduledExpiries(), 0u);
}

TEST_F(EngineTest, SweepPurgesAndSchedulesWhatTheScheduleDoesNotHold) {
  // Values written before this engine existed (a restart) are in no schedule.
  ASSERT_TRUE(engine_->Put("plain", "v").ok());
  ASSERT_TRUE(engine_->PutWithMeta("gone", "v", ValueMeta{.expires_at = 1}).ok());
  ASSERT_TRUE(engine_->PutWithMeta("later", "v", ValueMeta{.expires_at = 4000000000}).ok());
  Engine restarted(Engine::Options{
      .store = store_.get(), .ulog = ulog_.get(), .clock = &clock_, .sid = 9});
  EXPECT_EQ(restarted.ExpireDue(), 0u) << "nothing scheduled yet";
  EXPECT_EQ(restarted.SweepExpired(), 1u);
  EXPECT_EQ(restarted.Count(), 2u);
  EXPECT_EQ(restarted.ScheduledExpiries(), 1u) << "\"later\" is scheduled";
  // Every expiring value is scheduled: the next sweep does not walk at all,
  // so even a stop request that would end a walk is never asked.
  bool asked = false;
  EXPECT_EQ(restarted.SweepExpired([&asked] { return asked = true; }), 0u);
  EXPECT_FALSE(asked);
}

TEST_F(EngineTest, SweepKeepsWalkingWhileTheScheduleIsFull) {
  Engine small(Engine::Options{.store = store_.get(),
                               .ulog = ulog_.get(),
                               .clock = &clock_,
                               .sid = 9,
                               .expiry_schedule_max = 1});
  ASSERT_TRUE(small.PutWithMeta("first", "v", ValueMeta{.expires_at = 4000000000}).ok());
  ASSERT_TRUE(small.PutWithMeta("second", "v", ValueMeta{.expires_at = 4000000000}).ok());
  ASSERT_TRUE(small.PutWithMeta("gone", "v", ValueMeta{.expires_at = 1}).ok());
  EXPECT_EQ(small.ScheduledExpiries(), 1u);
  EXPECT_EQ(small.ExpireDue(), 0u) << "\"gone\" did not fit in the schedule";
  EXPECT_EQ(small.SweepExpired(), 1u) << "the sweep finds it";
  bool asked = false;
  EXPECT_EQ(small.SweepExpired([&asked] { return asked = true; }), 0u);
  EXPECT_TRUE(asked) << "\"second\" is still unscheduled, so sweeps go on walking";
  EXPECT_EQ(small.SweepExpired([] { return true; }), 0u) << "a stop request ends the walk";
}

TEST_F(EngineTest, ReplicatedWritesKeepTheirOrigin) {
  ASSERT_TRUE(engine_->Put("k", "v", Origin{3, 4}).ok());
  UlogRecord rec = LogRecords().back();
  EXPECT_EQ(rec.sid, 3);
  EXPECT_EQ(rec.mid, 4);
}

TEST_F(EngineTest, CursorSkipsExpiredAndStripsEnvelopes) {
  ASSERT_TRUE(engine_->Put("a", "1").ok());
  ASSERT_TRUE(engine_->Mutate("b", {}, [](const Current&) {
    Change c = Change::Set("2");
    c.meta.expires_at = 1;
    return c;
  }).ok());
  auto cursor = engine_->NewCursor();
  ASSERT_TRUE(cursor->Jump().ok());
  std::string key, value;
  ASSERT_TRUE(cursor->Next(&key, &value).ok());
  EXPECT_EQ(key, "a");
  EXPECT_EQ(value, "1");
  EXPECT_TRUE(cursor->Next(&key, &value).IsNotFound());
}

TEST_F(EngineTest, ConcurrentAddIntLosesNoIncrement) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([this] {
      int32_t sum;
      for (int i = 0; i < 2000; ++i) ASSERT_TRUE(engine_->AddInt("n", 1, &sum).ok());
    });
  }
  for (auto& th : threads) th.join();
  int32_t sum;
  ASSERT_TRUE(engine_->AddInt("n", 0, &sum).ok());
  EXPECT_EQ(sum, 8000);
  EXPECT_EQ(LogRecords().size(), 8000u);
}

TEST_F(EngineTest, LockedKeysReadAndWriteTheirKeysAndLogEachWrite) {
  ASSERT_TRUE(engine_->Put("a", "old").ok());
  const std::vector<std::string_view> keys = {"a", "b", "a"};
  Status s = engine_->WithLockedKeys(keys, Origin{}, [](Engine::LockedKeys& locked) {
    std::string storage;
    Current current;
    EXPECT_TRUE(locked.Read("a", &current, &storage).ok());
    EXPECT_TRUE(current.exists);
    EXPECT_EQ(current.payload, "old");
    EXPECT_TRUE(locked.Read("b", &current, &storage).ok());
    EXPECT_FALSE(current.exists);
    EXPECT_TRUE(locked.Set("b", "new", ValueMeta{.flags = 7}).ok());
    EXPECT_TRUE(locked.Remove("a").ok());
    EXPECT_TRUE(locked.Remove("a").IsNotFound());
    return Status::Ok();
  });
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(GetOr("a"), "<absent>");
  std::string value;
  ValueMeta meta;
  ASSERT_TRUE(engine_->Get("b", &value, &meta).ok());
  EXPECT_EQ(value, "new");
  EXPECT_EQ(meta.flags, 7u);
  // put a, then the two writes inside.
  EXPECT_EQ(LogRecords().size(), 3u);
}

TEST_F(EngineTest, LockedKeysMutateDecidesAsMutateDoes) {
  ASSERT_TRUE(engine_->Put("a", "1").ok());
  const std::vector<std::string_view> keys = {"a", "b"};
  ValueMeta written;
  Status s = engine_->WithLockedKeys(keys, Origin{}, [&](Engine::LockedKeys& locked) {
    EXPECT_TRUE(locked
                    .Mutate(
                        "a",
                        [](const Current& current) {
                          return Change::Set(std::string(current.payload) + "2");
                        },
                        &written)
                    .ok());
    // The removal of an absent key is NotFound, a kept value gives its status.
    EXPECT_TRUE(locked.Mutate("b", [](const Current&) { return Change::Remove(); }).IsNotFound());
    EXPECT_TRUE(locked.Mutate("b", [](const Current&) { return Change::Keep(Status::Exists()); })
                    .code() == Status::Code::kExists);
    return Status::Ok();
  });
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(GetOr("a"), "12");
  EXPECT_NE(written.version, 0u);
  EXPECT_EQ(LogRecords().size(), 2u);  // put a, then the one write inside
}

TEST_F(EngineTest, VanishNeedsEveryKeyHeld) {
  ASSERT_TRUE(engine_->Put("a", "1").ok());
  ASSERT_TRUE(engine_->Put("b", "2").ok());
  Status partial = engine_->WithLockedKeys(
      {"a"}, Origin{}, [](Engine::LockedKeys& locked) { return locked.Vanish(); });
  EXPECT_EQ(partial.code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(engine_->Count(), 2u);
  Status s = engine_->WithEveryKeyLocked(Origin{}, [](Engine::LockedKeys& locked) {
    Status vanish = locked.Vanish();
    if (!vanish.ok()) return vanish;
    return locked.Set("c", "3", {});
  });
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(engine_->Count(), 1u);
  EXPECT_EQ(GetOr("c"), "3");
  EXPECT_EQ(LogRecords().size(), 4u);  // put a, put b, vanish, put c
}

TEST_F(EngineTest, LockedKeysRefuseAKeyTheyDoNotHold) {
  // Keys in distinct stripes: of 300 keys, some land outside the one of "a".
  Status refused = Status::Ok();
  ASSERT_TRUE(engine_
                  ->WithLockedKeys({"a"}, Origin{},
                                   [&](Engine::LockedKeys& locked) {
                                     for (int i = 0; i < 300 && refused.ok(); ++i) {
                                       refused = locked.Set("k" + std::to_string(i), "v", {});
                                     }
                                     return Status::Ok();
                                   })
                  .ok());
  EXPECT_EQ(refused.code(), Status::Code::kInvalidArgument);
}

TEST_F(EngineTest, WritersOfOverlappingKeySetsSeeEachOthersWritesWhole) {
  // Each writer sets all of its keys to one number; a reader under the same
  // locks must never see two numbers among the keys both writers share.
  std::atomic<bool> torn{false};
  auto writer = [&](std::string tag, std::vector<std::string_view> keys, int rounds) {
    for (int i = 0; i < rounds; ++i) {
      const std::string value = tag + std::to_string(i);
      ASSERT_TRUE(engine_
                      ->WithLockedKeys(keys, Origin{},
                                       [&](Engine::LockedKeys& locked) {
                                         for (std::string_view key : keys) {
                                           Status s = locked.Set(key, value, {});
                                           if (!s.ok()) return s;
                                         }
                                         return Status::Ok();
                                       })
                      .ok());
    }
  };
  auto reader = [&] {
    const std::vector<std::string_view> keys = {"x", "y", "z"};
    for (int i = 0; i < 500; ++i) {
      engine_->WithLockedKeys(keys, Origin{}, [&](Engine::LockedKeys& locked) {
        std::string first, storage;
        for (std::string_view key : keys) {
          Current current;
          EXPECT_TRUE(locked.Read(key, &current, &storage).ok());
          if (!current.exists) return Status::Ok();
          if (first.empty()) first = std::string(current.payload);
          if (current.payload != first) torn = true;
        }
        return Status::Ok();
      });
    }
  };
  std::thread a(writer, "a", std::vector<std::string_view>{"x", "y", "z"}, 500);
  std::thread b(writer, "b", std::vector<std::string_view>{"z", "y", "x", "w"}, 500);
  std::thread c(reader);
  a.join();
  b.join();
  c.join();
  EXPECT_FALSE(torn);
}

}  // namespace
}  // namespace tt
