// Test support for replication against real ttserver processes on loopback:
// starting masters and slaves, write loads that would show a record applied
// twice (addint, putcat), and comparisons of whole contents and logs.
// Convergence is waited for ("eventually within N s"), never timed.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
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

using Contents = std::map<std::string, std::string>;

// Every key and value of the server on `port`: all keys by fwmkeys with an
// empty prefix, their values by mget in batches (fast enough for 200k records).
inline Contents Dump(int port) {
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
inline std::string StatField(int port, const std::string& name) {
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
inline LogSummary Summarize(const std::string& dir) {
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

// "" when `master` and `slave` hold the same keys and values, else how many
// keys differ and the first few of them (whole dumps would flood the output).
inline std::string Difference(const Contents& master, const Contents& slave) {
  std::string shown;
  size_t differing = 0;
  auto note = [&](const std::string& key, const char* what) {
    if (++differing <= 5) shown += "\n  " + key.substr(0, 40) + ": " + what;
  };
  for (const auto& [key, value] : master) {
    auto it = slave.find(key);
    if (it == slave.end()) {
      note(key, "missing on the slave");
    } else if (it->second != value) {
      note(key, "another value on the slave");
    }
  }
  for (const auto& [key, value] : slave) {
    if (master.count(key) == 0) note(key, "only on the slave");
  }
  if (differing == 0) return "";
  return std::to_string(differing) + " of " + std::to_string(master.size()) +
         " keys differ (the slave holds " + std::to_string(slave.size()) + "):" + shown;
}

// Puts key = "v" on the server on `port`.
inline bool PutValue(int port, const std::string& key) {
  RemoteDB db;
  return db.Open("127.0.0.1", port, 10).ok() && db.Put(key, "v").ok();
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
inline uint64_t WriteLoad(int port, const std::string& prefix, int clients, std::atomic<bool>* stop,
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
inline int64_t AddIntValue(const std::string& value) {
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

class ReplTest : public ::testing::Test {
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
  // Waits until the slave on `port` streams its master's log (a new slave
  // first loads a snapshot, which folds the writes before it into one record
  // per key: tests that count log records start their load after this).
  void WaitStreaming(int port) {
    EXPECT_TRUE(Eventually(15, [&] { return StatField(port, "repl_state") == "streaming"; }))
        << "repl_state " << StatField(port, "repl_state");
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
    EXPECT_EQ(Difference(Dump(master_port), Dump(slave_port)), "");
  }
  // The number of records in the update log of server `name`.
  uint64_t LogRecords(const std::string& name) { return Summarize(dir_.Join(name + "-ulog")).records; }

  TempDir dir_;
};

}  // namespace tt::testing
