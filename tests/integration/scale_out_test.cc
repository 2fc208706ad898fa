// Scale-out as README.md "Scale-out" sets it up: three ttserver masters, each
// with a slave, behind twemproxy (Debian's nutcracker) configured by
// client/twemproxy_config.sh (ketama over shard names; ejection of a failing
// host only on request), and a memcached client workload (pymemcache), or a
// Redis one (redis-py, the pool with --redis), through the proxy.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "tests/integration/protocol_support.h"
#include "tests/integration/repl_support.h"
#include "ulog/record.h"
#include "ulog/ulog_reader.h"

namespace tt::testing {
namespace {

constexpr int kShards = 3;

class ScaleOutTest : public ReplTest {
 protected:
  void SetUp() override {
    for (int shard = 0; shard < kShards; ++shard) {
      masters_.push_back(StartServer(Name("master", shard), shard + 1, 0));
      slaves_.push_back(StartServer(Name("slave", shard), shard + 11, masters_.back()->port()));
    }
  }

  // Writes the proxy's configuration for the masters with `options` of
  // client/twemproxy_config.sh, checks it and starts nutcracker.
  void StartProxy(const std::vector<std::string>& options = {}) {
    proxy_port_ = FreePort();
    std::vector<std::string> argv = {CONFIG_SCRIPT, "--listen",
                                     "127.0.0.1:" + std::to_string(proxy_port_)};
    argv.insert(argv.end(), options.begin(), options.end());
    for (int shard = 0; shard < kShards; ++shard) {
      argv.push_back(Name("shard", shard) +
                     "=127.0.0.1:" + std::to_string(masters_[shard]->port()));
    }
    std::string config, err;
    ASSERT_EQ(RunProgram(argv, &config, &err), 0) << err;
    std::ofstream(config_path_) << config;
    std::string check;
    ASSERT_EQ(RunProgram({kNutcracker, "-t", "-c", config_path_}, &check, &check), 0) << check;
    RestartProxy();
  }

  // Starts nutcracker on proxy_port_ with the configuration file, stopping
  // the one running first (twemproxy reads its file only when it starts).
  void RestartProxy() {
    proxy_.reset();
    proxy_ = ServerProcess::StartProgram(
        {kNutcracker, "-c", config_path_, "-s", std::to_string(FreePort()), "-v", "5"}, proxy_port_,
        dir_.Join("nutcracker.log"));
    ASSERT_TRUE(proxy_->started());
  }

  static std::string Name(const std::string& what, int shard) {
    return what + std::to_string(shard + 1);
  }

  // The keys the server on `port` holds.
  static std::set<std::string> Keys(int port) {
    std::set<std::string> keys;
    for (const auto& [key, value] : Dump(port)) keys.insert(key);
    return keys;
  }

  // Checks that the masters hold `expected` keys together, each on exactly
  // one master, every master a fair share, and that each slave has caught up
  // with its master.
  void ExpectEveryKeyOnOneMasterAndItsSlave(size_t expected) {
    std::set<std::string> all;
    size_t total = 0;
    for (int shard = 0; shard < kShards; ++shard) {
      const std::set<std::string> keys = Keys(masters_[shard]->port());
      EXPECT_GT(keys.size(), 500u)
          << "shard " << shard + 1 << " holds few keys: ketama spreads them";
      total += keys.size();
      all.insert(keys.begin(), keys.end());
      ExpectCaughtUp(Name("master", shard), masters_[shard]->port(), slaves_[shard]->port());
    }
    EXPECT_EQ(all.size(), expected) << "every key is on a master";
    EXPECT_EQ(total, expected) << "no key is on two masters";
  }

  // Sets the keys after:0 .. after:299 through the proxy while the second
  // master is down; returns how many were refused (each with SERVER_ERROR).
  int SetAfterKeysWhileTheSecondMasterIsDown() {
    RawConnection conn(proxy_port_);
    int failed = 0;
    for (int i = 0; i < 300; ++i) {
      const std::string reply =
          TextExchange(conn, "set after:" + std::to_string(i) + " 0 0 1\r\nx\r\n");
      if (reply == "STORED\r\n") continue;
      ++failed;
      EXPECT_EQ(reply.rfind("SERVER_ERROR", 0), 0u) << reply;
    }
    return failed;
  }

