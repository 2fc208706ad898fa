// The master side of replication against a real ttserver (-ulog DIR -sid 1):
// the repl handshake and its refusals, the stream (records from a timestamp
// in the wire form, the slave's own records filtered, NOPs while idle, new
// records as they are written), streams that do not hold the only worker,
// and a prompt shutdown with slaves connected (ulog-and-replication.md §4).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <thread>
#include <csignal>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "client/remote_db.h"
#include "common/coding.h"
#include "tests/integration/server_process.h"
#include "ulog/record.h"

namespace tt::testing {
namespace {

std::string ReplRequest(uint64_t ts, uint32_t sid) {
  std::string request = Bytes("C8 A0");
  PutU64(&request, ts);
  PutU32(&request, sid);
  return request;
}

// The next `n` records of a stream, skipping NOPs (each within 5 s).
std::vector<UlogRecord> NextRecords(RemoteDB& slave, size_t n) {
  std::vector<UlogRecord> records;
  while (records.size() < n) {
    UlogRecord rec;
    bool is_nop = false;
    Status s = slave.ReplNext(&rec, &is_nop, 5);
    EXPECT_TRUE(s.ok()) << s.ToString();
    if (!s.ok()) break;
    if (!is_nop) records.push_back(rec);
  }
  return records;
}

class ReplMasterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<ServerProcess>(
        std::vector<std::string>{"-log", dir_.Join("log"), "-ulog", dir_.Join("ulog"), "-sid", "1",
                                 "-thnum", "1"},
        dir_.Join("casket.kch"));
    ASSERT_TRUE(server_->started());
    ASSERT_TRUE(client_.Open("127.0.0.1", server_->port(), 10).ok());
  }
  // A replication stream for slave `sid` from `ts` on; checks the master's id.
  std::unique_ptr<RemoteDB> StartSlave(uint64_t ts, int64_t sid) {
    auto slave = std::make_unique<RemoteDB>();
    EXPECT_TRUE(slave->Open("127.0.0.1", server_->port(), 10).ok());
    uint32_t master_sid = 0;
    Status s = slave->ReplStart(ts, sid, &master_sid);
    EXPECT_TRUE(s.ok()) << s.ToString();
    EXPECT_EQ(master_sid, 1u);
    return slave;
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
  RemoteDB client_;
};

TEST_F(ReplMasterTest, StreamsFromTheTimestampThenNopsThenNewRecords) {
  for (const char* key : {"a", "b", "c"})
    ASSERT_TRUE(client_.Put(key, std::string(key) + "-value").ok());
  std::vector<UlogRecord> all = NextRecords(*StartSlave(1, 2), 3);
  ASSERT_EQ(all.size(), 3u);

  // From b's timestamp, inclusive.
  auto slave = StartSlave(all[1].ts, 2);
  std::vector<UlogRecord> from_b = NextRecords(*slave, 2);
  ASSERT_EQ(from_b.size(), 2u);
  EXPECT_EQ(from_b[0].ts, all[1].ts);
  EXPECT_EQ(from_b[0].sid, 1);
  EXPECT_EQ(from_b[0].body, PutBody("b", "b-value"));
  EXPECT_EQ(from_b[1].body, PutBody("c", "c-value"));

  // Idle: a NOP within 1.5 s.
  UlogRecord rec;
  bool is_nop = false;
  ASSERT_TRUE(slave->ReplNext(&rec, &is_nop, 1.5).ok());
  EXPECT_TRUE(is_nop);

  // A record written after the stream started reaches it.
  ASSERT_TRUE(client_.Put("d", "d-value").ok());
  std::vector<UlogRecord> later = NextRecords(*slave, 1);
  ASSERT_EQ(later.size(), 1u);
  EXPECT_GT(later[0].ts, all[2].ts);
  EXPECT_EQ(later[0].body, PutBody("d", "d-value"));
}

TEST_F(ReplMasterTest, HandshakeAndRecordAreTheOriginalsBytes) {
  ASSERT_TRUE(client_.Put("foo", "bar").ok());
  std::vector<UlogRecord> first = NextRecords(*StartSlave(1, 2), 1);
  ASSERT_EQ(first.size(), 1u);

  RawConnection slave(server_->port());
  ASSERT_TRUE(slave.connected());
  ASSERT_TRUE(slave.Send(ReplRequest(first[0].ts, 99)));
  EXPECT_EQ(slave.Receive(4), Bytes("00 00 00 01"));
  EXPECT_EQ(slave.Receive(1), Bytes("CA"));
  std::string expected = Bytes("C9");
  PutU64(&expected, first[0].ts);
  expected += Bytes("00 00 00 01 00 00 00 11 C8 10 00 00 00 03 00 00 00 03 66 6F 6F 62 61 72 00");
  EXPECT_EQ(slave.Receive(expected.size()), expected);
}

TEST_F(ReplMasterTest, PutmetaReachesTheSlaveAsAPlainPut) {
  RawConnection memcached(server_->port());
  ASSERT_TRUE(memcached.Send("set mk 7 0 2\r\nmv\r\n"));
  ASSERT_EQ(memcached.ReceiveUntil("\r\n"), "STORED\r\n");
  std::vector<UlogRecord> records = NextRecords(*StartSlave(1, 2), 1);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].body, PutBody("mk", "mv"));
}

