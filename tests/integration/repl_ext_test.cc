// Our replication extensions between ttserver processes on loopback (issue 4
// item 4, repl/feeder.h): slaves acknowledge what they applied and the master
// reports them in stat, on its metrics page and in its slave registry;
// memcached flags and expiry reach our slaves; a slave with no position or
// one the master's log no longer reaches bootstraps from a snapshot.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <functional>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "repl/rts_file.h"
#include "tests/integration/protocol_support.h"
#include "tests/integration/repl_support.h"
#include "ulog/record.h"
#include "ulog/ulog_reader.h"

namespace tt::testing {
namespace {

// Whether the stat line repl_slave1 of the server on `port` holds every one
// of `parts`.
bool FirstSlaveShows(int port, const std::vector<std::string>& parts) {
  const std::string line = StatField(port, "repl_slave1");
  for (const std::string& part : parts) {
    if (line.find(part) == std::string::npos) return false;
  }
  return true;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Sends `request` on a new connection to `port` and returns what arrived
// until `marker` (or the timeout).
std::string Exchange(int port, const std::string& request, const std::string& marker) {
  RawConnection conn(port);
  if (!conn.connected() || !conn.Send(request)) return "";
  return conn.ReceiveUntil(marker);
}

TEST_F(ReplTest, MasterReportsEachSlavesAcknowledgedPositionAndLag) {
  const int metrics_port = FreePort();
  auto master = StartServer("master", 1, 0, 0, {"--metrics-port", std::to_string(metrics_port)});
  auto slave = StartServer("slave", 2, master->port());
  std::atomic<bool> stop{false};
  ASSERT_EQ(WriteLoad(master->port(), "a", 2, &stop, 100), 200u);
  ExpectCaughtUp("master", master->port(), slave->port());
  EXPECT_EQ(StatField(master->port(), "repl_ext"), "1");
  const std::string last = std::to_string(Summarize(dir_.Join("master-ulog")).last_ts);
  EXPECT_TRUE(Eventually(30, [&] {
    return FirstSlaveShows(master->port(), {"sid=2 ", "connected=1", "acks=1",
                                            "acked_ts=" + last + " ", "lag=0.000000"});
  })) << StatField(master->port(), "repl_slave1");

  // A slave that applies nothing (stopped) trails by the age of what it was sent.
  // (The waits here allow 30 s: a sanitized master on a loaded machine once
  // took over 5 s to send the record below.)
  ASSERT_TRUE(StopProcess(slave->pid()));
  ASSERT_TRUE(PutValue(master->port(), "while-stopped"));
  EXPECT_TRUE(Eventually(30, [&] {
    const std::string line = StatField(master->port(), "repl_slave1");
    const size_t at = line.find("lag=");
    return at != std::string::npos && std::stod(line.substr(at + 4)) >= 0.5;
  })) << StatField(master->port(), "repl_slave1");
  ASSERT_EQ(kill(slave->pid(), SIGCONT), 0);
  EXPECT_TRUE(Eventually(30, [&] { return FirstSlaveShows(master->port(), {"lag=0.000000"}); }))
      << StatField(master->port(), "repl_slave1");
  const std::string newest = std::to_string(Summarize(dir_.Join("master-ulog")).last_ts);

  const std::string metrics =
      Exchange(metrics_port, "GET /metrics HTTP/1.0\r\n\r\n", "ttserver_replication_slave_lag");
  EXPECT_NE(metrics.find("ttserver_replication_slave_acked_timestamp{sid=\"2\"} " + newest + "\n"),
            std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("ttserver_replication_slaves 1\n"), std::string::npos);

  // A slave that stopped is still reported, and registered beside the log,
  // with the position it acknowledged.
  EXPECT_EQ(slave->Stop(SIGTERM), 0);
  EXPECT_TRUE(Eventually(30, [&] {
    return FirstSlaveShows(master->port(), {"sid=2 ", "connected=0", "acked_ts=" + newest + " "});
  })) << StatField(master->port(), "repl_slave1");
  EXPECT_EQ(master->Stop(SIGTERM), 0);
  const std::string registry = ReadFile(dir_.Join("master-ulog/ttserver.slaves"));
  EXPECT_EQ(registry.rfind("2\t" + newest + "\t", 0), 0u) << registry;
}

TEST_F(ReplTest, MemcachedFlagsAndExpiryReachOurSlaves) {
  auto master = StartServer("master", 1, 0);
  auto slave = StartServer("slave", 2, master->port());
  ASSERT_EQ(Exchange(master->port(), "set flagged 42 0 3\r\nabc\r\nset brief 7 1000 1\r\nx\r\n",
                     "STORED\r\nSTORED\r\n"),
            "STORED\r\nSTORED\r\n");
  ExpectCaughtUp("master", master->port(), slave->port());
  EXPECT_EQ(Exchange(slave->port(), "get flagged brief\r\n", "END\r\n"),
            "VALUE flagged 42 3\r\nabc\r\nVALUE brief 7 1\r\nx\r\nEND\r\n");
  // The expiry travelled too: the slave counts down the same 1000 seconds.
  const std::string ttl = Exchange(slave->port(), "mg brief t\r\n", "\r\n");
  ASSERT_EQ(ttl.rfind("HD t", 0), 0u) << ttl;
  const int seconds = std::stoi(ttl.substr(4));
  EXPECT_GT(seconds, 900);
  EXPECT_LE(seconds, 1000);
}

TEST_F(ReplTest, NewSlaveBootstrapsWhatTheMastersLogNeverHeld) {
  // Written before the master had an update log: no record exists of it.
  {
    ServerProcess plain({"-log", dir_.Join("plain.log")}, dir_.Join("master.kch"));
    ASSERT_TRUE(plain.started());
    RemoteDB db;
    ASSERT_TRUE(db.Open("127.0.0.1", plain.port(), 10).ok());
    for (int i = 0; i < 1000; ++i) ASSERT_TRUE(db.Put("early" + std::to_string(i), "v").ok());
    EXPECT_EQ(plain.Stop(SIGTERM), 0);
  }
  auto master = StartServer("master", 1, 0);
  RemoteDB db;
  ASSERT_TRUE(db.Open("127.0.0.1", master->port(), 10).ok());
  ASSERT_TRUE(db.Put("late", "logged").ok());
  ASSERT_TRUE(db.Out("early7").ok());
  auto slave = StartServer("slave", 2, master->port());
  ExpectCaughtUp("master", master->port(), slave->port());
  const Contents contents = Dump(slave->port());
  EXPECT_EQ(contents.size(), 1000u);
  EXPECT_EQ(contents.count("early7"), 0u);
  EXPECT_EQ(contents.count("early8"), 1u);
}

// A bootstrap cut short by kill -9 leaves part of the snapshot; the
// restarted slave must not take that for data of its own and stream only
// the log (which never held these keys): it asks for a replacing snapshot.
TEST_F(ReplTest, BootstrapCutShortByKill9IsRedoneInFull) {
  {
    ServerProcess plain({"-log", dir_.Join("plain.log")}, dir_.Join("master.kch"));
    ASSERT_TRUE(plain.started());
    std::string out, err;
    ASSERT_EQ(RunProgram({TTBENCH_PATH, "--port", std::to_string(plain.port()), "--protocol", "tt",
                          "--mode", "write", "--requests", "300000", "--conns", "2",
                          "--pipeline", "64", "--value-size", "20"},
                         &out, &err),
              0)
        << out << err;
    EXPECT_EQ(plain.Stop(SIGTERM), 0);
  }
  auto master = StartServer("master", 1, 0);
  ASSERT_TRUE(PutValue(master->port(), "logged"));
  auto slave = StartServer("slave", 2, master->port());
  const int slave_port = slave->port();
  ASSERT_TRUE(Eventually(30, [&] {
    return StatField(slave_port, "repl_state") == "bootstrapping" ||
           StatField(slave_port, "rts") != "0";
  }));
  ASSERT_EQ(StatField(slave_port, "rts"), "0") << "the bootstrap ended before the kill";
  slave->Kill();
  slave = StartServer("slave", 2, master->port(), slave_port);
  // 300k records: minutes under ASan on a loaded machine (60 s was too short).
  ExpectCaughtUp("master", master->port(), slave_port, 600);
  EXPECT_EQ(Dump(slave_port).size(), Dump(master->port()).size());
}

// Dual masters where only one side is written: the other side's records
// for it are all its own, filtered, yet it is known to need nothing before
// the log's end (else retention would keep that log forever).
TEST_F(ReplTest, AFilteredSlaveIsCoveredUpToTheEndOfTheLog) {
  const int port_a = FreePort();
  int port_b = FreePort();
  while (port_b == port_a) port_b = FreePort();
  auto a = StartServer("a", 1, port_b, port_a);
  auto b = StartServer("b", 2, port_a, port_b);
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(PutValue(port_b, "k" + std::to_string(i)));
  ASSERT_TRUE(Eventually(10, [&] { return Dump(port_a).size() == 100; }));
  const std::string a_last = std::to_string(Summarize(dir_.Join("a-ulog")).last_ts);
  EXPECT_TRUE(Eventually(5, [&] {
    return FirstSlaveShows(port_a, {"sid=2 ", "acked_ts=" + a_last + " ", "lag=0.000000"});
  })) << StatField(port_a, "repl_slave1") << " vs a's last record " << a_last;
}

TEST_F(ReplTest, SlaveWhosePositionWasPurgedIsReplacedBySnapshot) {
  // Small files, so the log rotates often.
  auto master = StartServer("master", 1, 0, 0, {"-ulim", "4096"});
  const int master_port = master->port();
  auto slave = StartServer("slave", 2, master_port);
  RemoteDB db;
  ASSERT_TRUE(db.Open("127.0.0.1", master_port, 10).ok());
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(db.Put("old" + std::to_string(i), "v").ok());
  ExpectCaughtUp("master", master_port, slave->port());
  const int slave_port = slave->port();
  EXPECT_EQ(slave->Stop(SIGTERM), 0);

  // While the slave is away, keys go, others come, and the files holding
  // what it has not seen are deleted (as an operator's purge would).
  ASSERT_TRUE(db.Out("old1").ok());
  ASSERT_TRUE(db.Put("old2", "changed").ok());
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(db.Put("new" + std::to_string(i), "w").ok());
  std::vector<uint32_t> files;
  ASSERT_TRUE(ListUlogFiles(dir_.Join("master-ulog"), &files).ok());
  ASSERT_GT(files.size(), 4u);
  for (size_t i = 0; i + 2 < files.size(); ++i) {
    ASSERT_EQ(unlink(UlogFileName(dir_.Join("master-ulog"), files[i]).c_str()), 0);
  }
  // A key only the slave has must go too: it becomes a copy of its master.
  {
    ServerProcess alone({"-log", dir_.Join("alone.log")}, dir_.Join("slave.kch"), slave_port);
    RemoteDB local;
    ASSERT_TRUE(local.Open("127.0.0.1", slave_port, 10).ok());
    ASSERT_TRUE(local.Put("stray", "only-here").ok());
    EXPECT_EQ(alone.Stop(SIGTERM), 0);
  }
  slave = StartServer("slave", 2, master_port, slave_port);
  ExpectCaughtUp("master", master_port, slave_port);
  const Contents contents = Dump(slave_port);
  EXPECT_EQ(contents.count("old1"), 0u);
  EXPECT_EQ(contents.count("stray"), 0u);
  EXPECT_EQ(contents.at("old2"), "changed");
  EXPECT_EQ(contents.size(), 99u + 1000u);
}

// A dual master's partner that wrote and was then away: its master's log
// holds, after the partner's position, only the partner's own records (never
// sent back to it), so purging them loses nothing the partner needs. It must
// get no replacing snapshot, which would delete the writes it made meanwhile.
TEST_F(ReplTest, DualMasterPartnerIsNotReplacedAfterItsOwnRecordsArePurged) {
  auto a = StartServer("a", 1, 0, 0, {"-ulim", "4096"});
  auto b = StartServer("b", 2, a->port());
  const int a_port = a->port();
  const int b_port = b->port();
  ASSERT_TRUE(PutValue(a_port, "a0"));
  ExpectCaughtUp("a", a_port, b_port);
  // a follows b; b's writes fill files of a's log that b never needs.
  EXPECT_EQ(a->Stop(SIGTERM), 0);
  a = StartServer("a", 1, b_port, a_port, {"-ulim", "4096"});
  for (int i = 0; i < 300; ++i) ASSERT_TRUE(PutValue(b_port, "b" + std::to_string(i)));
  ExpectCaughtUp("b", b_port, a_port);
  const std::string a_last = std::to_string(Summarize(dir_.Join("a-ulog")).last_ts);
  EXPECT_TRUE(Eventually(5, [&] { return FirstSlaveShows(a_port, {"acked_ts=" + a_last + " "}); }))
      << StatField(a_port, "repl_slave1") << " vs a's last record " << a_last;
  // Both stop (a's registry says b has everything of a's log), a's log is purged.
  EXPECT_EQ(b->Stop(SIGTERM), 0);
  EXPECT_EQ(a->Stop(SIGTERM), 0);
  std::string out, err;
  ASSERT_EQ(RunProgram({TtulmgrPath(), "purge", "-size", "1", dir_.Join("a-ulog")}, &out, &err), 0)
      << err;
  ASSERT_NE(out.find("deleted"), std::string::npos) << out;
  // b comes back alone and is written to; a returns, b follows it again,
  // and only then a follows b.
  b = StartServer("b", 2, a_port, b_port);
  ASSERT_TRUE(PutValue(b_port, "b-late"));
  a = StartServer("a", 1, 0, a_port, {"-ulim", "4096"});
  WaitStreaming(b_port);
  EXPECT_EQ(Dump(b_port).count("b-late"), 1u) << "b's own write was replaced away";
  RemoteDB on_a;
  ASSERT_TRUE(on_a.Open("127.0.0.1", a_port, 10).ok());
  ASSERT_TRUE(on_a.SetMst("127.0.0.1", b_port, 0, 0).ok());
  ExpectCaughtUp("b", b_port, a_port);
}

class ReplPurgeTest : public ReplTest {
 protected:
  // The slave is stopped after acknowledging everything, the master writes
  // on and stops, `before_purge` runs, and `ttulmgr purge` with `extra`
  // options deletes every file the slave needs. On their return the slave's
  // data is replaced by a snapshot and it converges.
  void ExpectReplacedAfterPurge(const std::vector<std::string>& extra,
                                const std::function<void()>& before_purge);
};

void ReplPurgeTest::ExpectReplacedAfterPurge(const std::vector<std::string>& extra,
                                             const std::function<void()>& before_purge) {
  auto master = StartServer("master", 1, 0, 0, {"-ulim", "2048"});
  const int master_port = master->port();
  auto slave = StartServer("slave", 2, master_port);
  const int slave_port = slave->port();
  for (int i = 0; i < 200; ++i) ASSERT_TRUE(PutValue(master_port, "old" + std::to_string(i)));
  ExpectCaughtUp("master", master_port, slave_port);
  const std::string last = std::to_string(Summarize(dir_.Join("master-ulog")).last_ts);
  EXPECT_TRUE(Eventually(5, [&] { return FirstSlaveShows(master_port, {"acked_ts=" + last + " "}); }));
  EXPECT_EQ(slave->Stop(SIGTERM), 0);
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(PutValue(master_port, "new" + std::to_string(i)));
  EXPECT_EQ(master->Stop(SIGTERM), 0);
  before_purge();
  // -force: the master's base, written at its first start, covers none of
  // these records; the master writes a new one when it starts again.
  std::vector<std::string> purge = {TtulmgrPath(), "purge", "-force"};
  purge.insert(purge.end(), extra.begin(), extra.end());
  purge.push_back(dir_.Join("master-ulog"));
  std::string out, err;
  ASSERT_EQ(RunProgram(purge, &out, &err), 0) << err;
  master = StartServer("master", 1, 0, master_port, {"-ulim", "2048"});
  slave = StartServer("slave", 2, master_port, slave_port);
  WaitStreaming(slave_port);
  ASSERT_TRUE(PutValue(master_port, "after"));  // a last record to wait for
  ExpectCaughtUp("master", master_port, slave_port);
  EXPECT_NE(ReadFile(dir_.Join("slave.log")).find("its data is replaced"), std::string::npos);
}

// A slave restored from an older copy asks for records from before what it
// acknowledged: the registry's word that it has them no longer holds.
TEST_F(ReplPurgeTest, SlaveRestoredFromAnOlderCopyIsReplacedWhenItsRecordsArePurged) {
  ExpectReplacedAfterPurge({"-ts", "99999999999999999"},
                           [&] { WriteWholeFile(dir_.Join("slave.rts"), "1000\n"); });
}

// A purge that leaves only an empty newest file took every record: the
// checkpoint says how far they went.
TEST_F(ReplPurgeTest, SlaveIsReplacedWhenNoRecordIsLeftInTheLog) {
  ExpectReplacedAfterPurge({"-size", "1", "-hold", "0s"}, [&] {
    std::vector<uint32_t> files;
    ASSERT_TRUE(ListUlogFiles(dir_.Join("master-ulog"), &files).ok());
    WriteWholeFile(UlogFileName(dir_.Join("master-ulog"), files.back() + 1), "");
  });
}

// An addint of 1 to "counter" as the original logs it: the command, not its effect.
const char kAddIntCounter[] = "C8 60 00000007 00000001 636F756E746572 00";
// A putcat of "x" to "log".
const char kPutCatLog[] = "C8 12 00000003 00000001 6C6F67 78 00";

// An original master's log holds commands (addint deltas, putcat suffixes).
// Our slave applies each exactly once however often it is killed mid-stream:
// a command record is noted in the .rts file before it is applied, and a
// restart tells by the key's version whether it was.
TEST_F(ReplTest, CommandRecordsOfAnOriginalMasterAreAppliedExactlyOnceThroughKill9) {
  constexpr int kRecords = 60000;
  const uint64_t base = 1700000000000000;
  std::vector<UlogRecord> records;
  for (int i = 0; i < kRecords; ++i) {
    records.push_back({.ts = base + i, .sid = 9, .body = Bytes(i % 2 == 0 ? kAddIntCounter : kPutCatLog)});
  }
  ASSERT_NO_FATAL_FAILURE(ImportLog(dir_.Join("master-ulog"), records));
  // Its stat masked, our master offers no extended stream: the slave asks
  // for the original's, as it must of an original master.
  auto master = StartServer("master", 1, 0, 0, {"-mask", "stat"});
  auto slave = StartServer("slave", 2, master->port());
  const int slave_port = slave->port();
  const uint64_t last = base + kRecords - 1;
  // Four kills, each once the slave has applied another fifth of the stream
  // (the waits allow for a sanitized build on a loaded machine, where a fifth
  // took over 60 s).
  for (int kill = 1; kill <= 4; ++kill) {
    const uint64_t mark = base + kill * kRecords / 5;
    uint64_t rts = 0;
    ASSERT_TRUE(Eventually(300, [&] {
      rts = std::stoull("0" + StatField(slave_port, "rts"));
      return rts >= mark;
    }));
    // Mid-stream, or the kill proves nothing.
    ASSERT_LT(rts, last) << "the stream ended before kill " << kill;
    slave->Kill();
    slave = StartServer("slave", 2, master->port(), slave_port);
  }
  EXPECT_TRUE(Eventually(600, [&] { return StatField(slave_port, "rts") == std::to_string(last); }))
      << StatField(slave_port, "rts");
  const Contents contents = Dump(slave_port);
  ASSERT_EQ(contents.count("counter"), 1u);
  EXPECT_EQ(AddIntValue(contents.at("counter")), kRecords / 2);
  const std::string& log = contents.at("log");
  EXPECT_EQ(log.size(), static_cast<size_t>(kRecords / 2));
  EXPECT_EQ(log.find_first_not_of('x'), std::string::npos);
}


// The original's timestamps are neither unique nor monotonic (spec §2.1):
// two writes in one microsecond share one, and a clock stepped back writes
// smaller ones. Its slave applies every record its master streams; so does
// ours, and its position is the newest timestamp seen.
TEST_F(ReplTest, RepeatedAndSteppedBackTimestampsOfAnOriginalMasterAreAllApplied) {
  const uint64_t t = 1700000000000000;
  const std::vector<UlogRecord> records = PutsWithRepeatedAndSteppedBackTimestamps(t);
  ASSERT_NO_FATAL_FAILURE(ImportLog(dir_.Join("master-ulog"), records));
  auto master = StartServer("master", 1, 0, 0, {"-mask", "stat"});
  auto slave = StartServer("slave", 2, master->port());
  EXPECT_TRUE(Eventually(15, [&] { return Dump(slave->port()).size() == records.size(); }))
      << Dump(slave->port()).size() << " of " << records.size() << " keys applied";
  EXPECT_EQ(StatField(slave->port(), "rts"), std::to_string(t + 1));
}

// A kill -9 just after the slave applied an original master's putcat whose
// timestamp stepped back below the addint before it: the restart finds the
// putcat applied and must not ask again for the addint.
TEST_F(ReplTest, APendingCommandWithASteppedBackTimestampIsSettledWithoutRepeats) {
  const uint64_t t = 1700000000000000;
  ASSERT_NO_FATAL_FAILURE(ImportLog(dir_.Join("master-ulog"),
                                    {{.ts = t, .sid = 9, .body = Bytes(kAddIntCounter)},
                                     {.ts = t - 5000, .sid = 9, .body = Bytes(kPutCatLog)}}));
  // The slave's state at that moment: both applied, the putcat noted as
  // pending after the addint, the position saved before both.
  {
    auto slave = StartServer("slave", 2, 0);
    RemoteDB db;
    ASSERT_TRUE(db.Open("127.0.0.1", slave->port(), 10).ok());
    int32_t sum;
    ASSERT_TRUE(db.AddInt("counter", 1, &sum).ok());
    ASSERT_TRUE(db.PutCat("log", "x").ok());
    EXPECT_EQ(slave->Stop(SIGTERM), 0);
    RtsFile rts(dir_.Join("slave.rts"), FileDurability::kProcessCrash);
    ASSERT_TRUE(rts.Reset(t).ok());
    ASSERT_TRUE(rts.NotePending({.ts = t - 5000, .version_before = 0, .key = "log"}).ok());
    WriteWholeFile(dir_.Join("slave.rts"), std::to_string(t - 10000) + "\n");
  }
  auto master = StartServer("master", 1, 0, 0, {"-mask", "stat"});
  auto slave = StartServer("slave", 2, master->port());
  WaitStreaming(slave->port());
  RemoteDB on_master;  // a last record, to know the stream has passed the others
  ASSERT_TRUE(on_master.Open("127.0.0.1", master->port(), 10).ok());
  ASSERT_TRUE(on_master.Put("last", "1").ok());
  EXPECT_TRUE(Eventually(10, [&] { return Dump(slave->port()).count("last") == 1; }));
  const Contents contents = Dump(slave->port());
  EXPECT_EQ(AddIntValue(contents.at("counter")), 1) << "the addint was applied twice";
  EXPECT_EQ(contents.at("log"), "x");
}

}  // namespace
}  // namespace tt::testing
