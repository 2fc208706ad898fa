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
#include <set>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "client/remote_db.h"
#include "client/requests.h"
#include "tests/integration/protocol_support.h"
#include "tests/integration/repl_support.h"
#include "tests/integration/server_process.h"
#include "tests/support/process.h"
#include "tests/support/small_filesystem.h"
#include "ulog/ulog_reader.h"

namespace tt::testing {
namespace {

TEST_F(ReplTest, SlaveStaysIdenticalThroughItsCrashAndTheMastersRestart) {
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

// The keys of the update log in `dir`.
std::set<std::string> LoggedKeys(const std::string& dir) {
  std::set<std::string> keys;
  std::unique_ptr<UlogReader> reader;
  if (!UlogReader::Open(dir, 1, &reader).ok()) return keys;
  for (UlogRecord record; reader->Next(&record).ok();) {
    ParsedBody body;
    if (ParseBody(record.body, &body).ok()) keys.insert(std::string(body.key));
  }
  return keys;
}

// A record the slave cannot store now (its update-log disk is full) is
// applied once there is room again, not skipped: skipping it would leave the
// slave without that change for good.
TEST_F(ReplTest, ARecordTheSlaveCannotStoreIsRetriedNotSkipped) {
  SmallFilesystem full(dir_.Join("slave-ulog"), "256k");
  if (!full.mounted()) GTEST_SKIP() << "cannot mount a tmpfs here (needs root)";
  auto master = StartServer("master", 1, 0);
  auto slave = StartServer("slave", 2, master->port());
  RemoteDB db;
  ASSERT_TRUE(db.Open("127.0.0.1", master->port(), 10).ok());
  const std::string value(1000, 'v');
  for (int i = 0; i < 600; ++i) ASSERT_TRUE(db.Put("k" + std::to_string(i), value).ok());
  // The slave's log fills up and its applies fail for a while.
  EXPECT_TRUE(Eventually(15, [&] { return StatField(slave->port(), "repl_state") == "retrying"; }))
      << StatField(slave->port(), "repl_state");
  std::this_thread::sleep_for(std::chrono::seconds(1));
  ASSERT_TRUE(full.Resize("64m"));
  ExpectCaughtUp("master", master->port(), slave->port(), 30);
  // Its own log has every change too (its slaves and tttail read that).
  EXPECT_EQ(LoggedKeys(dir_.Join("slave-ulog")).size(), 600u);
}

// A slave whose database shares a filesystem that fills up (found by the
// chaos harness's disk-full fault, seed 2: the slave died of SIGBUS): it
// stays up, retrying, and catches up once there is room.
// Kyoto Cabinet writes a database's first 64 MiB through a memory map, and
// a write into a page the full filesystem cannot back is a SIGBUS unless
// the file's blocks were reserved beforehand.
TEST_F(ReplTest, SlaveSurvivesAFullDiskUnderItsDatabase) {
  SmallFilesystem disk(dir_.Join("disk"), "256m");
  if (!disk.mounted()) GTEST_SKIP() << "cannot mount a tmpfs here (needs root)";
  auto master = StartServer("master", 1, 0);
  auto slave = StartServer("disk/slave", 2, master->port());
  WaitStreaming(slave->port());
  const std::string filler = dir_.Join("disk/filler");
  RunProgram({"/bin/sh", "-c", "dd if=/dev/zero of=" + filler + " bs=64k 2>/dev/null; true"},
             nullptr);
  RemoteDB db;
  ASSERT_TRUE(db.Open("127.0.0.1", master->port(), 10).ok());
  const std::string value(1000, 'v');
  for (int i = 0; i < 3000; ++i) ASSERT_TRUE(db.Put("k" + std::to_string(i), value).ok());
  EXPECT_TRUE(Eventually(15, [&] { return StatField(slave->port(), "repl_state") == "retrying"; }))
      << StatField(slave->port(), "repl_state");
  std::this_thread::sleep_for(std::chrono::seconds(1));
  ASSERT_TRUE(StillRunning(*slave)) << "the slave died while its disk was full";
  ASSERT_EQ(unlink(filler.c_str()), 0);
  ExpectCaughtUp("master", master->port(), slave->port(), 30);
  EXPECT_TRUE(StillRunning(*slave));
}

// A setmst to another master from an earlier position, while the slave's
// log disk is full: what it applies from the new master still reaches its
// log once there is room, although its position had been further on.
TEST_F(ReplTest, RecordsAppliedAfterASetmstBackwardsReachTheLogDespiteAFullDisk) {
  auto m2 = StartServer("m2", 3, 0);
  {
    RemoteDB db;  // values large enough to need new pages of the full disk
    ASSERT_TRUE(db.Open("127.0.0.1", m2->port(), 10).ok());
    for (int i = 0; i < 40; ++i) {
      ASSERT_TRUE(db.Put("m2-" + std::to_string(i), std::string(1000, 'w')).ok());
    }
  }
  SmallFilesystem full(dir_.Join("slave-ulog"), "1m");
  if (!full.mounted()) GTEST_SKIP() << "cannot mount a tmpfs here (needs root)";
  auto m1 = StartServer("m1", 1, 0);  // its records are newer than m2's
  auto slave = StartServer("slave", 2, m1->port());
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(PutValue(m1->port(), "m1-" + std::to_string(i)));
  ExpectCaughtUp("m1", m1->port(), slave->port());
  const std::string filler = dir_.Join("slave-ulog/filler");
  RunProgram({"/bin/sh", "-c", "dd if=/dev/zero of=" + filler + " bs=4k 2>/dev/null; true"},
             nullptr);
  RemoteDB on_slave;
  ASSERT_TRUE(on_slave.Open("127.0.0.1", slave->port(), 10).ok());
  ASSERT_TRUE(on_slave.SetMst("127.0.0.1", m2->port(), 1, 0).ok());
  EXPECT_TRUE(Eventually(15, [&] { return StatField(slave->port(), "repl_state") == "retrying"; }))
      << StatField(slave->port(), "repl_state");
  ASSERT_EQ(unlink(filler.c_str()), 0);
  const uint64_t m2_last = Summarize(dir_.Join("m2-ulog")).last_ts;
  EXPECT_TRUE(Eventually(15, [&] {
    return StatField(slave->port(), "repl_state") == "streaming" &&
           std::stoull("0" + StatField(slave->port(), "rts")) >= m2_last;
  }));
  EXPECT_EQ(Dump(slave->port()).size(), 50u);
  const std::set<std::string> logged = LoggedKeys(dir_.Join("slave-ulog"));
  int m2_logged = 0;
  for (int i = 0; i < 40; ++i) m2_logged += logged.count("m2-" + std::to_string(i));
  EXPECT_EQ(m2_logged, 40);
}

// A slave without an update log has no log to recover from: a tree
// database keeps changed pages in process memory, so the position it saves
// must never cover records whose pages a kill -9 can still take away.
TEST_F(ReplTest, SlaveWithoutUpdateLogLosesNothingToKill9) {
  auto master = StartServer("master", 1, 0);
  auto start_slave = [&](int port) {
    auto slave = std::make_unique<ServerProcess>(
        std::vector<std::string>{"-log", dir_.Join("slave.log"), "-sid", "2", "-mhost",
                                 "127.0.0.1", "-mport", std::to_string(master->port()), "-rts",
                                 dir_.Join("slave.rts")},
        dir_.Join("slave.kct"), port);
    EXPECT_TRUE(slave->started());
    return slave;
  };
  auto slave = start_slave(0);
  const int slave_port = slave->port();
  std::atomic<bool> stop{false};
  std::thread load([&] { WriteLoad(master->port(), "a", 2, &stop); });
  for (int kill = 0; kill < 3; ++kill) {
    std::this_thread::sleep_for(std::chrono::milliseconds(700));
    slave->Kill();
    slave = start_slave(slave_port);
  }
  stop = true;
  load.join();
  ExpectCaughtUp("master", master->port(), slave_port);
}

TEST_F(ReplTest, DualMastersConvergeWithEachRecordOnceInEachLog) {
  const int port_a = FreePort();
  int port_b = FreePort();
  while (port_b == port_a) port_b = FreePort();
  auto a = StartServer("a", 1, port_b, port_a);
  auto b = StartServer("b", 2, port_a, port_b);
  WaitStreaming(port_a);
  WaitStreaming(port_b);
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

TEST_F(ReplTest, SetmstSwitchesToAnotherMaster) {
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

// An original master's addint that succeeded there fails here (the value is
// not a 4-byte integer): with -rcc replication halts until setmst.
TEST_F(ReplTest, ConsistencyCheckHaltsUntilSetmst) {
  const uint64_t t = 1700000000000000;
  ASSERT_NO_FATAL_FAILURE(
      ImportLog(dir_.Join("master-ulog"),
                {{.ts = t, .sid = 9, .body = PutBody("doomed", "12345")},
                 {.ts = t + 1, .sid = 9, .body = requests::AddInt("doomed", 1) + '\0'}}));
  // Its stat masked, our master streams as the original does.
  auto master = StartServer("master", 1, 0, 0, {"-mask", "stat"});
  auto slave = StartServer("slave", 2, master->port(), 0, {"-rcc"});
  RemoteDB on_master, on_slave;
  ASSERT_TRUE(on_master.Open("127.0.0.1", master->port(), 10).ok());
  ASSERT_TRUE(on_slave.Open("127.0.0.1", slave->port(), 10).ok());
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
TEST_F(ReplTest, SlaveFollowsThroughAKill9OfTheMasterMidLoad) {
  auto master = StartServer("master", 1, 0);
  auto slave = StartServer("slave", 2, master->port());
  const int master_port = master->port();
  const int slave_port = slave->port();
  WaitStreaming(slave_port);
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
TEST_F(ReplTest, ChainAToBToCConverges) {
  auto a = StartServer("a", 1, 0);
  auto b = StartServer("b", 2, a->port());
  auto c = StartServer("c", 3, b->port());
  WaitStreaming(b->port());
  WaitStreaming(c->port());
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

// The middle of a chain logs what it applies in batches (repl/replicator.h
// FlushApplied); a kill -9 of it loses no record its own slave needs.
TEST_F(ReplTest, ChainConvergesThroughAKill9OfItsMiddle) {
  auto a = StartServer("a", 1, 0);
  auto b = StartServer("b", 2, a->port());
  auto c = StartServer("c", 3, b->port());
  const int b_port = b->port();
  {
    BackgroundLoad load(a->port(), "a", 2, nullptr);
    for (int kill = 0; kill < 3; ++kill) {
      std::this_thread::sleep_for(std::chrono::milliseconds(400));
      b->Kill();
      b = StartServer("b", 2, a->port(), b_port);
    }
  }
  ExpectCaughtUp("a", a->port(), b_port);
  ExpectCaughtUp("b", b_port, c->port());
  EXPECT_EQ(Difference(Dump(a->port()), Dump(c->port())), "");
}

// A brand-new slave (no rts file) attached to a master that already holds
// 200k records while a write load runs on it catches up by itself: it gets
// past the master's 200k-th record with the load still running, then, the
// load over, ends identical with each record once in its log.
TEST_F(ReplTest, NewSlaveCatchesUpWith200kRecordsUnderLoad) {
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
  // The new slave bootstrapped from a snapshot (one record per key it held)
  // and then the log from there: never more records than its master's.
  EXPECT_LE(LogRecords("slave"), LogRecords("master"));
}

}  // namespace
}  // namespace tt::testing