TEST_F(ReplMasterTest, RecordsFromOrThroughTheSlaveAreFiltered) {
  // restore re-logs records with their own sid and mid: here one written on
  // server 2, one that server 3 received from server 2, one of server 3.
  const std::string source = dir_.Join("source");
  ASSERT_EQ(mkdir(source.c_str(), 0755), 0);
  std::string file;
  EncodeFileRecord(UlogRecord{1000, 2, 0, PutBody("from2", "x")}, &file);
  EncodeFileRecord(UlogRecord{1001, 3, 2, PutBody("via2", "x")}, &file);
  EncodeFileRecord(UlogRecord{1002, 3, 0, PutBody("from3", "x")}, &file);
  std::ofstream(source + "/00000001.ulog", std::ios::binary) << file;
  ASSERT_TRUE(client_.Restore(source, 1, 0).ok());
  ASSERT_TRUE(client_.Put("from1", "x").ok());

  // A slave with another id gets all four: restore logged them all.
  std::vector<UlogRecord> unfiltered = NextRecords(*StartSlave(1, 5), 4);
  ASSERT_EQ(unfiltered.size(), 4u);
  EXPECT_EQ(unfiltered[0].sid, 2);
  EXPECT_EQ(unfiltered[1].sid, 3);

  auto slave = StartSlave(1, 2);
  std::vector<UlogRecord> records = NextRecords(*slave, 2);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].sid, 3);
  EXPECT_EQ(records[0].body, PutBody("from3", "x"));
  EXPECT_EQ(records[1].sid, 1);
  EXPECT_EQ(records[1].body, PutBody("from1", "x"));
}

TEST_F(ReplMasterTest, RefusalsCloseWithoutAByte) {
  for (const std::string& request : {ReplRequest(0, 2), ReplRequest(1, 0), ReplRequest(1, 1)}) {
    RawConnection slave(server_->port());
    ASSERT_TRUE(slave.connected());
    ASSERT_TRUE(slave.Send(request));
    std::string extra;
    EXPECT_TRUE(slave.ClosedByPeer(3000, &extra));
    EXPECT_EQ(extra, "");
  }
}

TEST_F(ReplMasterTest, MaskedReplClosesWithoutAByte) {
  ServerProcess masked({"-log", dir_.Join("masked.log"), "-ulog", dir_.Join("masked-ulog"), "-sid",
                        "1", "-mask", "repl"},
                       "*");
  ASSERT_TRUE(masked.started());
  RawConnection slave(masked.port());
  ASSERT_TRUE(slave.Send(ReplRequest(1, 2)));
  std::string extra;
  EXPECT_TRUE(slave.ClosedByPeer(3000, &extra));
  EXPECT_EQ(extra, "");
}

