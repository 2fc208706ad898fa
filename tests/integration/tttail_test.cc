// tttail against a real ttserver master (-ulog -sid 1) on loopback: the JSON
// and TSV lines of every record kind with --stop-at-end, resuming from a
// checkpoint file, clear refusals, and exactly-once delivery into SQLite and
// into a real PostgreSQL (Debian's postgresql, started by the test) through
// kill -9 of tttail mid-stream while the master is under write load: after a
// restart and --stop-at-end, the table equals the master key by key; and
// failures of a sink that leave the checkpoint where the table is.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <ctime>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "client/remote_db.h"
#include "repl/rts_file.h"
#include "repl/tail/postgres_sink.h"
#include "tests/integration/protocol_support.h"
#include "tests/integration/server_process.h"
#include "tests/integration/tail_process.h"
#include "tests/repl/tail/sink_semantics.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "ulog/record.h"
#include "ulog/ulog_reader.h"

namespace tt::testing {
namespace {

using Contents = std::map<std::string, std::string>;

const char kPostgresBin[] = "/usr/lib/postgresql/15/bin";

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

int RunTail(const std::vector<std::string>& args, std::string* out, std::string* err) {
  std::vector<std::string> argv = {TttailPath()};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunProgram(argv, out, err);
}

// Runs tttail with `args`, its standard output a pipe whose reader is gone
// (as in `tttail ... | head -1` once head has exited); its exit status as
// TailProcess::Wait gives it, its standard error into *err.
int RunTailIntoClosedPipe(const std::vector<std::string>& args, const std::string& err_path,
                          std::string* err) {
  int fds[2];
  if (pipe(fds) != 0) return -1;
  close(fds[0]);
  TailProcess tail(args, fds[1], err_path);
  const int status = tail.Wait(30);
  *err = ReadWholeFile(err_path);
  return status;
}

// Polls `done` every 10 ms for up to `seconds`.
bool Eventually(double seconds, const std::function<bool()>& done) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < until) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return done();
}

// Every key and value of the master: keys by its iterator, values by mget.
Contents MasterContents(int port) {
  RemoteDB db;
  Contents contents;
  std::vector<std::string> keys;
  EXPECT_TRUE(db.Open("127.0.0.1", port, 30).ok());
  EXPECT_TRUE(db.IterInit().ok());
  for (std::string key; db.IterNext(&key).ok();) keys.push_back(key);
  std::vector<std::pair<std::string, std::string>> found;
  for (size_t at = 0; at < keys.size(); at += 1000) {
    std::vector<std::string> batch(keys.begin() + at,
                                   keys.begin() + std::min(keys.size(), at + 1000));
    EXPECT_TRUE(db.MGet(batch, &found).ok());
    for (auto& [key, value] : found) contents[key] = value;
  }
  return contents;
}

// The byte string of `n`'s 16 bytes, cycling through every byte value.
std::string BinaryValue(uint32_t n) {
  std::string value;
  for (uint32_t i = 0; i < 16; ++i) value.push_back(static_cast<char>((n * 7 + i * 31) & 0xFF));
  return value;
}

std::string BinaryKey(uint32_t n) {
  std::string key = "bin";
  for (int shift = 24; shift >= 0; shift -= 8) key.push_back(static_cast<char>(n >> shift));
  return key;
}

class TttailTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(mkdir(dir_.Join("ulog").c_str(), 0755), 0);
    std::vector<std::string> args = {"-ulog", dir_.Join("ulog"), "-sid", "1"};
    const std::vector<std::string> more = MoreMasterArgs();
    args.insert(args.end(), more.begin(), more.end());
    master_ = std::make_unique<ServerProcess>(args, dir_.Join("m.kch"));
    ASSERT_TRUE(master_->started());
    ASSERT_TRUE(db_.Open("127.0.0.1", master_->port(), 10).ok());
  }

  // Options of the master besides its update log.
  virtual std::vector<std::string> MoreMasterArgs() const { return {}; }

  std::vector<std::string> Args(std::vector<std::string> more) {
    more.insert(more.begin(), {"--port", std::to_string(master_->port())});
    more.push_back("127.0.0.1");
    return more;
  }

  // `records` records through putlist (one round trip per 1000), over
  // `keys` distinct binary keys with binary values.
  void Preload(uint32_t records, uint32_t keys) {
    std::vector<std::string> args;
    std::vector<std::string> result;
    for (uint32_t i = 0; i < records; ++i) {
      args.push_back(BinaryKey(i % keys));
      args.push_back(BinaryValue(i));
      if (args.size() == 2000 || i + 1 == records) {
        ASSERT_TRUE(db_.Misc("putlist", args, 0, &result).ok());
        args.clear();
      }
    }
  }

  // A mixed write load (put, putcat, addint, out) from one client until `stop`.
  std::thread WriteLoad(std::atomic<bool>* stop) {
    return std::thread([this, stop] {
      RemoteDB db;
      ASSERT_TRUE(db.Open("127.0.0.1", master_->port(), 10).ok());
      int32_t sum = 0;
      for (uint32_t i = 0; !stop->load(); ++i) {
        ASSERT_TRUE(db.Put(BinaryKey(i % 5000), BinaryValue(i + 1)).ok());
        ASSERT_TRUE(db.PutCat("log" + std::to_string(i % 7), BinaryValue(i).substr(0, 3)).ok());
        ASSERT_TRUE(db.AddInt("counter", 3, &sum).ok());
        Status s = db.Out(BinaryKey((i * 13) % 5000));
        ASSERT_TRUE(s.ok() || s.IsNotFound()) << s.ToString();
      }
    });
  }

  // The exactly-once scenario of a sink: a stream of over 100k records, tttail
  // killed with SIGKILL twice mid-stream while a load writes, then run to the
  // end; `table` reads the sink's kv table, `checkpoint` its checkpoint row.
  void KillMidStreamThenCompare(const std::vector<std::string>& sink_args,
                                const std::function<Contents()>& table,
                                const std::function<uint64_t()>& checkpoint) {
    Preload(110000, 20000);
    std::string all_bytes;
    for (int b = 0; b < 256; ++b) all_bytes.push_back(static_cast<char>(b));
    ASSERT_TRUE(db_.Put(all_bytes, all_bytes).ok());
    const uint64_t preload_end = LastLoggedTimestamp();
    std::atomic<bool> stop{false};
    std::thread load = WriteLoad(&stop);
    for (int round = 0; round < 2; ++round) {
      TailProcess tail(Args(sink_args), dir_.Join("sink.out"));
      const uint64_t before = checkpoint();
      ASSERT_TRUE(Eventually(20, [&] { return checkpoint() > before; }))
          << ReadWholeFile(dir_.Join("sink.out.err"));
      EXPECT_EQ(tail.Signal(SIGKILL), 128 + SIGKILL);
      // The first kill landed mid-stream, inside the preloaded records.
      if (round == 0) {
        EXPECT_LT(checkpoint(), preload_end);
      }
    }
    const uint64_t at_kill = checkpoint();
    stop = true;
    load.join();
    std::vector<std::string> to_the_end = sink_args;
    to_the_end.push_back("--stop-at-end");
    std::string out, err;
    ASSERT_EQ(RunTail(Args(to_the_end), &out, &err), 0) << err;
    EXPECT_LT(at_kill, checkpoint());
    const Contents expected = MasterContents(master_->port());
    const Contents actual = table();
    ASSERT_EQ(actual.size(), expected.size());
    size_t differing = 0;
    for (const auto& [key, value] : expected) {
      auto it = actual.find(key);
      if (it == actual.end() || it->second != value) ++differing;
    }
    EXPECT_EQ(differing, 0u);
    EXPECT_EQ(actual.count(all_bytes), 1u);
  }

  // The timestamp of the newest record in the master's update log.
  uint64_t LastLoggedTimestamp() {
    std::unique_ptr<UlogReader> reader;
    EXPECT_TRUE(UlogReader::Open(dir_.Join("ulog"), 1, &reader).ok());
    uint64_t last = 0;
    for (UlogRecord record; reader && reader->Next(&record).ok();) last = record.ts;
    return last;
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> master_;
  RemoteDB db_;
};

