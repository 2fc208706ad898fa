// The ttserver process as an operator runs it: signals, daemon mode, pid
// file, refusal to start on a bad database, and --mul partitions on disk.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "tests/integration/server_process.h"

namespace tt::testing {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

// Polls `condition` for up to 5 s.
template <typename F>
bool Eventually(F condition) {
  for (int i = 0; i < 250; ++i) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

TEST(LifecycleTest, SigtermExitsZeroAndKeepsTheData) {
  TempDir dir;
  const std::vector<std::string> args = {"-log", dir.Join("log"), "-pid", dir.Join("pid")};
  {
    ServerProcess server(args, dir.Join("casket.kch"));
    ASSERT_TRUE(server.started());
    EXPECT_EQ(ReadFile(dir.Join("pid")), std::to_string(server.pid()) + "\n");
    std::string out;
    ASSERT_EQ(RunProgram({TcrmgrPath(), "put", "-port", std::to_string(server.port()),
                          "127.0.0.1", "k", "v"},
                         &out),
              0);
    EXPECT_EQ(server.Stop(SIGTERM), 0);
  }
  EXPECT_FALSE(std::filesystem::exists(dir.Join("pid")));
  EXPECT_NE(ReadFile(dir.Join("log")).find("service finished"), std::string::npos);
  ServerProcess again(args, dir.Join("casket.kch"));
  ASSERT_TRUE(again.started());
  std::string out;
  RunProgram({TcrmgrPath(), "get", "-port", std::to_string(again.port()), "127.0.0.1", "k"}, &out);
  EXPECT_EQ(out, "v\n");
}

TEST(LifecycleTest, RunningServerAdvancesTheRecoveryCheckpoint) {
  TempDir dir;
  ServerProcess server({"-sid", "1", "-ulog", dir.Join("ulog"), "--checkpoint-interval", "0.2",
                        "-log", dir.Join("log")},
                       dir.Join("casket.kct"));
  ASSERT_TRUE(server.started());
  std::string out;
  ASSERT_EQ(RunProgram({TcrmgrPath(), "put", "-port", std::to_string(server.port()), "127.0.0.1",
                        "k", "v"},
                       &out),
            0);
  std::string exported;
  ASSERT_EQ(RunProgram({TtulmgrPath(), "export", dir.Join("ulog")}, &exported), 0);
  const uint64_t put_ts = std::stoull(exported.substr(0, exported.find('\t')));
  // Without a shutdown or a sync command, the checkpoint comes to cover the put.
  EXPECT_TRUE(Eventually([&] {
    std::string text = ReadFile(dir.Join("ulog/ttserver.checkpoint"));
    return !text.empty() && std::stoull(text) >= put_ts;
  }));
}

TEST(LifecycleTest, SighupReopensTheLogFile) {
  TempDir dir;
  ServerProcess server({"-log", dir.Join("log")}, "*");
  ASSERT_TRUE(server.started());
  std::filesystem::rename(dir.Join("log"), dir.Join("log.1"));  // as logrotate does
  kill(server.pid(), SIGHUP);
  EXPECT_TRUE(Eventually([&] { return std::filesystem::exists(dir.Join("log")); }));
  EXPECT_EQ(server.Stop(SIGTERM), 0);
  EXPECT_NE(ReadFile(dir.Join("log")).find("service finished"), std::string::npos);
}

TEST(LifecycleTest, DaemonModeDetachesAndWritesItsPid) {
  TempDir dir;
  int port = FreePort();
  std::string out, err;
  ASSERT_EQ(RunProgram({TtserverPath(), "-dmn", "-host", "127.0.0.1", "-port", std::to_string(port),
                        "-pid", dir.Join("pid"), "-log", dir.Join("log"), dir.Join("d.kch")},
                       &out, &err),
            0)
      << err;
  ASSERT_TRUE(Eventually([&] { return std::filesystem::exists(dir.Join("pid")); }));
  pid_t pid = std::stoi(ReadFile(dir.Join("pid")));
  RawConnection conn(port);
  ASSERT_TRUE(conn.Send(Bytes("C8 80")));
  EXPECT_EQ(conn.Receive(9).size(), 9u);
  // A second instance with the same pid file is refused while the first runs.
  EXPECT_EQ(RunProgram({TtserverPath(), "-host", "127.0.0.1", "-port", std::to_string(FreePort()),
                        "-pid", dir.Join("pid"), dir.Join("e.kch")},
                       &out, &err),
            1);
  kill(pid, SIGTERM);
  EXPECT_TRUE(Eventually([&] { return !std::filesystem::exists(dir.Join("pid")); }));
}

TEST(LifecycleTest, UnopenableDatabaseRefusesToStartWithAReason) {
  TempDir dir;
  std::string out, err;
  int rc = RunProgram({TtserverPath(), "-host", "127.0.0.1", "-port", std::to_string(FreePort()),
                       dir.Join("no/such/dir/casket.kch")},
                      &out, &err);
  EXPECT_EQ(rc, 1);
  EXPECT_NE((out + err).find("casket.kch"), std::string::npos) << out << err;
}

TEST(LifecycleTest, UnusableUlogDirectoryRefusesToStart) {
  TempDir dir;
  std::string out, err;
  int rc = RunProgram({TtserverPath(), "-host", "127.0.0.1", "-port", std::to_string(FreePort()),
                       "-sid", "1", "-ulog", dir.Join("nope/ulog"), "*"},
                      &out, &err);
  EXPECT_EQ(rc, 1);
  EXPECT_NE((out + err).find("nope"), std::string::npos) << out << err;
}

TEST(LifecycleTest, MulSplitsTheDatabaseIntoPartitionFiles) {
  TempDir dir;
  ServerProcess server({"-mul", "3", "-log", dir.Join("log")}, dir.Join("casket.kch"));
  ASSERT_TRUE(server.started());
  std::string out;
  for (const char* key : {"a", "key1", "partition-test"}) {
    ASSERT_EQ(RunProgram({TcrmgrPath(), "put", "-port", std::to_string(server.port()), "127.0.0.1",
                          key, "v"},
                         &out),
              0);
  }
  for (const char* file : {"adbmul-001.kch", "adbmul-002.kch", "adbmul-003.kch"}) {
    EXPECT_TRUE(std::filesystem::exists(dir.Join("casket.kch/") + file)) << file;
  }
  RunProgram({TcrmgrPath(), "inform", "-st", "-port", std::to_string(server.port()), "127.0.0.1"},
             &out);
  EXPECT_NE(out.find("type\tskeleton\n"), std::string::npos) << out;
  EXPECT_NE(out.find("rnum\t3\n"), std::string::npos) << out;
  RunProgram({TcrmgrPath(), "list", "-port", std::to_string(server.port()), "127.0.0.1"}, &out);
  // Partition order (files 001, 002, 003): key1, partition-test, a.
  EXPECT_EQ(out, "key1\npartition-test\na\n");
}

}  // namespace
}  // namespace tt::testing