TEST_F(ReplMasterTest, ServerWithoutUpdateLogSendsItsIdThenCloses) {
  ServerProcess no_ulog({"-log", dir_.Join("no-ulog.log"), "-sid", "7"}, "*");
  ASSERT_TRUE(no_ulog.started());
  RawConnection slave(no_ulog.port());
  ASSERT_TRUE(slave.Send(ReplRequest(1, 2)));
  EXPECT_EQ(slave.Receive(4), Bytes("00 00 00 07"));
  std::string extra;
  EXPECT_TRUE(slave.ClosedByPeer(3000, &extra));
  EXPECT_EQ(extra, "");
}

TEST_F(ReplMasterTest, StreamsDoNotHoldTheOnlyWorker) {
  ASSERT_TRUE(client_.Put("k", "v").ok());
  std::vector<std::unique_ptr<RemoteDB>> slaves;
  for (int sid = 2; sid <= 4; ++sid) slaves.push_back(StartSlave(1, sid));
  for (auto& slave : slaves) EXPECT_EQ(NextRecords(*slave, 1).size(), 1u);

  // Served by the one worker (-thnum 1) while three streams run.
  RemoteDB other;
  ASSERT_TRUE(other.Open("127.0.0.1", server_->port(), 5).ok());
  std::string value;
  ASSERT_TRUE(other.Get("k", &value).ok());
  EXPECT_EQ(value, "v");
  std::string stat;
  ASSERT_TRUE(other.Stat(&stat).ok());
  EXPECT_NE(stat.find("\nrepl_slaves\t3\n"), std::string::npos) << stat;
  // The slaves are not client connections: client_ and other are.
  EXPECT_NE(stat.find("\ncurr_connections\t2\n"), std::string::npos) << stat;
}

// A stream leaves its worker for a thread of its own, but still counts
// against --max-conns: any peer can send a repl handshake.
TEST(ReplMasterLimitTest, StreamsCountAgainstMaxConns) {
  TempDir dir;
  ServerProcess server({"-ulog", dir.Join("ulog"), "-sid", "1", "--max-conns", "3"},
                       dir.Join("casket.kch"));
  ASSERT_TRUE(server.started());
  std::vector<std::unique_ptr<RawConnection>> streams;
  for (uint32_t sid = 2; sid <= 4; ++sid) {
    // The connections ServerProcess made to see the server start are closed,
    // but a slow server (a sanitized build) may not have counted them out
    // yet and refuse a stream for them: try again until it takes one.
    std::string reply;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    do {
      streams.push_back(std::make_unique<RawConnection>(server.port()));
      reply = streams.back()->Send(ReplRequest(1, sid)) ? streams.back()->Receive(4) : "";
      if (reply.empty()) {
        streams.pop_back();
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    } while (reply.empty() && std::chrono::steady_clock::now() < deadline);
    ASSERT_EQ(reply, Bytes("00 00 00 01")) << "stream " << sid;
  }
  RawConnection beyond(server.port());
  EXPECT_TRUE(beyond.ClosedByPeer(3000));
  streams.pop_back();  // a stream ends: its place is free again
  bool served = false;
  for (int attempt = 0; attempt < 50 && !served; ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    RemoteDB client;
    uint64_t records = 0;
    served = client.Open("127.0.0.1", server.port(), 5).ok() && client.Rnum(&records).ok();
  }
  EXPECT_TRUE(served);
}

TEST_F(ReplMasterTest, SigtermWithSlavesConnectedExitsPromptly) {
  std::vector<std::unique_ptr<RemoteDB>> slaves;
  for (int sid = 2; sid <= 4; ++sid) slaves.push_back(StartSlave(1, sid));
  UlogRecord rec;
  bool is_nop = false;
  for (auto& slave : slaves) ASSERT_TRUE(slave->ReplNext(&rec, &is_nop, 5).ok());
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(server_->Stop(SIGTERM), 0);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

}  // namespace
}  // namespace tt::testing
