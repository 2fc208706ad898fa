#include "partition/poly_store.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <kcpolydb.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "partition/partition_hash.h"
#include "partition/store.h"
#include "tests/support/sanitizer_build.h"

namespace tt {
namespace {

namespace fs = std::filesystem;

// A fresh directory under $TMPDIR, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "tt-partition-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) std::abort();
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  std::string operator/(std::string_view name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
};

std::unique_ptr<Store> MustOpen(const std::string& name, uint32_t partitions = 1) {
  std::unique_ptr<Store> store;
  Status s = OpenStore({.name = name, .partitions = partitions}, &store);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return store;
}

std::map<std::string, std::string> Contents(Store& store) {
  std::map<std::string, std::string> records;
  auto cursor = store.NewCursor();
  EXPECT_TRUE(cursor->Jump().ok());
  std::string key, value;
  while (cursor->Next(&key, &value).ok()) {
    EXPECT_TRUE(records.emplace(key, value).second) << "key seen twice: " << key;
  }
  return records;
}

std::vector<std::string> WalkKeys(StoreCursor& cursor) {
  std::vector<std::string> keys;
  std::string key, value;
  while (cursor.Next(&key, &value).ok()) keys.push_back(key);
  return keys;
}

// One store kind: a PolyDB name (files relative to a temp dir) and a partition count.
struct Kind {
  const char* name;
  uint32_t partitions;
  bool ordered;
};

std::string KindLabel(const testing::TestParamInfo<Kind>& info) {
  std::string label;
  for (const char* p = info.param.name; *p; ++p) {
    switch (*p) {
      case '*':
        label += "Cache";
        break;
      case '%':
        label += "Grass";
        break;
      case '.':
        break;
      default:
        label += *p;
    }
  }
  return label + "x" + std::to_string(info.param.partitions);
}

class StoreKindTest : public testing::TestWithParam<Kind> {
 protected:
  void SetUp() override {
    store_ = MustOpen(Name(), GetParam().partitions);
    ASSERT_TRUE(store_);
  }
  std::string Name() const {
    std::string name = GetParam().name;
    return name.find('.') == std::string::npos ? name : dir_ / name;
  }
  std::string Ext() const {
    std::string name = GetParam().name;
    return name.substr(name.rfind('.'));
  }
  void Put(std::string_view key, std::string_view value) {
    ASSERT_TRUE(store_->Set(key, value).ok());
  }