TEST_F(TttailTest, StopAtEndPrintsEveryRecordAsJson) {
  std::string all_bytes;
  for (int b = 0; b < 256; ++b) all_bytes.push_back(static_cast<char>(b));
  int32_t sum = 0;
  std::vector<std::string> result;
  ASSERT_TRUE(db_.Put("foo", "bar").ok());
  ASSERT_TRUE(db_.Put("quote\"\n", all_bytes).ok());
  ASSERT_TRUE(db_.AddInt("n", 5, &sum).ok());  // logged as a put of the sum
  ASSERT_TRUE(db_.PutCat("foo", "baz").ok());  // logged as a put of the result
  ASSERT_TRUE(db_.Out("foo").ok());
  ASSERT_TRUE(db_.Misc("putlist", {"a", "1"}, 0, &result).ok());
  ASSERT_TRUE(db_.Vanish().ok());
  std::string out, err;
  ASSERT_EQ(RunTail(Args({"--stop-at-end"}), &out, &err), 0) << err;
  std::vector<std::string> lines = Lines(out);
  ASSERT_EQ(lines.size(), 7u) << out;
  std::string base64;
  {
    // "AAECAwQF..." checked through its known prefix and length.
    const size_t at = lines[1].find("\"value_base64\":\"");
    ASSERT_NE(at, std::string::npos) << lines[1];
    base64 = lines[1].substr(at + 16, lines[1].find('"', at + 16) - at - 16);
  }
  EXPECT_EQ(base64.size(), 344u);
  EXPECT_TRUE(base64.starts_with("AAECAwQFBgcICQoL")) << base64;
  const std::vector<std::string> tails = {
      R"("sid":1,"op":"put","ok":true,"key":"foo","value":"bar"})",
      R"("sid":1,"op":"put","ok":true,"key":"quote\"\n","value_base64":")" + base64 + "\"}",
      R"("sid":1,"op":"put","ok":true,"key":"n","value":"\u0005\u0000\u0000\u0000"})",
      R"("sid":1,"op":"put","ok":true,"key":"foo","value":"barbaz"})",
      R"("sid":1,"op":"out","ok":true,"key":"foo"})",
      R"("sid":1,"op":"put","ok":true,"key":"a","value":"1"})",
      R"("sid":1,"op":"vanish","ok":true})",
  };
  for (size_t i = 0; i < lines.size(); ++i) {
    EXPECT_TRUE(lines[i].starts_with("{\"ts\":")) << lines[i];
    EXPECT_TRUE(lines[i].ends_with(tails[i])) << lines[i] << "\nwanted the end " << tails[i];
  }
}

// The master speaks memcached on the same port; a set's flags and expiry
// travel in a putmeta record, which our master streams to tttail as it is.
TEST_F(TttailTest, MemcachedFlagsAndExpiryReachJsonAndSqlite) {
  RawConnection memcached(master_->port());
  ASSERT_EQ(TextExchange(memcached, "set k 42 3600 5\r\nvalue\r\n"), "STORED\r\n");
  const int64_t expected_expiry = time(nullptr) + 3600;
  auto near_expected = [&](int64_t expires_at) {
    return expires_at >= expected_expiry - 5 && expires_at <= expected_expiry + 5;
  };
  std::string out, err;
  ASSERT_EQ(RunTail(Args({"--stop-at-end"}), &out, &err), 0) << err;
  ASSERT_EQ(Lines(out).size(), 1u) << out;
  const std::string fields = R"("op":"putmeta","ok":true,"key":"k","value":"value","flags":42,)";
  const std::string expiry = R"("expires_at":)";
  ASSERT_NE(out.find(fields + expiry), std::string::npos) << out;
  EXPECT_TRUE(near_expected(std::stoll(out.substr(out.find(expiry) + expiry.size())))) << out;

  const std::string path = dir_.Join("tail.sqlite");
  ASSERT_EQ(RunTail(Args({"--stop-at-end", "--sqlite", path}), &out, &err), 0) << err;
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT flags, expires_at FROM kv WHERE key = CAST('k' AS BLOB)",
                               -1, &stmt, nullptr),
            SQLITE_OK);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int64(stmt, 0), 42);
  EXPECT_TRUE(near_expected(sqlite3_column_int64(stmt, 1))) << sqlite3_column_int64(stmt, 1);
  sqlite3_finalize(stmt);
  sqlite3_close(db);
}

TEST_F(TttailTest, TsvIsTheExportOfTheMastersLog) {
  ASSERT_TRUE(db_.Put("k1", "v1").ok());
  ASSERT_TRUE(db_.Put(std::string("k\0\t2", 4), std::string("\xff\x00", 2)).ok());
  ASSERT_TRUE(db_.Out("k1").ok());
  std::string out, err, exported;
  ASSERT_EQ(RunTail(Args({"--stop-at-end", "--format", "tsv"}), &out, &err), 0) << err;
  ASSERT_EQ(RunProgram({TtulmgrPath(), "export", dir_.Join("ulog")}, &exported), 0);
  // The stream has no mid: tttail shows the master's id there, as
  // `tcrmgr repl -ph` does, where the file has 0.
  std::string expected;
  for (const std::string& line : Lines(exported)) {
    std::string shown = line;
    shown.replace(shown.find("\t1:0\t"), 5, "\t1:1\t");
    expected += shown + "\n";
  }
  EXPECT_EQ(out, expected);
  EXPECT_EQ(Lines(out).size(), 3u);
}

