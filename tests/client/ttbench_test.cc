// ttbench against the reference: Debian's memcached on a free loopback port.
// A write run and a read run must report the requested number of operations
// with no errors (and, since read mode writes its keys first, no misses).
// Lag mode against a real ttserver master and slave (both with update logs):
// every paced write shows up in the slave's replication stream.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <sstream>
#include <thread>

#include "client/socket.h"
#include "tests/client/test_support.h"
#include "tests/integration/server_process.h"
#include "tests/support/temp_dir.h"

namespace tt {
namespace {

constexpr char kMemcached[] = "/usr/bin/memcached";

// memcached on 127.0.0.1:port(), killed (and reaped) on destruction.
class Memcached {
 public:
  Memcached() {
    for (int attempt = 0; attempt < 5 && !ready_; ++attempt) {
      port_ = testing::FreePort();
      pid_ = fork();
      if (pid_ == 0) {
        std::string port = std::to_string(port_);
        // As root memcached insists on -u; run it as nobody then.
        if (geteuid() == 0) {
          execl(kMemcached, kMemcached, "-p", port.c_str(), "-l", "127.0.0.1", "-U", "0", "-u",
                "nobody", static_cast<char*>(nullptr));
        } else {
          execl(kMemcached, kMemcached, "-p", port.c_str(), "-l", "127.0.0.1", "-U", "0",
                static_cast<char*>(nullptr));
        }
        _exit(127);
      }
      for (int i = 0; i < 100 && !ready_; ++i) {
        int fd = -1;
        if (ConnectTcp("127.0.0.1", port_, 1, &fd, "memcached").ok()) {
          close(fd);
          ready_ = true;
        } else {
          int status;
          if (waitpid(pid_, &status, WNOHANG) == pid_) break;  // exited (port taken?)
          std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
      }
      if (!ready_) Stop();
    }
  }
  ~Memcached() { Stop(); }
  bool ready() const { return ready_; }
  int port() const { return port_; }
  pid_t pid() const { return pid_; }

 private:
  void Stop() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
  }
  int port_ = 0;
  pid_t pid_ = -1;
  bool ready_ = false;
};

// The key=value pairs of ttbench's machine-readable line.
std::map<std::string, std::string> MachineLine(const std::string& out) {
  std::map<std::string, std::string> fields;
  std::istringstream lines(out);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind("proto=", 0) != 0) continue;
    std::istringstream words(line);
    std::string word;
    while (words >> word) {
      size_t eq = word.find('=');
      if (eq != std::string::npos) fields[word.substr(0, eq)] = word.substr(eq + 1);
    }
  }
  return fields;
}

int Ttbench(std::vector<std::string> args, std::string* out, std::string* err) {
  args.insert(args.begin(), TTBENCH_PATH);
  return testing::RunProgram(args, out, err);
}

TEST(TtbenchTest, WriteThenReadAgainstMemcachedReportsAllOpsAndNoErrors) {
  if (access(kMemcached, X_OK) != 0) GTEST_SKIP() << kMemcached << " not installed";
  Memcached mc;
  ASSERT_TRUE(mc.ready()) << "memcached did not start";
  const std::string port = std::to_string(mc.port());
  std::string out, err;

  ASSERT_EQ(Ttbench({"--protocol", "memcached", "--port", port, "--mode", "write", "--requests",
                     "2000", "--conns", "2", "--server-pid", std::to_string(mc.pid())},
                    &out, &err),
            0)
      << out << err;
  auto w = MachineLine(out);
  EXPECT_EQ(w["proto"], "memcached");
  EXPECT_EQ(w["mode"], "write");
  EXPECT_EQ(w["ops"], "2000");
  EXPECT_EQ(w["errors"], "0");
  EXPECT_EQ(w["latency"], "request");
  EXPECT_TRUE(w.count("ops_per_s") && w.count("p50_us") && w.count("p99_us") && w.count("p999_us"));
  EXPECT_TRUE(w.count("cpu_s") && w.count("cpu_us_per_op")) << out;

  ASSERT_EQ(Ttbench({"--protocol", "memcached", "--port", port, "--mode", "read", "--requests",
                     "3000", "--conns", "3", "--pipeline", "4", "--keys", "random"},
                    &out, &err),
            0)
      << out << err;
  auto r = MachineLine(out);
  EXPECT_EQ(r["mode"], "read");
  EXPECT_EQ(r["ops"], "3000");
  EXPECT_EQ(r["errors"], "0");
  EXPECT_EQ(r["misses"], "0");
  EXPECT_EQ(r["latency"], "batch");
  EXPECT_FALSE(r.count("cpu_s"));
}

TEST(TtbenchTest, LagModeSeesEveryWriteOnTheSlave) {
  testing::TempDir dir;
  testing::ServerProcess master({"-log", dir.Join("m.log"), "-ulog", dir.Join("m-ulog"), "-sid",
                                 "1"},
                                dir.Join("m.kch"));
  ASSERT_TRUE(master.started());
  testing::ServerProcess slave({"-log", dir.Join("s.log"), "-ulog", dir.Join("s-ulog"), "-sid",
                                "2", "-mhost", "127.0.0.1", "-mport",
                                std::to_string(master.port()), "-rts", dir.Join("s.rts")},
                               dir.Join("s.kch"));
  ASSERT_TRUE(slave.started());
  std::string out, err;
  ASSERT_EQ(Ttbench({"--mode", "lag", "--port", std::to_string(master.port()), "--slave-port",
                     std::to_string(slave.port()), "--rate", "200", "--duration", "1",
                     "--value-size", "32"},
                    &out, &err),
            0)
      << out << err;
  auto m = MachineLine(out);
  EXPECT_EQ(m["mode"], "lag");
  EXPECT_EQ(m["ops"], "200") << out;
  EXPECT_EQ(m["errors"], "0");
  EXPECT_EQ(m["missing"], "0") << out;
  EXPECT_EQ(m["seen"], "200") << out;
  ASSERT_TRUE(m.count("lag_p50_us") && m.count("lag_p99_us") && m.count("lag_p999_us")) << out;
  EXPECT_GT(std::stod(m["lag_p50_us"]), 0) << out;
  EXPECT_LE(std::stod(m["lag_p50_us"]), std::stod(m["lag_p99_us"])) << out;
  // Paced, not a burst: 200 writes at 200/s take about a second.
  EXPECT_GT(std::stod(m["secs"]), 0.9) << out;
}

TEST(TtbenchTest, LagModeNeedsASlavePortAndRoomForTheTimestamp) {
  std::string out, err;
  EXPECT_EQ(Ttbench({"--mode", "lag", "--requests", "10"}, &out, &err), 1);
  EXPECT_NE(err.find("--slave-port"), std::string::npos) << err;
  EXPECT_EQ(Ttbench({"--mode", "lag", "--slave-port", "1", "--value-size", "4"}, &out, &err), 1);
  EXPECT_NE(err.find("--value-size"), std::string::npos) << err;
}

TEST(TtbenchTest, RefusedConnectionFailsWithMessage) {
  std::string out, err;
  int port = testing::FreePort();
  EXPECT_EQ(Ttbench({"--port", std::to_string(port), "--requests", "10"}, &out, &err), 1);
  EXPECT_NE(err.find("refused; is ttserver running?"), std::string::npos) << err;
}

TEST(TtbenchTest, BadOptionIsRejected) {
  std::string out, err;
  EXPECT_NE(Ttbench({"--mode", "sideways"}, &out, &err), 0);
}

}  // namespace
}  // namespace tt