  TempDir dir_;
  std::unique_ptr<Store> store_;
};

TEST_P(StoreKindTest, GetReturnsWhatSetStoredAndNotFoundOtherwise) {
  std::string value;
  EXPECT_TRUE(store_->Get("missing", &value).IsNotFound());
  Put("k", "v1");
  Put("k", "v2");
  Put(std::string_view("bin\0key", 7), std::string_view("\0\xFF", 2));
  ASSERT_TRUE(store_->Get("k", &value).ok());
  EXPECT_EQ(value, "v2");
  ASSERT_TRUE(store_->Get(std::string_view("bin\0key", 7), &value).ok());
  EXPECT_EQ(value, std::string_view("\0\xFF", 2));
  EXPECT_TRUE(store_->Remove("k").ok());
  EXPECT_TRUE(store_->Get("k", &value).IsNotFound());
  EXPECT_TRUE(store_->Remove("k").IsNotFound());
}

TEST_P(StoreKindTest, CountAndSizeSpanEveryPartition) {
  EXPECT_EQ(store_->Count(), 0u);
  for (int i = 0; i < 100; ++i) Put("key" + std::to_string(i), std::string(100, 'x'));
  EXPECT_EQ(store_->Count(), 100u);
  EXPECT_GT(store_->SizeBytes(), 0u);
  EXPECT_EQ(store_->PartitionCount(), GetParam().partitions);
}

TEST_P(StoreKindTest, KeysWithPrefixHonoursMax) {
  for (std::string key : {"p1", "p2", "p3", "p4", "q1", "p"}) Put(key, "v");
  std::vector<std::string> keys{"stale"};
  ASSERT_TRUE(store_->KeysWithPrefix("p", -1, &keys).ok());
  std::vector<std::string> sorted = keys;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(sorted, (std::vector<std::string>{"p", "p1", "p2", "p3", "p4"}));
  if (GetParam().ordered) {
    EXPECT_EQ(keys, sorted);
  }

  ASSERT_TRUE(store_->KeysWithPrefix("p", 2, &keys).ok());
  EXPECT_EQ(keys.size(), 2u);
  if (GetParam().ordered) {
    EXPECT_EQ(keys, (std::vector<std::string>{"p", "p1"}));
  }
  ASSERT_TRUE(store_->KeysWithPrefix("p", 0, &keys).ok());
  EXPECT_TRUE(keys.empty());
  ASSERT_TRUE(store_->KeysWithPrefix("zz", -1, &keys).ok());
  EXPECT_TRUE(keys.empty());
}

TEST_P(StoreKindTest, CursorVisitsEveryRecordOnce) {
  std::map<std::string, std::string> expected;
  for (int i = 0; i < 200; ++i) {
    expected["k" + std::to_string(i)] = "v" + std::to_string(i);
    Put("k" + std::to_string(i), "v" + std::to_string(i));
  }
  EXPECT_EQ(Contents(*store_), expected);
}

TEST_P(StoreKindTest, CursorOnEmptyStoreEndsAtOnce) {
  auto cursor = store_->NewCursor();
  EXPECT_TRUE(cursor->Jump().ok());
  std::string key, value;
  EXPECT_TRUE(cursor->Next(&key, &value).IsNotFound());
}

TEST_P(StoreKindTest, NextWithoutJumpStartsAtTheBeginning) {
  Put("only", "one");
  auto cursor = store_->NewCursor();
  std::string key, value;
  ASSERT_TRUE(cursor->Next(&key, &value).ok());
  EXPECT_EQ(key, "only");
  EXPECT_TRUE(cursor->Next(&key, &value).IsNotFound());
}

TEST_P(StoreKindTest, JumpToKeyFollowsTheStoresOrderContract) {
  for (std::string key : {"b", "d", "f"}) Put(key, "v" + key);
  auto cursor = store_->NewCursor();
  std::string key, value;
  ASSERT_TRUE(cursor->Jump("d").ok());
  ASSERT_TRUE(cursor->Next(&key, &value).ok());
  EXPECT_EQ(key, "d");
  EXPECT_EQ(value, "vd");
  if (GetParam().ordered) {
    ASSERT_TRUE(cursor->Jump("c").ok());
    EXPECT_EQ(WalkKeys(*cursor), (std::vector<std::string>{"d", "f"}));
    EXPECT_TRUE(cursor->Jump("g").IsNotFound());
  } else {
    EXPECT_TRUE(cursor->Jump("c").IsNotFound());
  }
}

TEST_P(StoreKindTest, ClearRemovesEveryRecord) {
  for (int i = 0; i < 50; ++i) Put("k" + std::to_string(i), "v");
  ASSERT_TRUE(store_->Clear().ok());
  EXPECT_EQ(store_->Count(), 0u);
  EXPECT_TRUE(Contents(*store_).empty());
  Put("after", "clear");
  EXPECT_EQ(store_->Count(), 1u);
}

TEST_P(StoreKindTest, CopyReopensWithTheSameRecords) {
  for (int i = 0; i < 100; ++i) Put("k" + std::to_string(i), "v" + std::to_string(i));
  // In-memory stores copy into a file database of the caller's choosing.
  std::string dest = store_->IsInMemory() ? dir_ / "copy.kct" : dir_ / ("copy" + Ext());
  Status s = store_->Copy(dest);
  ASSERT_TRUE(s.ok()) << s.ToString();
  auto copy = MustOpen(dest, GetParam().partitions);
  ASSERT_TRUE(copy);
  EXPECT_EQ(copy->PartitionCount(), GetParam().partitions);
  EXPECT_EQ(Contents(*copy), Contents(*store_));
}

TEST_P(StoreKindTest, SynchronizeAndOptimizeKeepRecords) {
  for (int i = 0; i < 100; ++i) Put("k" + std::to_string(i), std::string(50, 'v'));
  for (int i = 0; i < 100; i += 2) ASSERT_TRUE(store_->Remove("k" + std::to_string(i)).ok());
  EXPECT_TRUE(store_->Synchronize(false).ok());
  EXPECT_TRUE(store_->Synchronize(true).ok());
  EXPECT_TRUE(store_->Optimize("").ok());
  EXPECT_TRUE(store_->Optimize("#bnum=1000#opts=l").ok());
  EXPECT_EQ(store_->Count(), 50u);
  std::string value;
  EXPECT_TRUE(store_->Get("k1", &value).ok());
}

TEST_P(StoreKindTest, ConcurrentWritersFromFourThreadsAllLand) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 500;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([this, t] {
      for (int i = 0; i < kPerThread; ++i) {
        std::string key = "t" + std::to_string(t) + "-" + std::to_string(i);
        EXPECT_TRUE(store_->Set(key, key).ok());
        std::string value;
        EXPECT_TRUE(store_->Get(key, &value).ok());
        EXPECT_EQ(value, key);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(store_->Count(), uint64_t{kThreads * kPerThread});
}

TEST_P(StoreKindTest, CursorWalkSurvivesConcurrentWrites) {
  for (int i = 0; i < 500; ++i) Put("base" + std::to_string(i), "v");
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    for (int i = 0; !stop.load(); ++i) {
      store_->Set("new" + std::to_string(i % 1000), "v").ok();
      store_->Remove("base" + std::to_string(i % 500)).ok();
      store_->Set("base" + std::to_string(i % 500), "w").ok();
    }
  });
  for (int round = 0; round < 5; ++round) {
    auto cursor = store_->NewCursor();
    ASSERT_TRUE(cursor->Jump().ok());
    EXPECT_LE(WalkKeys(*cursor).size(), 1500u + 500u);
  }
  stop = true;
  writer.join();
}

TEST_P(StoreKindTest, CallsAfterCloseFailAndCursorsOutliveTheStore) {
  Put("k", "v");
  auto cursor = store_->NewCursor();
  ASSERT_TRUE(cursor->Jump().ok());
  ASSERT_TRUE(store_->Close().ok());
  std::string value, key;
  Status s = store_->Get("k", &value);
  EXPECT_FALSE(s.ok());
  EXPECT_FALSE(s.IsNotFound());
  EXPECT_NE(s.message().find("closed"), std::string::npos) << s.ToString();
  EXPECT_FALSE(store_->Set("k", "v").ok());
  EXPECT_FALSE(store_->Close().ok());
  EXPECT_EQ(store_->Count(), 0u);
  EXPECT_FALSE(cursor->Next(&key, &value).ok());
  store_.reset();
  EXPECT_FALSE(cursor->Jump().ok());
  cursor.reset();
}

TEST_P(StoreKindTest, DescribesItself) {
  EXPECT_EQ(store_->IsOrdered(), GetParam().ordered);
  if (GetParam().partitions > 1) {
    EXPECT_EQ(store_->TypeName(), "skeleton");
  }
  std::string value;
  EXPECT_TRUE(store_->Get("absent", &value).IsNotFound());
  EXPECT_NE(store_->LastError().find("no record"), std::string::npos) << store_->LastError();
}

INSTANTIATE_TEST_SUITE_P(AllKinds, StoreKindTest,
                         testing::Values(Kind{"*", 1, false}, Kind{"%", 1, true},
                                         Kind{"casket.kch", 1, false}, Kind{"casket.kct", 1, true},
                                         Kind{"*", 3, false}, Kind{"%", 3, true},
                                         Kind{"casket.kch", 3, false}, Kind{"casket.kct", 3, true}),
                         KindLabel);

TEST(PolyStoreTest, NamesTypesAndPaths) {
  TempDir dir;
  struct Case {
    std::string name;
    std::string type;
    bool in_memory;
  };
  for (const Case& c :
       {Case{"*", "on-memory hash", true}, Case{"-", "on-memory hash", true},
        Case{":", "on-memory hash", true}, Case{"%", "on-memory tree", true},
        Case{"+", "on-memory tree", true}, Case{dir / "a.kch", "hash", false},
        Case{dir / "a.kct", "B+ tree", false}, Case{dir / "a.kcd", "directory hash", false},
        Case{dir / "a.kcf", "directory tree", false}, Case{dir / "a.kcx", "plain text", false}}) {
    auto store = MustOpen(c.name + "#bnum=1000");
    ASSERT_TRUE(store) << c.name;
    EXPECT_EQ(store->TypeName(), c.type) << c.name;
    EXPECT_EQ(store->IsInMemory(), c.in_memory) << c.name;
    EXPECT_EQ(store->Path(), c.name);
    EXPECT_EQ(store->PartitionCount(), 1u);
  }
}

TEST(PolyStoreTest, UnknownNameIsRejectedWithAHint) {
  std::unique_ptr<Store> store;
  Status s = OpenStore({.name = "casket.tch"}, &store);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(s.message().find(".kch"), std::string::npos) << s.ToString();
}

TEST(PolyStoreTest, UnopenableFileNamesTheDatabaseAndWhatToCheck) {
  TempDir dir;
  std::unique_ptr<Store> store;
  Status s = OpenStore({.name = dir / "no/such/dir/casket.kch"}, &store);
  EXPECT_EQ(s.code(), Status::Code::kIoError);
  EXPECT_NE(s.message().find("casket.kch"), std::string::npos) << s.ToString();
  EXPECT_NE(s.message().find("check"), std::string::npos) << s.ToString();
}

TEST(PolyStoreTest, ReadOnlyStoreReadsButRefusesWrites) {
  TempDir dir;
  MustOpen(dir / "ro.kch")->Set("k", "v").ok();
  std::unique_ptr<Store> store;
  ASSERT_TRUE(OpenStore({.name = dir / "ro.kch", .read_only = true}, &store).ok());
  std::string value;
  EXPECT_TRUE(store->Get("k", &value).ok());
  EXPECT_FALSE(store->Set("k", "w").ok());
  EXPECT_FALSE(OpenStore({.name = dir / "absent.kch", .read_only = true}, &store).ok());
  EXPECT_FALSE(
      OpenStore({.name = dir / "absent.kch", .partitions = 3, .read_only = true}, &store).ok());
}

TEST(PolyStoreTest, PartitionedStoreIsADirectoryOfNumberedFiles) {
  TempDir dir;
  auto store = MustOpen(dir / "casket.kch#bnum=1000", 3);
  EXPECT_EQ(store->TypeName(), "skeleton");
  EXPECT_EQ(store->Path(), dir / "casket.kch");
  EXPECT_TRUE(fs::is_directory(dir / "casket.kch"));
  for (const char* file : {"adbmul-001.kch", "adbmul-002.kch", "adbmul-003.kch"}) {
    EXPECT_TRUE(fs::is_regular_file(dir / ("casket.kch/" + std::string(file)))) << file;
  }
  EXPECT_EQ(fs::status(dir / "casket.kch").permissions() & fs::perms::all,
            fs::perms::all & ~(fs::perms::group_write | fs::perms::others_write));
}

TEST(PolyStoreTest, KeysLandInThePartitionFileTheOriginalUses) {
  TempDir dir;
  const std::vector<std::pair<std::string, int>> keys = {{"a", 3},
                                                         {"b", 3},
                                                         {"hello", 3},
                                                         {"", 3},
                                                         {"key1", 1},
                                                         {std::string("\xFF\x00z", 3), 1},
                                                         {"partition-test", 2}};
  {
    auto store = MustOpen(dir / "casket.kch", 3);
    for (const auto& [key, file] : keys) ASSERT_TRUE(store->Set(key, key).ok());
  }
  for (int file = 1; file <= 3; ++file) {
    kyotocabinet::PolyDB db;
    std::string path = dir / ("casket.kch/" + PartitionFileName(file, ".kch"));
    ASSERT_TRUE(db.open(path, kyotocabinet::PolyDB::OREADER)) << path;
    for (const auto& [key, expected_file] : keys) {
      std::string value;
      EXPECT_EQ(db.get(key, &value), file == expected_file) << "key " << key << " file " << file;
    }
  }
}

TEST(PolyStoreTest, ReopenWithAnotherCountKeepsTheExistingPartitions) {
  TempDir dir;
  std::map<std::string, std::string> before;
  {
    auto store = MustOpen(dir / "casket.kct", 3);
    for (int i = 0; i < 60; ++i) ASSERT_TRUE(store->Set("k" + std::to_string(i), "v").ok());
    before = Contents(*store);
  }
  for (uint32_t n : {1u, 5u}) {
    auto store = MustOpen(dir / "casket.kct", n);
    ASSERT_TRUE(store);
    EXPECT_EQ(store->PartitionCount(), 3u);
    EXPECT_EQ(Contents(*store), before);
    std::string value;
    EXPECT_TRUE(store->Get("k7", &value).ok());
  }
  EXPECT_FALSE(fs::exists(dir / "casket.kct/adbmul-004.kct"));
}

TEST(PolyStoreTest, PartitionCountIsCappedAt127) {
  auto store = MustOpen("*", 1000);
  EXPECT_EQ(store->PartitionCount(), kMaxPartitions);
}

TEST(PolyStoreTest, PartitionedNameOverAPlainFileIsRefused) {
  TempDir dir;
  std::ofstream(dir / "casket.kch") << "not a directory";
  std::unique_ptr<Store> store;
  Status s = OpenStore({.name = dir / "casket.kch", .partitions = 3}, &store);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(s.message().find("not a directory"), std::string::npos) << s.ToString();
}

// Keys scattered over three partitions come back in one global order.
void ExpectGlobalOrder(const std::string& name) {
  auto store = MustOpen(name, 3);
  std::vector<std::string> expected;
  for (int i = 0; i < 300; ++i) {
    char key[16];
    std::snprintf(key, sizeof(key), "key%05d", (i * 7919) % 1000);
    expected.push_back(key);
    ASSERT_TRUE(store->Set(key, "v").ok());
  }
  std::sort(expected.begin(), expected.end());
  expected.erase(std::unique(expected.begin(), expected.end()), expected.end());
  auto cursor = store->NewCursor();
  ASSERT_TRUE(cursor->Jump().ok());
  EXPECT_EQ(WalkKeys(*cursor), expected);

  ASSERT_TRUE(cursor->Jump("key00500").ok());
  std::vector<std::string> tail(std::lower_bound(expected.begin(), expected.end(), "key00500"),
                                expected.end());
  EXPECT_EQ(WalkKeys(*cursor), tail);

  std::vector<std::string> keys;
  ASSERT_TRUE(store->KeysWithPrefix("key001", 5, &keys).ok());
  std::vector<std::string> first;
  for (const std::string& key : expected) {
    if (key.starts_with("key001") && first.size() < 5) first.push_back(key);
  }
  EXPECT_EQ(keys, first);
}

TEST(PolyStoreTest, OrderedTreeFilesIterateInGlobalKeyOrder) {
  TempDir dir;
  ExpectGlobalOrder(dir / "casket.kct");
}

TEST(PolyStoreTest, OrderedMemoryTreesIterateInGlobalKeyOrder) { ExpectGlobalOrder("%"); }

TEST(PolyStoreTest, UnorderedJumpContinuesThroughLaterPartitions) {
  auto store = MustOpen("*", 3);
  // "a" is in partition 2 (the last), "key1" in partition 0, "partition-test" in 1.
  for (std::string key : {"a", "key1", "partition-test"}) ASSERT_TRUE(store->Set(key, "v").ok());
  auto cursor = store->NewCursor();
  ASSERT_TRUE(cursor->Jump("partition-test").ok());
  EXPECT_EQ(WalkKeys(*cursor), (std::vector<std::string>{"partition-test", "a"}));
  ASSERT_TRUE(cursor->Jump().ok());
  EXPECT_EQ(WalkKeys(*cursor), (std::vector<std::string>{"key1", "partition-test", "a"}));
}

TEST(PolyStoreTest, CopyOfAnInMemoryStoreNeedsAFileName) {
  auto store = MustOpen("*");
  Status s = store->Copy("%");
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(s.message().find("backup.kch"), std::string::npos) << s.ToString();
}

TEST(PolyStoreTest, CopyRefusesADirectoryHoldingForeignPartitions) {
  TempDir dir;
  auto store = MustOpen(dir / "casket.kch", 2);
  fs::create_directory(dir / "copy.kch");
  std::ofstream(dir / "copy.kch/adbmul-009.kch") << "stale";
  Status s = store->Copy(dir / "copy.kch");
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_NE(s.message().find("adbmul-009.kch"), std::string::npos) << s.ToString();
}

// ---- what an open reports for crash recovery ----

TEST(PolyStoreOpenReportTest, NewAndInMemoryPartitionsAreFresh) {
  TempDir dir;
  StoreOpenReport report;
  std::unique_ptr<Store> store;
  ASSERT_TRUE(OpenStore({.name = dir / "p.kch", .partitions = 3}, &store, &report).ok());
  EXPECT_EQ(report.fresh, (std::vector<uint32_t>{0, 1, 2}));
  ASSERT_TRUE(store->Set("k", "v").ok());
  ASSERT_TRUE(store->Close().ok());
  store.reset();
  ASSERT_TRUE(OpenStore({.name = dir / "p.kch", .partitions = 3}, &store, &report).ok());
  EXPECT_TRUE(report.fresh.empty());
  EXPECT_TRUE(report.unclean.empty()) << "closed properly";
  store.reset();
  ASSERT_TRUE(OpenStore({.name = "*", .partitions = 2}, &store, &report).ok());
  EXPECT_EQ(report.fresh, (std::vector<uint32_t>{0, 1}));
}

TEST(PolyStoreOpenReportTest, GarbageAndTruncatedFilesAreCorruptionNamingThePartition) {
  TempDir dir;
  {
    auto store = MustOpen(dir / "p.kch", 2);
    for (int i = 0; i < 100; ++i) ASSERT_TRUE(store->Set("k" + std::to_string(i), "v").ok());
  }
  const std::string second = dir / "p.kch/adbmul-002.kch";
  std::ofstream(second, std::ios::trunc) << "not a database";
  StoreOpenReport report;
  std::unique_ptr<Store> store;
  Status s = OpenStore({.name = dir / "p.kch", .partitions = 2}, &store, &report);
  EXPECT_EQ(s.code(), Status::Code::kCorruption) << s.ToString();
  EXPECT_EQ(report.damaged, 1);
  EXPECT_EQ(report.damaged_path, second);

  fs::resize_file(dir / "p.kch/adbmul-001.kch", 1000);
  s = OpenStore({.name = dir / "p.kch", .partitions = 2}, &store, &report);
  EXPECT_EQ(s.code(), Status::Code::kCorruption) << s.ToString();
  EXPECT_EQ(report.damaged, 0);
}

TEST(PolyStoreOpenReportTest, LockedDatabaseIsNotReportedAsDamaged) {
  TempDir dir;
  kyotocabinet::PolyDB holder;
  ASSERT_TRUE(
      holder.open(dir / "held.kch", kyotocabinet::PolyDB::OWRITER | kyotocabinet::PolyDB::OCREATE));
  // Kyoto Cabinet's locks are per process (fcntl): another process must try.
  const pid_t child = fork();
  if (child == 0) {
    StoreOpenReport report;
    std::unique_ptr<Store> store;
    Status s = OpenStore({.name = dir / "held.kch"}, &store, &report);
    _exit(s.code() == Status::Code::kIoError && report.damaged < 0 ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

TEST(PolyStoreOpenReportTest, FileLeftOpenByAKilledProcessIsUnclean) {
  TempDir dir;
  for (const char* name : {"left.kch", "left.kct"}) {
    const pid_t child = fork();
    if (child == 0) {
      kyotocabinet::PolyDB db;
      if (!db.open(dir / name, kyotocabinet::PolyDB::OWRITER | kyotocabinet::PolyDB::OCREATE)) {
        _exit(1);
      }
      for (int i = 0; i < 100; ++i) db.set("k" + std::to_string(i), "v");
      _exit(0);  // as a kill -9 leaves it: never closed
    }
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    StoreOpenReport report;
    std::unique_ptr<Store> store;
    ASSERT_TRUE(OpenStore({.name = dir / name}, &store, &report).ok()) << name;
    EXPECT_EQ(report.unclean, (std::vector<uint32_t>{0})) << name;
  }
}

// The fixture's torn record claims a size no allocation can give; Kyoto
// Cabinet's repair throws std::bad_alloc, which must not escape.
TEST(PolyStoreOpenReportTest, RepairThatThrowsIsCorruption) {
  if (kAddressSanitizer) GTEST_SKIP() << kNoBadAllocUnderAsan;
  TempDir dir;
  const std::string db = dir / "casket.kch";
  ASSERT_EQ(std::system(("gunzip -c '" + std::string(FIXTURES_DIR) +
                         "/kill9-damaged-casket.kch.gz' > '" + db + "'")
                            .c_str()),
            0);
  StoreOpenReport report;
  std::unique_ptr<Store> store;
  Status s = OpenStore({.name = db}, &store, &report);
  EXPECT_EQ(s.code(), Status::Code::kCorruption) << s.ToString();
  EXPECT_NE(s.message().find("threw std::bad_alloc"), std::string::npos) << s.ToString();
  EXPECT_EQ(report.damaged, 0);
  EXPECT_EQ(report.damaged_path, db);
}

TEST(PolyStoreOpenReportTest, MovedAsideFileKeepsItsBytesAndItsPlaceIsRecreated) {
  TempDir dir;
  {
    auto store = MustOpen(dir / "p.kch", 3);
    ASSERT_TRUE(store->Set("k", "v").ok());
  }
  const std::string second = dir / "p.kch/adbmul-002.kch";
  const uintmax_t size = fs::file_size(second);
  std::string moved;
  ASSERT_TRUE(MoveAsideDamaged(second, &moved).ok());
  EXPECT_TRUE(moved.starts_with(second + ".damaged-")) << moved;
  EXPECT_EQ(fs::file_size(moved), size);
  EXPECT_FALSE(fs::exists(second));
  // The partition count stays 3: the missing middle file is created anew.
  StoreOpenReport report;
  std::unique_ptr<Store> store;
  ASSERT_TRUE(OpenStore({.name = dir / "p.kch", .partitions = 1}, &store, &report).ok());
  EXPECT_EQ(store->PartitionCount(), 3u);
  EXPECT_EQ(report.fresh, (std::vector<uint32_t>{1}));
}

TEST(PolyStoreOpenReportTest, ClearPartitionEmptiesThatPartitionOnly) {
  TempDir dir;
  auto store = MustOpen(dir / "p.kch", 4);
  for (int i = 0; i < 200; ++i) ASSERT_TRUE(store->Set("k" + std::to_string(i), "v").ok());
  ASSERT_TRUE(store->ClearPartition(2).ok());
  for (int i = 0; i < 200; ++i) {
    const std::string key = "k" + std::to_string(i);
    std::string value;
    EXPECT_EQ(store->Get(key, &value).ok(), store->PartitionIndexOf(key) != 2) << key;
    EXPECT_EQ(store->PartitionIndexOf(key), PartitionOf(key, 4));
  }
  EXPECT_EQ(store->ClearPartition(4).code(), Status::Code::kInvalidArgument);
}

// Kyoto Cabinet writes a file database's first msiz bytes through a memory
// map; a store into a page the filesystem has no block for is a SIGBUS on a
// full disk (partition/map_reserve.h). The region's blocks are reserved at
// open, and again after each call that truncates the file.
TEST(PolyStoreTest, FileDatabasesHaveTheDiskBlocksOfTheirMapReserved) {
  TempDir dir;
  {
    // Filesystems without fallocate cannot reserve anything.
    const std::string probe = dir / "probe";
    const int fd = open(probe.c_str(), O_WRONLY | O_CREAT, 0644);
    const bool supported = fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 4096) == 0;
    close(fd);
    if (!supported) GTEST_SKIP() << "the filesystem of " << probe << " has no fallocate";
  }
  constexpr int64_t kMap = 4 << 20;
  for (const char* file : {"casket.kch", "casket.kct"}) {
    const std::string path = dir / file;
    auto store = MustOpen(path + "#msiz=4m");
    auto allocated = [&] {
      struct stat st {};
      stat(path.c_str(), &st);
      return static_cast<int64_t>(st.st_blocks) * 512;
    };
    EXPECT_GE(allocated(), kMap) << file;
    ASSERT_TRUE(store->Set("k", "v").ok());
    ASSERT_TRUE(store->Synchronize(true).ok());
    EXPECT_GE(allocated(), kMap) << file << " after a synchronize";
    ASSERT_TRUE(store->Copy(path + ".copy").ok());
    EXPECT_GE(allocated(), kMap) << file << " after a copy";
    ASSERT_TRUE(store->Clear().ok());
    EXPECT_GE(allocated(), kMap) << file << " after a clear";
  }
}

}  // namespace
}  // namespace tt