  // The after: keys on the first and third masters.
  size_t AfterKeysOnTheLiveMasters() {
    size_t found = 0;
    for (int shard : {0, 2}) {
      for (const std::string& key : Keys(masters_[shard]->port())) {
        found += key.starts_with("after:");
      }
    }
    return found;
  }

  static constexpr char kNutcracker[] = "/usr/sbin/nutcracker";
  std::vector<std::unique_ptr<ServerProcess>> masters_, slaves_;
  std::unique_ptr<ServerProcess> proxy_;
  int proxy_port_ = 0;
  const std::string config_path_ = dir_.Join("nutcracker.yml");
};

TEST_F(ScaleOutTest, EveryKeyIsOnExactlyOneMasterAndOnItsSlave) {
  StartProxy();
  std::string output;
  ASSERT_EQ(RunClientScript("twemproxy_load.py", proxy_port_, &output), 0) << output;
  ExpectEveryKeyOnOneMasterAndItsSlave(3000);
}

// The same pool for Redis clients (--redis): redis-py through the proxy,
// MGET split by shard, counters, TTLs and deletes; every key on one master
// and its slave.
TEST_F(ScaleOutTest, ThroughTheRedisProtocolEveryKeyIsOnExactlyOneMasterAndOnItsSlave) {
  StartProxy({"--redis"});
  std::string output;
  ASSERT_EQ(RunClientScript("twemproxy_redis_load.py", proxy_port_, &output), 0) << output;
  ExpectEveryKeyOnOneMasterAndItsSlave(3000);  // 3,000 set, 100 deleted, 100 counters
}

// By default a dead master is not ejected: requests for its keys fail (the
// client retries, or its slave is promoted), the others are served, and no
// write lands on a shard other than its own.
TEST_F(ScaleOutTest, WithoutEjectionOnlyTheDeadMastersKeysFail) {
  StartProxy();
  masters_[1]->Kill();
  const int failed = SetAfterKeysWhileTheSecondMasterIsDown();
  // ketama gives each of the three shards about a third of the keys.
  EXPECT_GT(failed, 50);
  EXPECT_LT(failed, 150);
  EXPECT_EQ(AfterKeysOnTheLiveMasters(), 300u - failed);
}

// twemproxy's auto_eject_hosts (--eject): a master that fails is taken out of
// the ring (after --failure-limit failures, here 1), its keys go to the other
// masters while it is out, and after --retry-timeout it is tried again and
// serves its keys once more (they were never lost: its files and its slave
// hold them).
TEST_F(ScaleOutTest, WithEjectionADeadMasterIsEjectedAndServesItsKeysAgainWhenBack) {
  StartProxy({"--eject", "--failure-limit", "1", "--retry-timeout", "1000"});
  std::string output;
  ASSERT_EQ(RunClientScript("twemproxy_load.py", proxy_port_, &output), 0) << output;
  const std::set<std::string> on_second = Keys(masters_[1]->port());
  ASSERT_FALSE(on_second.empty());
  const std::string old_key = *on_second.begin();
  const int second_port = masters_[1]->port();
  masters_[1]->Kill();

  const int failed = SetAfterKeysWhileTheSecondMasterIsDown();
  // twemproxy may count the failure when it sees the connection close, before
  // any request: then no set fails at all.
  EXPECT_LE(failed, 2) << "sets failed after the dead master should have been ejected";
  EXPECT_EQ(AfterKeysOnTheLiveMasters(), 300u - failed)
      << "every set acknowledged while it was out is on the others";

  masters_[1] = StartServer(Name("master", 1), 2, 0, second_port);
  RawConnection conn(proxy_port_);
  EXPECT_TRUE(Eventually(
      15,
      [&] {
        return TextExchange(conn, "get " + old_key + "\r\n", "END\r\n").starts_with("VALUE ");
      }))
      << old_key << " is not served again after its master came back";
}

// README.md "Failover", step by step: a master dies under a write load
// through the proxy, client/promote_slave.sh stops its slave's replication
// and points the shard at it, the proxy restarts. Every write the dead master
// logged up to the slave's last applied record is on the promoted slave;
// the writes it acknowledged after that are the loss of asynchronous
// replication, counted here. Every other acknowledged write reads back
// through the proxy, and the shard takes writes again.
TEST_F(ScaleOutTest, APromotedSlaveServesItsShardWithEveryWriteItHadApplied) {
  StartProxy();
  std::atomic<bool> stop{false};
  std::vector<std::string> acked;
  std::thread writer([&] {
    RawConnection conn(proxy_port_);
    for (int i = 0; !stop; ++i) {
      const std::string key = "load:" + std::to_string(i);
      const std::string set = "set " + key + " 0 0 " + std::to_string(key.size()) + "\r\n" + key;
      if (TextExchange(conn, set + "\r\n") == "STORED\r\n") acked.push_back(key);
    }
  });
  std::this_thread::sleep_for(std::chrono::seconds(1));
  masters_[1]->Kill();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  stop = true;
  writer.join();
  ASSERT_GT(acked.size(), 100u);

  // The slave applies what reached it before the master died, then stops.
  const int slave_port = slaves_[1]->port();
  std::string applied = StatField(slave_port, "rts");
  EXPECT_TRUE(Eventually(5, [&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    const std::string now = StatField(slave_port, "rts");
    return std::exchange(applied, now) == now;
  }));
  const uint64_t applied_ts = std::stoull("0" + applied);

  std::string out, err;
  ASSERT_EQ(RunProgram({PROMOTE_SCRIPT, "--config", config_path_, "--shard", "shard2", "--slave",
                        "127.0.0.1:" + std::to_string(slave_port), "--tcrmgr", TCRMGR_PATH},
                       &out, &err),
            0)
      << out << err;
  RestartProxy();

  // The dead master's log, which kill -9 leaves on disk: what it logged up to
  // the slave's position is on the slave, what it logged after is lost.
  const Contents promoted = Dump(slave_port);
  std::set<std::string> lost;
  size_t replicated = 0;
  std::unique_ptr<UlogReader> reader;
  ASSERT_TRUE(UlogReader::Open(dir_.Join("master2-ulog"), 1, &reader).ok());
  UlogRecord record;
  while (reader->Next(&record).ok()) {
    ParsedBody body;
    ASSERT_TRUE(ParseBody(record.body, &body).ok());
    const std::string key(body.key);
    if (record.ts <= applied_ts) {
      ++replicated;
      EXPECT_EQ(promoted.count(key), 1u) << key << " was replicated but is not on the slave";
    } else {
      lost.insert(key);
    }
  }
  EXPECT_GT(replicated, 0u);
  std::printf(
      "failover: %zu writes acknowledged through the proxy; the dead master had logged "
      "%zu, of which %zu after the slave's last applied record (lost)\n",
      acked.size(), replicated + lost.size(), lost.size());

  RawConnection conn(proxy_port_);
  for (const std::string& key : acked) {
    const std::string reply = TextExchange(conn, "get " + key + "\r\n", "END\r\n");
    if (lost.count(key) == 0) {
      EXPECT_EQ(reply,
                "VALUE " + key + " 0 " + std::to_string(key.size()) + "\r\n" + key + "\r\nEND\r\n");
    }
  }
  int stored = 0;
  for (int i = 0; i < 60; ++i) {
    stored +=
        TextExchange(conn, "set again:" + std::to_string(i) + " 0 0 1\r\nx\r\n") == "STORED\r\n";
  }
  EXPECT_EQ(stored, 60) << "every shard takes writes after the promotion";
}

}  // namespace
}  // namespace tt::testing