TEST_F(TttailTest, CheckpointResumesAfterTheLastDeliveredRecord) {
  const std::string checkpoint = dir_.Join("tail.ts");
  ASSERT_TRUE(db_.Put("one", "1").ok());
  ASSERT_TRUE(db_.Put("two", "2").ok());
  std::string out, err;
  ASSERT_EQ(RunTail(Args({"--stop-at-end", "--checkpoint", checkpoint}), &out, &err), 0) << err;
  ASSERT_EQ(Lines(out).size(), 2u) << out;
  EXPECT_EQ(ReadWholeFile(checkpoint), Lines(out)[1].substr(6, Lines(out)[1].find(',') - 6) + "\n");

  ASSERT_EQ(RunTail(Args({"--stop-at-end", "--checkpoint", checkpoint}), &out, &err), 0) << err;
  EXPECT_EQ(out, "");
  ASSERT_TRUE(db_.Put("three", "3").ok());
  ASSERT_EQ(RunTail(Args({"--stop-at-end", "--checkpoint", checkpoint}), &out, &err), 0) << err;
  ASSERT_EQ(Lines(out).size(), 1u) << out;
  EXPECT_NE(out.find("\"key\":\"three\""), std::string::npos) << out;
}

TEST_F(TttailTest, GarbageCheckpointIsRefusedNotReadAsTheStart) {
  const std::string checkpoint = dir_.Join("tail.ts");
  ASSERT_TRUE(db_.Put("one", "1").ok());
  std::ofstream(checkpoint) << "garbage\n";
  std::string out, err;
  EXPECT_NE(RunTail(Args({"--stop-at-end", "--checkpoint", checkpoint}), &out, &err), 0);
  EXPECT_EQ(out, "");
  EXPECT_NE(err.find(checkpoint + " (--checkpoint) does not hold a timestamp"), std::string::npos)
      << err;
  EXPECT_EQ(ReadWholeFile(checkpoint), "garbage\n");
}

TEST_F(TttailTest, FollowStreamsNewRecordsAndSigtermSavesTheCheckpoint) {
  const std::string checkpoint = dir_.Join("tail.ts");
  TailProcess tail(Args({"--checkpoint", checkpoint}), dir_.Join("follow.out"));
  ASSERT_TRUE(db_.Put("live", "1").ok());
  ASSERT_TRUE(Eventually(10, [&] {
    return ReadWholeFile(dir_.Join("follow.out")).find("live") != std::string::npos;
  }));
  EXPECT_EQ(tail.Signal(SIGTERM), 0);
  const std::string line = ReadWholeFile(dir_.Join("follow.out"));
  EXPECT_EQ(ReadWholeFile(checkpoint), line.substr(6, line.find(',') - 6) + "\n");
}

TEST_F(TttailTest, ClosedStandardOutputIsAnErrorNotASignal) {
  ASSERT_TRUE(db_.Put("one", "1").ok());
  ASSERT_TRUE(db_.Put("two", "2").ok());
  const std::string checkpoint = dir_.Join("tail.ts");
  std::string err;
  EXPECT_EQ(RunTailIntoClosedPipe(Args({"--stop-at-end", "--checkpoint", checkpoint}),
                                  dir_.Join("pipe.err"), &err),
            1);
  EXPECT_TRUE(err.starts_with("tttail: error: cannot write to standard output: Broken pipe"))
      << err;
  // Nothing reached a reader: the checkpoint did not move.
  EXPECT_EQ(ReadWholeFile(checkpoint), "");
}

TEST_F(TttailTest, ErrorsSayWhatWentWrong) {
  std::string out, err;
  EXPECT_EQ(
      RunTail({"--stop-at-end", "--port", std::to_string(FreePort()), "127.0.0.1"}, &out, &err), 1);
  EXPECT_NE(err.find("cannot reach the master"), std::string::npos) << err;
  // The master refuses its own sid.
  EXPECT_EQ(RunTail(Args({"--stop-at-end", "--sid", "1"}), &out, &err), 1);
  EXPECT_NE(err.find("refused the replication handshake"), std::string::npos) << err;
  EXPECT_EQ(RunTail({"--format", "yaml", "h"}, &out, &err), 1);
  EXPECT_NE(err.find("json or tsv"), std::string::npos) << err;
}

