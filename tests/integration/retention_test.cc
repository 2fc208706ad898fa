// Update-log retention with real processes: ttserver --ulog-retain deleting
// old files while it serves, recovery after kill -9 from the files it kept, a
// stopped slave's files held for it, and `ttulmgr purge` on a directory.
#include <gtest/gtest.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <map>
#include <thread>

#include "client/remote_db.h"
#include "tests/integration/protocol_support.h"
#include "tests/integration/server_process.h"
#include "ulog/base_file.h"
#include "ulog/checkpoint.h"
#include "ulog/record.h"
#include "ulog/slave_registry.h"
#include "ulog/ulog_reader.h"

namespace tt::testing {
namespace {

using Contents = std::map<std::string, std::string>;

std::vector<uint32_t> FileNumbers(const std::string& dir) {
  std::vector<uint32_t> numbers;
  EXPECT_TRUE(ListUlogFiles(dir, &numbers).ok());
  return numbers;
}

// The size of the files of the log in `dir`; a file the server deletes
// between the listing and its size counts as gone.
uint64_t TotalBytes(const std::string& dir) {
  uint64_t total = 0;
  for (uint32_t number : FileNumbers(dir)) {
    std::error_code gone;
    const uintmax_t size = std::filesystem::file_size(UlogFileName(dir, number), gone);
    if (!gone) total += size;
  }
  return total;
}

// The records of the log in `dir` with ts >= `from`.
uint64_t CountRecordsFrom(const std::string& dir, uint64_t from) {
  std::unique_ptr<UlogReader> reader;
  EXPECT_TRUE(UlogReader::Open(dir, from, &reader).ok());
  uint64_t count = 0;
  UlogRecord record;
  while (reader != nullptr && reader->Next(&record).ok()) ++count;
  return count;
}

// Puts `count` keys `prefix`0, `prefix`1, ... into the server on `port` and
// into *written.
void Write(int port, const std::string& prefix, int count, Contents* written) {
  RemoteDB db;
  ASSERT_TRUE(db.Open("127.0.0.1", port, 10).ok());
  for (int i = 0; i < count; ++i) {
    const std::string key = prefix + std::to_string(i);
    const std::string value = "value of " + key + " padded to fill the log faster";
    ASSERT_TRUE(db.Put(key, value).ok()) << key;
    (*written)[key] = value;
  }
}

// The keys of `expected` that the server on `port` lacks or holds another value for.
size_t Mismatches(int port, const Contents& expected) {
  RemoteDB db;
  if (!db.Open("127.0.0.1", port, 10).ok()) return expected.size();
  std::vector<std::string> keys;
  for (const auto& [key, value] : expected) keys.push_back(key);
  std::vector<std::pair<std::string, std::string>> found;
  if (!db.MGet(keys, &found).ok()) return expected.size();
  size_t matching = 0;
  for (const auto& [key, value] : found) matching += expected.at(key) == value ? 1 : 0;
  return expected.size() - matching;
}

// Checks `condition` every 100 ms until it holds or `seconds` have passed.
template <typename Fn>
bool PollFor(double seconds, Fn condition) {
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  for (;;) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() >= give_up) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

bool Contiguous(const std::vector<uint32_t>& numbers) {
  return numbers.empty() || numbers.back() - numbers.front() + 1 == numbers.size();
}

class ServerRetentionTest : public ::testing::Test {
 protected:
  ServerRetentionTest() {
    std::filesystem::create_directory(Ulog("master"));
    std::filesystem::create_directory(Ulog("slave"));
  }
  std::string Ulog(const std::string& name) const { return dir_.Join(name + "-ulog"); }
  // A server `name` with an update log of 2 KiB files, retention checked at
  // every housekeeping tick, and `extra` options.
  std::unique_ptr<ServerProcess> Start(const std::string& name, int sid,
                                       const std::vector<std::string>& extra,
                                       const std::string& db = "casket.kct") {
    std::vector<std::string> args = {"-sid",
                                     std::to_string(sid),
                                     "-ulog",
                                     Ulog(name),
                                     "-ulim",
                                     "2k",
                                     "-log",
                                     dir_.Join(name + ".log"),
                                     "--ulog-retain-interval",
                                     "0.1"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto server = std::make_unique<ServerProcess>(args, dir_.Join(name + "-" + db));
    EXPECT_TRUE(server->started());
    return server;
  }
  TempDir dir_;
};

TEST_F(ServerRetentionTest, KeepsTheLogNearItsSizeLimitWhileServing) {
  auto server = Start("master", 1, {"--ulog-retain", "size=8k", "--checkpoint-interval", "0.1"});
  Contents written;
  Write(server->port(), "k", 1000, &written);
  const uint32_t newest = FileNumbers(Ulog("master")).back();
  ASSERT_GT(newest, 20u) << "the load should have filled many files";
  EXPECT_TRUE(PollFor(10, [&] { return TotalBytes(Ulog("master")) <= 8192; }))
      << TotalBytes(Ulog("master")) << " bytes left";
  const std::vector<uint32_t> left = FileNumbers(Ulog("master"));
  EXPECT_GT(left.front(), 1u);
  EXPECT_GE(left.back(), newest) << "the current file was deleted";
  EXPECT_TRUE(Contiguous(left));
  EXPECT_EQ(Mismatches(server->port(), written), 0u);
  EXPECT_NE(
      ReadWholeFile(dir_.Join("master.log")).find("update-log retention deleted 00000001.ulog"),
      std::string::npos);
}

TEST_F(ServerRetentionTest, KeepsEveryFileRecoveryNeedsThroughKillNine) {
  // No periodic checkpoint: recovery after kill -9 re-applies everything after
  // the sync below, and a tree database keeps its pages in process memory, so
  // those writes survive only through the log files retention must keep.
  const std::vector<std::string> args = {"--ulog-retain", "size=4k", "--checkpoint-interval", "0"};
  auto server = Start("master", 1, args);
  Contents written;
  Write(server->port(), "before-", 300, &written);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_EQ(FileNumbers(Ulog("master")).front(), 1u)
      << "without a checkpoint, recovery needs the whole log";
  {
    RemoteDB db;
    ASSERT_TRUE(db.Open("127.0.0.1", server->port(), 10).ok());
    ASSERT_TRUE(db.Sync().ok());
  }
  uint64_t checkpoint = 0;
  ASSERT_TRUE(ReadCheckpoint(Ulog("master"), &checkpoint).ok());
  ASSERT_GT(checkpoint, 0u);
  Write(server->port(), "after-", 300, &written);
  EXPECT_TRUE(PollFor(10, [&] { return FileNumbers(Ulog("master")).front() > 1; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // a few more passes
  EXPECT_GE(CountRecordsFrom(Ulog("master"), checkpoint + 1), 300u);
  EXPECT_GT(TotalBytes(Ulog("master")), 4096u) << "files after the checkpoint were deleted";
  EXPECT_TRUE(Contiguous(FileNumbers(Ulog("master"))));
  server->Kill();

  auto restarted = Start("master", 1, args);
  EXPECT_EQ(Mismatches(restarted->port(), written), 0u);
  EXPECT_NE(ReadWholeFile(dir_.Join("master.log")).find("re-applied"), std::string::npos);
}

TEST_F(ServerRetentionTest, KeepsWhatAStoppedSlaveAcknowledged) {
  auto master = Start("master", 1, {"--ulog-retain", "size=4k", "--checkpoint-interval", "0.1"});
  const std::vector<std::string> slave_args = {"-mhost", "127.0.0.1",
                                               "-mport", std::to_string(master->port()),
                                               "-rts",   dir_.Join("slave.rts")};
  auto slave = Start("slave", 2, slave_args);
  Contents written;
  Write(master->port(), "first-", 300, &written);
  ASSERT_TRUE(PollFor(15, [&] { return Mismatches(slave->port(), written) == 0; }));
  // The slave's acknowledgement reaches the registry within seconds.
  std::vector<SlaveAck> acks;
  ASSERT_TRUE(PollFor(10,
                      [&] {
                        return ReadSlaveRegistry(Ulog("master"), &acks).ok() && acks.size() == 1 &&
                               CountRecordsFrom(Ulog("master"), acks[0].acked_ts + 1) == 0;
                      }))
      << "no acknowledgement of the slave's position in " << SlaveRegistryPath(Ulog("master"));
  EXPECT_EQ(slave->Stop(SIGTERM), 0);
  const uint64_t acked = acks[0].acked_ts;

  Write(master->port(), "second-", 600, &written);
  // Retention deletes what nobody needs any more...
  EXPECT_TRUE(PollFor(10, [&] { return FileNumbers(Ulog("master")).front() > 1; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // a few more passes
  // ... but not what the stopped slave will ask for.
  EXPECT_EQ(CountRecordsFrom(Ulog("master"), acked + 1), 600u);
  EXPECT_GT(TotalBytes(Ulog("master")), 4096u);

  auto restarted = Start("slave", 2, slave_args);
  EXPECT_TRUE(PollFor(15, [&] { return Mismatches(restarted->port(), written) == 0; }))
      << Mismatches(restarted->port(), written) << " keys differ";
}

// `ttulmgr purge` on a directory written by hand: file i (1..5) holds records
// i*100+1 .. i*100+3, file 6 (the newest) one record at 601.
class PurgeTest : public ::testing::Test {
 protected:
  PurgeTest() : ulog_(dir_.Join("ulog")) {
    std::filesystem::create_directory(ulog_);
    for (uint64_t file = 1; file <= 6; ++file) {
      std::string bytes;
      for (uint64_t k = 1; k <= (file == 6 ? 1u : 3u); ++k) {
        EncodeFileRecord(UlogRecord{file * 100 + k, 1, 0, std::string("\xC8\x10", 2)}, &bytes);
      }
      WriteWholeFile(UlogFileName(ulog_, static_cast<uint32_t>(file)), bytes);
    }
    Base(100000);  // covers every record: only the other needs count
  }
  void Base(uint64_t ts) {
    std::unique_ptr<BaseWriter> base;
    ASSERT_TRUE(BaseWriter::Open(ulog_, ts, 1, &base).ok());
    ASSERT_TRUE(base->Commit().ok());
  }
  // Runs ttulmgr purge with `args` before the directory; the exit status.
  int Purge(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {TtulmgrPath(), "purge"};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.push_back(ulog_);
    out_.clear();
    err_.clear();
    return RunProgram(argv, &out_, &err_);
  }
  void Checkpoint(uint64_t ts) { ASSERT_TRUE(WriteCheckpoint(ulog_, ts).ok()); }
  uint32_t Oldest() { return FileNumbers(ulog_).front(); }

  TempDir dir_;
  const std::string ulog_;
  std::string out_, err_;
};

TEST_F(PurgeTest, DryRunListsWhatWouldGoAndDeletesNothing) {
  Checkpoint(10000);
  ASSERT_EQ(Purge({"-ts", "10000", "-dry-run"}), 0) << err_;
  for (const char* name : {"00000001", "00000005"}) {
    EXPECT_NE(out_.find(std::string("would delete ") + name + ".ulog"), std::string::npos) << out_;
  }
  EXPECT_EQ(out_.find("00000006.ulog"), std::string::npos) << "the newest file always stays";
  EXPECT_NE(out_.find("would delete 5 of 6 files"), std::string::npos) << out_;
  EXPECT_EQ(FileNumbers(ulog_).size(), 6u);
}

TEST_F(PurgeTest, TsDeletesFilesWhoseRecordsAreAllOlder) {
  Checkpoint(10000);
  ASSERT_EQ(Purge({"-ts", "300"}), 0) << err_;
  EXPECT_EQ(Oldest(), 2u) << out_;
  // File 2's records are all older than file 3's first, 301.
  ASSERT_EQ(Purge({"--ts=301"}), 0) << err_;
  EXPECT_EQ(Oldest(), 3u) << out_;
  ASSERT_EQ(Purge({"-ts", "400"}), 0) << err_;
  EXPECT_EQ(Oldest(), 3u) << out_;
  ASSERT_EQ(Purge({"-ts", "401"}), 0) << err_;
  EXPECT_EQ(Oldest(), 4u) << out_;
  EXPECT_NE(out_.find("deleted 00000003.ulog (ts 301 to before 401, "), std::string::npos) << out_;
  EXPECT_TRUE(std::filesystem::exists(UlogFileName(ulog_, 6)));
}

TEST_F(PurgeTest, KeepsWhatTheCheckpointNeeds) {
  Checkpoint(250);
  ASSERT_EQ(Purge({"-age", "1d"}), 0) << err_;
  EXPECT_EQ(Oldest(), 2u) << out_;
  EXPECT_NE(out_.find("records from ts 251 on are kept"), std::string::npos) << out_;
  // Exactly at the boundary: records up to 300 are in the database.
  Checkpoint(300);
  ASSERT_EQ(Purge({"-age", "1d"}), 0) << err_;
  EXPECT_EQ(Oldest(), 3u) << out_;
}

TEST_F(PurgeTest, KeepsWhatTheBaseDoesNotCoverUnlessForced) {
  Checkpoint(10000);
  Base(250);
  ASSERT_EQ(Purge({"-age", "1d"}), 0) << err_;
  EXPECT_EQ(Oldest(), 2u) << out_;
  EXPECT_NE(out_.find("records from ts 251 on are kept"), std::string::npos) << out_;
  EXPECT_NE(out_.find("note: 4 more files are kept because the base snapshot"), std::string::npos)
      << out_;
  ASSERT_EQ(Purge({"-age", "1d", "-force"}), 0) << err_;
  EXPECT_EQ(Oldest(), 6u) << out_;
  EXPECT_NE(out_.find("warning: records after the base snapshot"), std::string::npos) << out_;
}

TEST_F(PurgeTest, WithoutACheckpointKeepsEverythingAndSaysWhy) {
  ASSERT_EQ(Purge({"-size", "1"}), 0) << err_;
  EXPECT_EQ(Oldest(), 1u);
  EXPECT_NE(out_.find("no ttserver.checkpoint"), std::string::npos) << out_;
}

TEST_F(PurgeTest, KeepsWhatARecentlyAcknowledgingSlaveNeeds) {
  Checkpoint(10000);
  const double now = static_cast<double>(time(nullptr));
  WriteWholeFile(SlaveRegistryPath(ulog_), "2\t150\t" + std::to_string(now) + "\tslave:1978\n" +
                                               "3\t5\t" + std::to_string(now - 3600) +
                                               "\told:1978\n");
  // Slave 3 acknowledged an hour ago: held by the default 7 days.
  ASSERT_EQ(Purge({"-size", "1"}), 0) << err_;
  EXPECT_EQ(Oldest(), 1u) << out_;
  // Within a 10-minute hold, only slave 2 counts: it has applied up to 150.
  ASSERT_EQ(Purge({"-size", "1", "-hold", "10m"}), 0) << err_;
  EXPECT_EQ(Oldest(), 1u) << out_;
  WriteWholeFile(SlaveRegistryPath(ulog_), "2\t201\t" + std::to_string(now) + "\tslave:1978\n" +
                                               "3\t5\t" + std::to_string(now - 3600) +
                                               "\told:1978\n");
  ASSERT_EQ(Purge({"-size", "1", "-hold", "10m"}), 0) << err_;
  EXPECT_EQ(Oldest(), 2u) << out_;
}

TEST_F(PurgeTest, SizeDeletesOldestFirstUntilTheRestFits) {
  Checkpoint(10000);
  const uint64_t file_size = std::filesystem::file_size(UlogFileName(ulog_, 1));
  const uint64_t total = TotalBytes(ulog_);
  ASSERT_EQ(Purge({"-size", std::to_string(total - 2 * file_size)}), 0) << err_;
  EXPECT_EQ(Oldest(), 3u) << out_;
  EXPECT_NE(out_.find("deleted 2 of 6 files"), std::string::npos) << out_;
}

TEST_F(PurgeTest, ErrorsSayWhatWentWrongAndWhatToDo) {
  EXPECT_EQ(Purge({}), 1);
  EXPECT_NE(err_.find("purge needs -age, -size or -ts"), std::string::npos) << err_;
  EXPECT_EQ(Purge({"-ts", "5", "-lim", "1k"}), 1);
  EXPECT_NE(err_.find("-lim does not belong to purge"), std::string::npos) << err_;
  EXPECT_EQ(Purge({"-age", "7w"}), 1);
  EXPECT_NE(err_.find("-age wants a duration"), std::string::npos) << err_;
  WriteWholeFile(SlaveRegistryPath(ulog_), "not a registry\n");
  Checkpoint(10000);
  EXPECT_EQ(Purge({"-ts", "10000"}), 1);
  EXPECT_NE(err_.find("nothing was deleted"), std::string::npos) << err_;
  EXPECT_EQ(Oldest(), 1u);
  std::string out, err;
  EXPECT_EQ(RunProgram({TtulmgrPath(), "purge", "-ts", "5", dir_.Join("missing")}, &out, &err), 1);
  EXPECT_NE(err.find("cannot read update log directory"), std::string::npos) << err;
}

}  // namespace
}  // namespace tt::testing
