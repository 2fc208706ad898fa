// The slave side of replication against real ttserver processes on loopback
// (ulog-and-replication.md §4.3, issue 4): a slave follows its master under a
// write load from several clients (addint and putcat, so a record applied
// twice would show), through a kill -9 of the slave and a restart of the
// master, and through a kill -9 of the master mid-load; a dual-master pair
// converges without loops; a chain A -> B -> C converges; a brand-new slave
// catches up with a master holding 200k records under load; setmst switches
// a slave to another master. Convergence is waited for ("eventually within
// N s"), never timed.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "client/remote_db.h"
#include "tests/integration/server_process.h"
#include "tests/support/process.h"
#include "ulog/ulog_reader.h"

namespace tt::testing {
namespace {

using Contents = std::map<std::string, std::string>;

// Every key and value of the server on `port`: all keys by fwmkeys with an
// empty prefix, their values by mget in batches (fast enough for 200k records).
Contents Dump(int port) {
  Contents contents;
  RemoteDB db;
  std::vector<std::string> keys;
  if (!db.Open("127.0.0.1", port, 30).ok() || !db.FwmKeys("", -1, &keys).ok()) return contents;
  std::vector<std::pair<std::string, std::string>> found;
  for (size_t at = 0; at < keys.size(); at += 2000) {
    const std::vector<std::string> batch(keys.begin() + at,
                                         keys.begin() + std::min(keys.size(), at + 2000));
    if (!db.MGet(batch, &found).ok()) return {};
    for (auto& [key, value] : found) contents[key] = std::move(value);
  }
  return contents;
}

// The `stat` field `name` of the server on `port` ("" if absent).
std::string StatField(int port, const std::string& name) {
  RemoteDB db;
  std::string text;
  if (!db.Open("127.0.0.1", port, 10).ok() || !db.Stat(&text).ok()) return "";
  const std::string lines = "\n" + text;
  const std::string needle = "\n" + name + "\t";
  const size_t at = lines.find(needle);
  if (at == std::string::npos) return "";
  const size_t begin = at + needle.size();
  return lines.substr(begin, lines.find('\n', begin) - begin);
}

// The records of the update log in `dir`: their count and the last timestamp.
struct LogSummary {
  uint64_t records = 0;
  uint64_t last_ts = 0;
};
LogSummary Summarize(const std::string& dir) {
  LogSummary summary;
  std::unique_ptr<UlogReader> reader;
  if (!UlogReader::Open(dir, 1, &reader).ok()) return summary;
  UlogRecord record;
  while (reader->Next(&record).ok()) {
    ++summary.records;
    summary.last_ts = record.ts;
  }
  return summary;
}

// Polls `done` every 50 ms for up to `seconds`.
template <typename Fn>
bool Eventually(double seconds, Fn done) {
  auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < until) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return done();
}

// What the clients of a load that carries on through failures saw. A write
// that failed may or may not have been applied (the server may have logged it
// and died before replying), so its outcome is "unknown".
struct LoadTally {
  explicit LoadTally(int clients) : log_acked(clients), log_unknown(clients) {}
  std::atomic<uint64_t> rounds{0};           // rounds with all three writes acknowledged
  std::atomic<uint64_t> counter_acked{0};    // addints on the shared counter
  std::atomic<uint64_t> counter_unknown{0};
  std::vector<uint64_t> log_acked;           // putcats on each client's own key
  std::vector<uint64_t> log_unknown;
};

// Writes from `clients` connections until `stop` (or `rounds` rounds each
// when given): a put of a key of its own, an addint on a counter shared by
// all and a putcat on a key of its own each round. Returns the rounds done.
// Without `tally` a client stops at its first failure; with it, a client
// counts each failed write as unknown, reconnects (retrying until the server
// accepts again or `stop`) and goes on with the next write, never re-sending.
uint64_t WriteLoad(int port, const std::string& prefix, int clients, std::atomic<bool>* stop,
                   int rounds = 0, LoadTally* tally = nullptr) {
  std::atomic<uint64_t> total{0};
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      RemoteDB db;
      if (!db.Open("127.0.0.1", port, 10).ok()) return;
      const std::string me = prefix + std::to_string(c);
      // False when the client must stop.
      auto recover = [&] {
        if (tally == nullptr) return false;
        while (!stop->load() && !db.Open("127.0.0.1", port, 10).ok()) {
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        return true;
      };
      for (int i = 0; rounds > 0 ? i < rounds : !stop->load(); ++i) {
        int32_t sum;
        if (!db.Put(me + "-k" + std::to_string(i % 500), std::to_string(i)).ok()) {
          if (!recover()) return;
          continue;
        }
        if (!db.AddInt(prefix + "-counter", 1, &sum).ok()) {
          if (!recover()) return;
          ++tally->counter_unknown;
          continue;
        }
        if (tally != nullptr) ++tally->counter_acked;
        if (!db.PutCat(me + "-log", "x").ok()) {
          if (!recover()) return;
          ++tally->log_unknown[c];
          continue;
        }
        if (tally != nullptr) {
          ++tally->log_acked[c];
          ++tally->rounds;
        }
        ++total;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  return total.load();
}

// The int32 stored by addint (little-endian, 4 bytes), or -1 if `value` is not one.
int64_t AddIntValue(const std::string& value) {
  if (value.size() != 4) return -1;
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(value[i]);
  return static_cast<int32_t>(v);
}

// A WriteLoad running in the background until Stop() (or destruction, so a
// failed assertion never leaves a joinable thread behind).
class BackgroundLoad {
 public:
  BackgroundLoad(int port, const std::string& prefix, int clients, LoadTally* tally)
      : thread_([this, port, prefix, clients, tally] {
          WriteLoad(port, prefix, clients, &stop_, 0, tally);
        }) {}
  ~BackgroundLoad() { Stop(); }
  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }

 private:
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

class ReplSlaveTest : public ::testing::Test {
 protected:
  // A server with an update log and server id `sid`, following the master on
  // `master_port` when it is not 0. `name` keeps its files apart.
  std::unique_ptr<ServerProcess> StartServer(const std::string& name, int sid, int master_port,
                                             int port = 0,
                                             const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {"-log",  dir_.Join(name + ".log"),
                                     "-ulog", dir_.Join(name + "-ulog"),
                                     "-sid",  std::to_string(sid)};
    if (master_port != 0) {
      for (const std::string& arg :
           {std::string("-mhost"), std::string("127.0.0.1"), std::string("-mport"),
            std::to_string(master_port), std::string("-rts"), dir_.Join(name + ".rts")}) {
        args.push_back(arg);
      }
    }
    args.insert(args.end(), extra.begin(), extra.end());
    auto server = std::make_unique<ServerProcess>(args, dir_.Join(name + ".kch"), port);
    EXPECT_TRUE(server->started());
    return server;
  }
  // Waits (up to `seconds`) until the slave has applied the master's last
  // record, then compares their contents.
  void ExpectCaughtUp(const std::string& master, int master_port, int slave_port,
                      double seconds = 15) {
    const uint64_t last = Summarize(dir_.Join(master + "-ulog")).last_ts;
    ASSERT_GT(last, 0u);
    EXPECT_TRUE(Eventually(
        seconds, [&] { return std::stoull("0" + StatField(slave_port, "rts")) >= last; }))
        << "slave rts " << StatField(slave_port, "rts") << " < master's last " << last;
    EXPECT_EQ(Dump(slave_port), Dump(master_port));
  }
  // The number of records in the update log of server `name`.
  uint64_t LogRecords(const std::string& name) { return Summarize(dir_.Join(name + "-ulog")).records; }

  TempDir dir_;
};

TEST_F(ReplSlaveTest, SlaveStaysIdenticalThroughItsCrashAndTheMastersRestart) {
  auto master = StartServer("master", 1, 0);
  auto slave = StartServer("slave", 2, master->port());
  std::atomic<bool> stop{false};
  ASSERT_EQ(WriteLoad(master->port(), "a", 3, &stop, 200), 600u);
  ExpectCaughtUp("master", master->port(), slave->port());
  EXPECT_EQ(StatField(slave->port(), "mhost"), "127.0.0.1");
  EXPECT_EQ(StatField(slave->port(), "mport"), std::to_string(master->port()));
  EXPECT_EQ(StatField(slave->port(), "repl_state"), "streaming");
  EXPECT_NE(StatField(slave->port(), "delay").find('.'), std::string::npos);

  // kill -9 of the slave while the load runs, and a restart.
  std::thread load([&] { WriteLoad(master->port(), "b", 3, &stop); });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  slave->Kill();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const int slave_port = slave->port();
  slave = StartServer("slave", 2, master->port(), slave_port);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  stop = true;
  load.join();
  ExpectCaughtUp("master", master->port(), slave_port);

  // The link cut: the master stops and comes back on the same port.
  const int master_port = master->port();
  EXPECT_EQ(master->Stop(SIGTERM), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  master = StartServer("master", 1, 0, master_port);
  ASSERT_EQ(WriteLoad(master_port, "c", 3, &stop, 100), 300u);
  ExpectCaughtUp("master", master_port, slave_port);
  const Contents contents = Dump(slave_port);
  EXPECT_EQ(contents.at("c0-log"), std::string(100, 'x'));
}

TEST_F(ReplSlaveTest, DualMastersConvergeWithEachRecordOnceInEachLog) {
  const int port_a = FreePort();
  int port_b = FreePort();
  while (port_b == port_a) port_b = FreePort();
  auto a = StartServer("a", 1, port_b, port_a);
  auto b = StartServer("b", 2, port_a, port_b);
  std::atomic<bool> stop{false};
  uint64_t rounds = 0;
  std::thread on_a([&] { rounds += WriteLoad(port_a, "a", 2, &stop, 150); });
  uint64_t rounds_b = WriteLoad(port_b, "b", 2, &stop, 150);
  on_a.join();
  ASSERT_EQ(rounds + rounds_b, 600u);
  // Three writes per round, each logged once on its own side and once on
  // the other.
  const uint64_t expected = 3 * 600;
  EXPECT_TRUE(Eventually(15, [&] {
    return Summarize(dir_.Join("a-ulog")).records >= expected &&
           Summarize(dir_.Join("b-ulog")).records >= expected;
  }));
  EXPECT_TRUE(Eventually(5, [&] { return Dump(port_a) == Dump(port_b); }));
  // No record travels back: the logs stay as they are.
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  EXPECT_EQ(Summarize(dir_.Join("a-ulog")).records, expected);
  EXPECT_EQ(Summarize(dir_.Join("b-ulog")).records, expected);
  EXPECT_EQ(Dump(port_a), Dump(port_b));
}

TEST_F(ReplSlaveTest, SetmstSwitchesToAnotherMaster) {
  auto first = StartServer("first", 1, 0);
  auto second = StartServer("second", 3, 0);
  auto slave = StartServer("slave", 2, first->port());
  RemoteDB client;
  ASSERT_TRUE(client.Open("127.0.0.1", first->port(), 10).ok());
  ASSERT_TRUE(client.Put("from-first", "1").ok());
  ASSERT_TRUE(client.Open("127.0.0.1", second->port(), 10).ok());
  ASSERT_TRUE(client.Put("from-second", "2").ok());
  ASSERT_TRUE(Eventually(10, [&] { return Dump(slave->port()).count("from-first") == 1; }));

  // ts = 1: the second master's timestamps have nothing to do with the
  // first's, so start from its beginning.
  ASSERT_TRUE(client.Open("127.0.0.1", slave->port(), 10).ok());
  ASSERT_TRUE(client.SetMst("127.0.0.1", second->port(), 1, 0).ok());
  EXPECT_TRUE(Eventually(10, [&] { return Dump(slave->port()).count("from-second") == 1; }));
  EXPECT_EQ(StatField(slave->port(), "mport"), std::to_string(second->port()));
  ASSERT_TRUE(client.Open("127.0.0.1", second->port(), 10).ok());
  ASSERT_TRUE(client.Put("later", "3").ok());
  EXPECT_TRUE(Eventually(10, [&] { return Dump(slave->port()).count("later") == 1; }));
  ASSERT_TRUE(client.Open("127.0.0.1", first->port(), 10).ok());
  ASSERT_TRUE(client.Put("not-followed", "4").ok());

  // An empty host stops replicating.
  ASSERT_TRUE(client.Open("127.0.0.1", slave->port(), 10).ok());
  ASSERT_TRUE(client.SetMst("", 0, 0, 0).ok());
  EXPECT_TRUE(Eventually(5, [&] { return StatField(slave->port(), "mhost").empty(); }));
  EXPECT_EQ(Dump(slave->port()).count("not-followed"), 0u);
}

TEST_F(ReplSlaveTest, ConsistencyCheckHaltsUntilSetmst) {
  auto master = StartServer("master", 1, 0);
  auto slave = StartServer("slave", 2, master->port(), 0, {"-rcc"});
  RemoteDB on_master, on_slave;
  ASSERT_TRUE(on_master.Open("127.0.0.1", master->port(), 10).ok());
  ASSERT_TRUE(on_slave.Open("127.0.0.1", slave->port(), 10).ok());
  ASSERT_TRUE(on_master.Put("doomed", "1").ok());
  ASSERT_TRUE(Eventually(10, [&] { return Dump(slave->port()).count("doomed") == 1; }));
  // The slave no longer has the key the master's next record removes.
  ASSERT_TRUE(on_slave.Out("doomed").ok());
  ASSERT_TRUE(on_master.Out("doomed").ok());
  EXPECT_TRUE(Eventually(10, [&] { return StatField(slave->port(), "repl_state") == "halted"; }));
  ASSERT_TRUE(on_master.Put("after", "2").ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_EQ(Dump(slave->port()).count("after"), 0u);

  ASSERT_TRUE(on_slave.SetMst("127.0.0.1", master->port(), 0, 1).ok());
  EXPECT_TRUE(Eventually(10, [&] { return Dump(slave->port()).count("after") == 1; }));
  EXPECT_EQ(StatField(slave->port(), "repl_state"), "streaming");
}

// kill -9 of the master in the middle of a load from clients that carry on
// (reconnecting) once it is back on the same port and data: the slave
// reconnects by itself and ends identical, with each of the master's records
// exactly once in its own log. --ulog-sync none loses nothing acknowledged on
// kill -9, so every acknowledged addint and putcat must be there, and at most
// the writes whose outcome the clients could not know on top.
TEST_F(ReplSlaveTest, SlaveFollowsThroughAKill9OfTheMasterMidLoad) {
  auto master = StartServer("master", 1, 0);
  auto slave = StartServer("slave", 2, master->port());
  const int master_port = master->port();
  const int slave_port = slave->port();
  constexpr int kClients = 3;
  LoadTally tally(kClients);
  BackgroundLoad load(master_port, "m", kClients, &tally);
  ASSERT_TRUE(Eventually(10, [&] { return tally.rounds >= 300; }));
  ASSERT_TRUE(Eventually(10, [&] { return std::stoull("0" + StatField(slave_port, "rts")) > 0; }))
      << "the slave is not streaming before the kill";

  master->Kill();
  const uint64_t rounds_before_restart = tally.rounds;
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  master = StartServer("master", 1, 0, master_port);
  ASSERT_TRUE(master->started());
  // The load goes on against the restarted master for a while.
  EXPECT_TRUE(Eventually(10, [&] { return tally.rounds >= rounds_before_restart + 300; }));
  load.Stop();

  ExpectCaughtUp("master", master_port, slave_port);
  EXPECT_EQ(StatField(slave_port, "repl_state"), "streaming");
  EXPECT_EQ(LogRecords("slave"), LogRecords("master"));
  const Contents contents = Dump(master_port);
  ASSERT_EQ(contents.count("m-counter"), 1u);
  const int64_t counter = AddIntValue(contents.at("m-counter"));
  EXPECT_GE(counter, static_cast<int64_t>(tally.counter_acked));
  EXPECT_LE(counter, static_cast<int64_t>(tally.counter_acked + tally.counter_unknown));
  for (int c = 0; c < kClients; ++c) {
    const std::string key = "m" + std::to_string(c) + "-log";
    ASSERT_EQ(contents.count(key), 1u) << key;
    EXPECT_GE(contents.at(key).size(), tally.log_acked[c]) << key;
    EXPECT_LE(contents.at(key).size(), tally.log_acked[c] + tally.log_unknown[c]) << key;
  }
}

// A chain A -> B -> C (sids 1, 2, 3): B logs what it applies from A with A's
// sid, so C gets it too; all three end identical, each record once per log.
TEST_F(ReplSlaveTest, ChainAToBToCConverges) {
  auto a = StartServer("a", 1, 0);
  auto b = StartServer("b", 2, a->port());
  auto c = StartServer("c", 3, b->port());
  std::atomic<bool> stop{false};
  ASSERT_EQ(WriteLoad(a->port(), "a", 3, &stop, 200), 600u);
  ExpectCaughtUp("a", a->port(), b->port());
  ExpectCaughtUp("b", b->port(), c->port());
  const Contents contents = Dump(c->port());
  EXPECT_EQ(contents, Dump(a->port()));
  ASSERT_EQ(contents.count("a-counter"), 1u);
  EXPECT_EQ(AddIntValue(contents.at("a-counter")), 600);
  for (const char* key : {"a0-log", "a1-log", "a2-log"}) {
    ASSERT_EQ(contents.count(key), 1u) << key;
    EXPECT_EQ(contents.at(key), std::string(200, 'x')) << key;
  }
  EXPECT_EQ(LogRecords("a"), 3u * 600);
  EXPECT_EQ(LogRecords("b"), 3u * 600);
  EXPECT_EQ(LogRecords("c"), 3u * 600);
}

// A brand-new slave (no rts file) attached to a master that already holds
// 200k records while a write load runs on it catches up by itself: it gets
// past the master's 200k-th record with the load still running, then, the
// load over, ends identical with each record once in its log.
TEST_F(ReplSlaveTest, NewSlaveCatchesUpWith200kRecordsUnderLoad) {
  auto master = StartServer("master", 1, 0);
  const int master_port = master->port();
  std::string out, err;
  ASSERT_EQ(RunProgram({TTBENCH_PATH, "--port", std::to_string(master_port), "--protocol", "tt",
                        "--mode", "write", "--requests", "200000", "--conns", "4", "--pipeline",
                        "64", "--value-size", "20"},
                       &out, &err),
            0)
      << out << err;
  ASSERT_NE(out.find(" errors=0 "), std::string::npos) << out;
  const LogSummary filled = Summarize(dir_.Join("master-ulog"));
  ASSERT_EQ(filled.records, 200000u);

  constexpr int kClients = 3;
  LoadTally tally(kClients);
  BackgroundLoad load(master_port, "live", kClients, &tally);
  ASSERT_TRUE(Eventually(10, [&] { return tally.rounds >= 100; }));
  auto slave = StartServer("slave", 2, master_port);
  const int slave_port = slave->port();
  EXPECT_TRUE(Eventually(
      60, [&] { return std::stoull("0" + StatField(slave_port, "rts")) >= filled.last_ts; }))
      << "slave rts " << StatField(slave_port, "rts") << " < " << filled.last_ts;
  // More writes while the slave streams, then the end of the load.
  const uint64_t rounds_at_catch_up = tally.rounds;
  EXPECT_TRUE(Eventually(10, [&] { return tally.rounds >= rounds_at_catch_up + 100; }));
  load.Stop();
  EXPECT_EQ(tally.counter_unknown, 0u);
  for (uint64_t unknown : tally.log_unknown) EXPECT_EQ(unknown, 0u);

  ExpectCaughtUp("master", master_port, slave_port, 60);
  const Contents contents = Dump(slave_port);
  EXPECT_GE(contents.size(), 200000u);
  ASSERT_EQ(contents.count("live-counter"), 1u);
  EXPECT_EQ(AddIntValue(contents.at("live-counter")), static_cast<int64_t>(tally.counter_acked));
  EXPECT_EQ(LogRecords("slave"), LogRecords("master"));
}

}  // namespace
}  // namespace tt::testing