// A master that keeps its update log near 4 KiB in files of 2 KiB, checked
// every 0.1 s: files nobody needs go soon.
class TttailRetentionTest : public TttailTest {
 protected:
  std::vector<std::string> MoreMasterArgs() const override {
    return {"-ulim",
            "2k",
            "--ulog-retain",
            "size=4k",
            "--ulog-retain-interval",
            "0.1",
            "--checkpoint-interval",
            "0.1",
            "-log",
            dir_.Join("master.log")};
  }

  // Puts `count` keys `prefix`0, `prefix`1, ... with values that fill the log.
  void Write(const std::string& prefix, int count) {
    for (int i = 0; i < count; ++i) {
      const std::string key = prefix + std::to_string(i);
      ASSERT_TRUE(db_.Put(key, "value of " + key + " padded to fill the log faster").ok());
    }
  }

  uint32_t OldestFile() {
    std::vector<uint32_t> numbers;
    EXPECT_TRUE(ListUlogFiles(dir_.Join("ulog"), &numbers).ok());
    return numbers.empty() ? 0 : numbers.front();
  }
};

// tttail acknowledges what it has checkpointed: while it is stopped, the
// master keeps the log files it has not delivered (it acknowledged within
// --ulog-retain-hold, 7 days by default).
TEST_F(TttailRetentionTest, StoppedTailHoldsTheLogItHasNotDelivered) {
  const std::string checkpoint = dir_.Join("tail.ts");
  Write("first-", 300);
  {
    TailProcess tail(Args({"--checkpoint", checkpoint}), dir_.Join("held.out"));
    const uint64_t last = LastLoggedTimestamp();
    ASSERT_TRUE(Eventually(20, [&] { return ParseRts(ReadWholeFile(checkpoint)) >= last; }))
        << ReadWholeFile(dir_.Join("held.out.err"));
    // A heartbeat or two: the master has its acknowledgement.
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    EXPECT_EQ(tail.Signal(SIGTERM), 0);
  }
  Write("second-", 600);
  // Retention deletes what nobody needs any more...
  EXPECT_TRUE(Eventually(10, [&] { return OldestFile() > 1; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // a few more passes
  // ... but not what the stopped tttail will ask for.
  std::string out, err;
  ASSERT_EQ(RunTail(Args({"--stop-at-end", "--checkpoint", checkpoint}), &out, &err), 0) << err;
  EXPECT_EQ(Lines(out).size(), 600u);
  EXPECT_NE(out.find("\"key\":\"second-0\""), std::string::npos);
}

TEST_F(TttailRetentionTest, LogThatNoLongerReachesTheCheckpointStopsTttail) {
  Write("k", 300);
  ASSERT_TRUE(Eventually(10, [&] { return OldestFile() > 1; }));
  const std::string checkpoint = dir_.Join("tail.ts");
  WriteWholeFile(checkpoint, "1000\n");
  std::string out, err;
  EXPECT_EQ(RunTail(Args({"--stop-at-end", "--checkpoint", checkpoint}), &out, &err), 1);
  EXPECT_EQ(out, "");
  // Which records are missing, and what to do.
  EXPECT_NE(err.find("tttail: error: the master's update log no longer reaches tttail's "
                     "position: the records from timestamp 1001 to "),
            std::string::npos)
      << err;
  EXPECT_NE(err.find("rebuild what tttail feeds from a copy of the master"), std::string::npos)
      << err;
  EXPECT_NE(err.find("set the checkpoint file " + checkpoint + " to the ulog_ts of that copy"),
            std::string::npos)
      << err;
  EXPECT_EQ(ReadWholeFile(checkpoint), "1000\n");
  // Without a position tttail starts at the oldest record the master has.
  ASSERT_EQ(RunTail(Args({"--stop-at-end"}), &out, &err), 0) << err;
  EXPECT_FALSE(out.empty());
}

// SQLite: the rows of table kv and the checkpoint row.
Contents SqliteTable(const std::string& path) {
  Contents contents;
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, "SELECT key, value FROM kv", -1, &stmt, nullptr), SQLITE_OK);
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    auto text = [&](int column) {
      const char* data = static_cast<const char*>(sqlite3_column_blob(stmt, column));
      return std::string(data != nullptr ? data : "", sqlite3_column_bytes(stmt, column));
    };
    contents[text(0)] = text(1);
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return contents;
}

uint64_t SqliteCheckpoint(const std::string& path) {
  sqlite3* db = nullptr;
  uint64_t ts = 0;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db, "SELECT ts FROM tttail_checkpoint", -1, &stmt, nullptr) ==
            SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW) {
      ts = static_cast<uint64_t>(sqlite3_column_int64(stmt, 0));
    }
    sqlite3_finalize(stmt);
  }
  sqlite3_close(db);
  return ts;
}

