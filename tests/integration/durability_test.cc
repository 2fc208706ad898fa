// kill -9 during a write load with --ulog-sync always: after a restart every
// acknowledged write is in the database and in the update log, and the log
// ends with a whole record.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>

#include "common/coding.h"
#include "tests/integration/server_process.h"
#include "ulog/record.h"

namespace tt::testing {
namespace {

std::string PutRequest(const std::string& key, const std::string& value) {
  std::string out("\xC8\x10", 2);
  PutU32(&out, static_cast<uint32_t>(key.size()));
  PutU32(&out, static_cast<uint32_t>(value.size()));
  return out + key + value;
}

std::string GetRequest(const std::string& key) {
  std::string out("\xC8\x30", 2);
  PutU32(&out, static_cast<uint32_t>(key.size()));
  return out + key;
}

// Run on a hash database (pages written through to the OS) and on a tree
// database (changed pages kept in process memory: only the update log has them).
class DurabilityTest : public ::testing::TestWithParam<const char*> {};

TEST_P(DurabilityTest, KillNineLosesNoAcknowledgedWrite) {
  TempDir dir;
  std::filesystem::create_directory(dir.Join("ulog"));
  const std::vector<std::string> args = {"-sid", "1", "-ulog", dir.Join("ulog"), "--ulog-sync",
                                         "always", "-ulim", "64k", "-log", dir.Join("log")};
  const std::string db = dir.Join(GetParam());
  std::map<std::string, std::string> acked;
  std::mutex acked_mu;
  {
    ServerProcess server(args, db);
    ASSERT_TRUE(server.started());
    std::atomic<bool> stop{false};
    std::vector<std::thread> writers;
    for (int t = 0; t < 4; ++t) {
      writers.emplace_back([&, t] {
        RawConnection conn(server.port());
        for (int i = 0; !stop.load(); ++i) {
          std::string key = "k" + std::to_string(t) + "-" + std::to_string(i);
          std::string value = "value-" + std::to_string(i) + std::string(40, 'x');
          if (!conn.Send(PutRequest(key, value))) return;
          std::string reply = conn.Receive(1, 5000);
          if (reply != std::string(1, '\0')) return;  // the server died before answering
          std::lock_guard lock(acked_mu);
          acked[key] = value;
        }
      });
    }
    // At least 1.5 s of load and 1000 acknowledged writes before the kill:
    // a sanitized build on a loaded machine writes slowly, and a fixed pause
    // left it too few writes to test anything.
    const auto start = std::chrono::steady_clock::now();
    const auto deadline = start + std::chrono::seconds(60);
    auto acked_count = [&] {
      std::lock_guard lock(acked_mu);
      return acked.size();
    };
    while (std::chrono::steady_clock::now() < deadline &&
           (std::chrono::steady_clock::now() - start < std::chrono::milliseconds(1500) ||
            acked_count() < 1000)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    server.Kill();  // SIGKILL mid-load
    stop = true;
    for (auto& w : writers) w.join();
  }
  ASSERT_GT(acked.size(), 100u) << "the load made too little progress to test anything";

  // The log as the dead server left it: every record whole or a torn tail.
  ServerProcess restarted(args, db);
  ASSERT_TRUE(restarted.started());
  RawConnection conn(restarted.port());
  for (const auto& [key, value] : acked) {
    ASSERT_TRUE(conn.Send(GetRequest(key)));
    std::string reply = conn.Receive(5 + value.size());
    std::string expected(1, '\0');
    PutLengthPrefixed(&expected, value);
    ASSERT_EQ(reply, expected) << "acknowledged write of " << key << " lost";
  }
  restarted.Stop(SIGTERM);

  // Every acknowledged put is in the log (ttulmgr reads every record,
  // checking the checksum records), and the files hold whole records only.
  std::string exported;
  ASSERT_EQ(RunProgram({TtulmgrPath(), "export", dir.Join("ulog")}, &exported), 0);
  EXPECT_GE(static_cast<size_t>(std::count(exported.begin(), exported.end(), '\n')),
            acked.size());
  for (const auto& entry : std::filesystem::directory_iterator(dir.Join("ulog"))) {
    if (entry.path().extension() != ".ulog") continue;
    std::ifstream in(entry.path(), std::ios::binary);
    const std::string bytes(std::istreambuf_iterator<char>(in), {});
    size_t whole = 0, consumed = 0;
    UlogRecord record;
    while (DecodeFileRecord(std::string_view(bytes).substr(whole), &record, &consumed) ==
           DecodeResult::kOk) {
      whole += consumed;
    }
    EXPECT_EQ(whole, bytes.size()) << entry.path() << " holds bytes that are not whole records";
  }
}

INSTANTIATE_TEST_SUITE_P(HashAndTree, DurabilityTest,
                         ::testing::Values("casket.kch", "casket.kct"));

}  // namespace
}  // namespace tt::testing
