// Rebuilding partitions from the update log's base and the records after it
// (engine/rebuild.h): values come back with their versions and memcached
// metadata, only the chosen partitions are touched, and a vanish empties
// only them.
#include "engine/rebuild.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include "partition/store.h"
#include "ulog/ulog_writer.h"

namespace tt {
namespace {

struct Stored {
  std::string payload;
  ValueMeta meta;
  bool operator==(const Stored& other) const {
    return payload == other.payload && meta.version == other.meta.version &&
           meta.flags == other.meta.flags && meta.expires_at == other.meta.expires_at &&
           meta.state == other.meta.state && meta.cas == other.meta.cas;
  }
};
using Snapshot = std::map<std::string, Stored>;

// A server's data: a store of `partitions` partitions (in memory), its
// update log in `dir` and the Engine over both.
struct Data {
  Data(const std::string& dir, uint32_t partitions) {
    EXPECT_TRUE(OpenStore({.name = "*", .partitions = partitions}, &store).ok());
    UlogWriterOptions options;
    options.dir = dir;
    options.clock = &clock;
    EXPECT_TRUE(UlogWriter::Open(options, &ulog).ok());
    engine = std::make_unique<Engine>(
        Engine::Options{.store = store.get(), .ulog = ulog.get(), .clock = &clock, .sid = 3});
  }
  Snapshot Contents() {
    Snapshot contents;
    auto cursor = engine->NewCursor();
    EXPECT_TRUE(cursor->Jump().ok());
    std::string key;
    Stored value;
    while (cursor->Next(&key, &value.payload, &value.meta).ok()) contents[key] = value;
    return contents;
  }

  TimestampClock clock;
  std::unique_ptr<Store> store;
  std::unique_ptr<UlogWriter> ulog;
  std::unique_ptr<Engine> engine;
};

class RebuildTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/tt-rebuild-XXXXXX";
    dir_ = mkdtemp(pattern);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

TEST_F(RebuildTest, BaseAndLogPutBackEveryValueWithItsVersionAndMetadata) {
  Snapshot before;
  {
    Data data(dir_, 4);
    for (int i = 0; i < 300; ++i) {
      ASSERT_TRUE(data.engine->Put("old" + std::to_string(i), "v" + std::to_string(i)).ok());
    }
    const ValueMeta meta{.flags = 42, .expires_at = 4102444800, .cas = 77};
    ASSERT_TRUE(data.engine->PutWithMeta("meta", "m", meta).ok());
    BaseInfo base;
    ASSERT_TRUE(WriteBase(*data.engine, &base).ok());
    EXPECT_EQ(base.records, 301u);
    // After the base: overwrites, deletes, a vanish, then new values.
    ASSERT_TRUE(data.engine->PutCat("old1", "+").ok());
    ASSERT_TRUE(data.engine->Out("old2").ok());
    ASSERT_TRUE(data.engine->Vanish().ok());
    for (int i = 0; i < 100; ++i) {
      ASSERT_TRUE(data.engine->Put("new" + std::to_string(i), std::to_string(i)).ok());
    }
    int32_t sum = 0;
    ASSERT_TRUE(data.engine->AddInt("counter", 5, &sum).ok());
    before = data.Contents();
  }
  Data rebuilt(dir_, 4);
  RebuildCount count;
  ASSERT_TRUE(RebuildPartitions(*rebuilt.engine, {0, 1, 2, 3}, &count).ok());
  EXPECT_EQ(count.base_values, 301u);
  EXPECT_EQ(rebuilt.Contents(), before);
}

TEST_F(RebuildTest, OnlyTheChosenPartitionsAreTouched) {
  Data data(dir_, 4);
  for (int i = 0; i < 200; ++i) ASSERT_TRUE(data.engine->Put("k" + std::to_string(i), "v").ok());
  BaseInfo base;
  ASSERT_TRUE(WriteBase(*data.engine, &base).ok());
  ASSERT_TRUE(data.engine->Vanish().ok());
  ASSERT_TRUE(data.engine->Put("late", "v").ok());
  const Snapshot expected = data.Contents();
  // Partition 1 loses its records (a damaged file); the others gain a key
  // the log does not know, which the rebuild of partition 1 must not touch.
  ASSERT_TRUE(data.store->ClearPartition(1).ok());
  std::string outsider;
  for (int i = 0; outsider.empty() || data.store->PartitionIndexOf(outsider) == 1; ++i) {
    outsider = "outsider" + std::to_string(i);
  }
  ASSERT_TRUE(data.store->Set(outsider, "raw").ok());
  RebuildCount count;
  ASSERT_TRUE(RebuildPartitions(*data.engine, {1}, &count).ok());
  std::string raw;
  EXPECT_TRUE(data.store->Get(outsider, &raw).ok()) << "a vanish emptied another partition";
  ASSERT_TRUE(data.store->Remove(outsider).ok());
  EXPECT_EQ(data.Contents(), expected);
}

}  // namespace
}  // namespace tt