TEST_F(TttailTest, SqliteSinkIsExactlyOnceThroughKillMinusNine) {
  const std::string path = dir_.Join("tail.sqlite");
  KillMidStreamThenCompare(
      {"--sqlite", path}, [&] { return SqliteTable(path); },
      [&] { return SqliteCheckpoint(path); });
}

// An original master's timestamps may repeat (two writes in one
// microsecond) and go back (a clock stepped back): tttail delivers every
// record its master streams, to stdout and into a sink, and checkpoints the
// newest timestamp.
TEST(TttailOriginalMasterTest, RepeatedAndSteppedBackTimestampsAreAllDelivered) {
  TempDir dir;
  const uint64_t t = 1700000000000000;
  const std::vector<UlogRecord> records = PutsWithRepeatedAndSteppedBackTimestamps(t);
  ASSERT_NO_FATAL_FAILURE(ImportLog(dir.Join("ulog"), records));
  std::string out, err;
  // With its stat masked, our master looks like an original to tttail.
  ServerProcess master({"-ulog", dir.Join("ulog"), "-sid", "1", "-mask", "stat"},
                       dir.Join("m.kch"));
  ASSERT_TRUE(master.started());
  const std::vector<std::string> to_master = {"--port", std::to_string(master.port()),
                                              "--stop-at-end"};
  auto args = [&](std::vector<std::string> more) {
    more.insert(more.begin(), to_master.begin(), to_master.end());
    more.push_back("127.0.0.1");
    return more;
  };
  const std::string checkpoint = dir.Join("tail.ts");
  ASSERT_EQ(RunTail(args({"--checkpoint", checkpoint}), &out, &err), 0) << err;
  EXPECT_EQ(Lines(out).size(), records.size()) << out;
  EXPECT_EQ(ReadWholeFile(checkpoint), std::to_string(t + 1) + "\n");
  const std::string sqlite = dir.Join("tail.sqlite");
  ASSERT_EQ(RunTail(args({"--sqlite", sqlite}), &out, &err), 0) << err;
  EXPECT_EQ(SqliteTable(sqlite),
            (Contents{{"a", "1"}, {"b", "2"}, {"c", "3"}, {"d", "4"}}));
  EXPECT_EQ(SqliteCheckpoint(sqlite), t + 1);
}

// A PostgreSQL server of its own in a temporary directory on a free port,
// run as the postgres user when the test runs as root (initdb refuses root).
class PostgresServer {
 public:
  // Empty when it started; else why not.
  std::string Start() {
    if (access((std::string(kPostgresBin) + "/initdb").c_str(), X_OK) != 0) {
      return std::string("PostgreSQL 15 is not installed (Debian package postgresql)");
    }
    const std::string data = dir_.Join("data");
    if (geteuid() == 0) {
      // The postgres user must own the directories; setpriv execs in place,
      // so the pid below is the postmaster's own.
      chmod(dir_.path().c_str(), 0755);
      RunProgram({"/bin/chown", "-R", "postgres:postgres", dir_.path()}, nullptr);
      as_user_ = {"/usr/bin/setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups",
                  "--"};
    }
    std::string out, err;
    if (RunProgram(Command({std::string(kPostgresBin) + "/initdb", "-D", data, "-A", "trust", "-U",
                            "postgres", "--no-sync", "-E", "UTF8"}),
                   &out, &err) != 0) {
      return "initdb failed: " + err;
    }
    port_ = FreePort();
    server_ = ServerProcess::StartProgram(
        Command({std::string(kPostgresBin) + "/postgres", "-D", data, "-k", dir_.path(), "-p",
                 std::to_string(port_), "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c",
                 "log_min_messages=panic", "-c", "log_min_error_statement=panic"}),
        port_);
    if (!server_->started()) return "postgres did not start";
    // The port opens before the server takes connections.
    for (int i = 0; i < 100; ++i) {
      PGconn* conn = PQconnectdb(ConnInfo("postgres").c_str());
      const bool ok = PQstatus(conn) == CONNECTION_OK;
      if (ok) PQclear(PQexec(conn, "CREATE DATABASE tail"));
      PQfinish(conn);
      if (ok) return "";
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return "postgres does not accept connections";
  }

  // Immediate shutdown (SIGQUIT to the postmaster), also when a test failed.
  ~PostgresServer() {
    if (server_ && server_->started()) server_->Stop(SIGQUIT);
  }

  std::string ConnInfo(const std::string& dbname) const {
    return "host=127.0.0.1 port=" + std::to_string(port_) + " user=postgres dbname=" + dbname;
  }

 private:
  std::vector<std::string> Command(std::vector<std::string> argv) const {
    argv.insert(argv.begin(), as_user_.begin(), as_user_.end());
    return argv;
  }

  TempDir dir_;
  std::vector<std::string> as_user_;
  int port_ = 0;
  std::unique_ptr<ServerProcess> server_;
};

Contents PostgresTable(const std::string& conninfo) {
  Contents contents;
  PGconn* conn = PQconnectdb(conninfo.c_str());
  PGresult* result = PQexecParams(conn, "SELECT key, value FROM kv", 0, nullptr, nullptr, nullptr,
                                  nullptr, /*resultFormat=*/1);
  EXPECT_EQ(PQresultStatus(result), PGRES_TUPLES_OK) << PQerrorMessage(conn);
  for (int row = 0; row < PQntuples(result); ++row) {
    contents[std::string(PQgetvalue(result, row, 0), PQgetlength(result, row, 0))] =
        std::string(PQgetvalue(result, row, 1), PQgetlength(result, row, 1));
  }
  PQclear(result);
  PQfinish(conn);
  return contents;
}

uint64_t PostgresCheckpoint(const std::string& conninfo) {
  PGconn* conn = PQconnectdb(conninfo.c_str());
  PGresult* result = PQexec(conn, "SELECT ts FROM tttail_checkpoint");
  uint64_t ts = 0;
  if (PQresultStatus(result) == PGRES_TUPLES_OK && PQntuples(result) > 0) {
    ts = std::stoull(PQgetvalue(result, 0, 0));
  }
  PQclear(result);
  PQfinish(conn);
  return ts;
}

// True when `why` (PostgresServer::Start's answer) means the test should
// skip: no PostgreSQL and not root. CI runs as root after dev.sh installed
// the package, so there a missing server fails the test instead.
bool NoPostgresHere(const std::string& why) {
  return why.starts_with("PostgreSQL 15 is not installed") && geteuid() != 0;
}

// Runs `sql` on the database of `conninfo` as a test's set-up.
void PostgresExec(const std::string& conninfo, const std::string& sql) {
  PGconn* conn = PQconnectdb(conninfo.c_str());
  PGresult* result = PQexec(conn, sql.c_str());
  EXPECT_EQ(PQresultStatus(result), PGRES_COMMAND_OK) << PQerrorMessage(conn);
  PQclear(result);
  PQfinish(conn);
}

// A master as TttailTest's, and a PostgreSQL server with database "tail".
class TttailPostgresTest : public TttailTest {
 protected:
  void SetUp() override {
    TttailTest::SetUp();
    const std::string why = postgres_.Start();
    if (NoPostgresHere(why)) GTEST_SKIP() << why;
    ASSERT_EQ(why, "");
    conninfo_ = postgres_.ConnInfo("tail");
  }

  PostgresServer postgres_;
  std::string conninfo_;
};

TEST_F(TttailPostgresTest, EveryRecordKindHasItsEffect) {
  std::unique_ptr<PostgresSink> sink;
  ASSERT_TRUE(PostgresSink::Open(conninfo_, &sink).ok());
  ASSERT_TRUE(sink->Prepare().ok());
  ExpectSinkSemantics(sink.get());
}

// A COMMIT that PostgreSQL refuses (here a deferred constraint trigger
// rejecting key 'bad') stops tttail with that error, and saves no
// checkpoint past records it did not store.
TEST_F(TttailPostgresTest, RefusedCommitSavesNoCheckpoint) {
  {
    std::unique_ptr<PostgresSink> sink;
    ASSERT_TRUE(PostgresSink::Open(conninfo_, &sink).ok());
    ASSERT_TRUE(sink->Prepare().ok());
  }
  PostgresExec(conninfo_,
               "CREATE FUNCTION reject_bad() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
               "IF NEW.key = 'bad'::bytea THEN RAISE EXCEPTION 'injected: key bad refused'; "
               "END IF; RETURN NULL; END $$;"
               "CREATE CONSTRAINT TRIGGER reject_bad AFTER INSERT OR UPDATE ON kv "
               "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION reject_bad()");
  ASSERT_TRUE(db_.Put("a", "1").ok());
  ASSERT_TRUE(db_.Put("bad", "2").ok());
  ASSERT_TRUE(db_.Put("c", "3").ok());
  // Follow mode: the batch is committed before waiting for the master.
  TailProcess tail(Args({"--postgres", conninfo_}), dir_.Join("pg.out"));
  EXPECT_EQ(tail.Wait(20), 1);
  const std::string err = ReadWholeFile(dir_.Join("pg.out.err"));
  EXPECT_NE(err.find("tttail: error: "), std::string::npos) << err;
  EXPECT_NE(err.find("injected: key bad refused"), std::string::npos) << err;
  EXPECT_NE(err.find("the checkpoint stays at 0"), std::string::npos) << err;
  EXPECT_EQ(err.find("what was delivered is checkpointed"), std::string::npos) << err;
  EXPECT_EQ(PostgresCheckpoint(conninfo_), 0u);
  EXPECT_EQ(PostgresTable(conninfo_), Contents{});
}

// PostgreSQL's btree holds index entries up to about 2.7 KB: a longer key
// the master accepted is a failure of its record, with the way past it.
TEST_F(TttailPostgresTest, KeyTooLongToIndexFailsItsRecord) {
  // Random bytes: PostgreSQL would compress a regular key below the limit.
  std::mt19937 random(42);
  const std::string long_key = RandomBytes(random, 3000);
  ASSERT_TRUE(db_.Put("before", "1").ok());
  const uint64_t before_ts = LastLoggedTimestamp();
  ASSERT_TRUE(db_.Put(long_key, "2").ok());
  const uint64_t long_key_ts = LastLoggedTimestamp();
  ASSERT_TRUE(db_.Put("after", "3").ok());
  std::string out, err;
  EXPECT_EQ(RunTail(Args({"--stop-at-end", "--postgres", conninfo_}), &out, &err), 1);
  EXPECT_NE(err.find("PostgreSQL cannot index keys that long"), std::string::npos) << err;
  EXPECT_NE(err.find("cannot apply the record of timestamp " + std::to_string(long_key_ts)),
            std::string::npos)
      << err;
  EXPECT_NE(err.find("skip the record by setting ts to " + std::to_string(long_key_ts)),
            std::string::npos)
      << err;
  EXPECT_EQ(err.find("current transaction is aborted"), std::string::npos) << err;
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
  // What came before it is committed, so the suggested checkpoint skips it alone.
  EXPECT_EQ(PostgresCheckpoint(conninfo_), before_ts);
  // The sink's connection serves on after the rollback of the failure.
  std::unique_ptr<PostgresSink> sink;
  ASSERT_TRUE(PostgresSink::Open(conninfo_, &sink).ok());
  ASSERT_TRUE(sink->Prepare().ok());
  ASSERT_TRUE(sink->Begin().ok());
  EXPECT_EQ(sink->Upsert(long_key, "2", 1, 0, 0).code(), Status::Code::kFailed);
  sink->Rollback();
  uint64_t checkpoint = 1;
  const Status s = sink->LoadCheckpoint("127.0.0.1:1", &checkpoint);
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(checkpoint, 0u);
}

TEST_F(TttailPostgresTest, ErrorsSayWhatToDo) {
  // PostgreSQL 15 lets only the owner of schema public create tables there.
  PostgresExec(conninfo_, "CREATE ROLE reader LOGIN");
  std::string out, err;
  const std::string as_reader = conninfo_ + " user=reader";
  EXPECT_EQ(RunTail(Args({"--stop-at-end", "--postgres", as_reader}), &out, &err), 1);
  EXPECT_TRUE(err.starts_with("tttail: error: PostgreSQL: permission denied for schema public"))
      << err;
  EXPECT_NE(err.find("the --postgres user needs the right to create tables"), std::string::npos)
      << err;
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
}

TEST_F(TttailPostgresTest, SinkIsExactlyOnceThroughKillMinusNine) {
  KillMidStreamThenCompare(
      {"--postgres", conninfo_}, [&] { return PostgresTable(conninfo_); },
      [&] { return PostgresCheckpoint(conninfo_); });
}

}  // namespace
}  // namespace tt::testing
