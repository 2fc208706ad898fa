#include "ttserver/daemon.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

namespace tt {
namespace {

class DaemonTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/tt-daemon-test-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
    pid_path_ = dir_ + "/ttserver.pid";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void WriteFile(const std::string& text) { std::ofstream(pid_path_) << text; }
  std::string ReadFile() {
    std::ifstream in(pid_path_);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  // The PID of a process that has exited and been reaped.
  static pid_t DeadPid() {
    pid_t pid = fork();
    if (pid == 0) _exit(0);
    waitpid(pid, nullptr, 0);
    return pid;
  }

  std::string dir_, pid_path_;
};

TEST_F(DaemonTest, WritesPidAndNewline) {
  ASSERT_TRUE(WritePidFile(pid_path_).ok());
  EXPECT_EQ(ReadFile(), std::to_string(getpid()) + "\n");
  EXPECT_FALSE(WritePidFile(pid_path_).ok());  // never replaces a file
  RemovePidFile(pid_path_);
  EXPECT_FALSE(std::filesystem::exists(pid_path_));
}

TEST_F(DaemonTest, RefusesWhenTheProcessIsAlive) {
  pid_t child = fork();
  if (child == 0) {
    pause();
    _exit(0);
  }
  WriteFile(std::to_string(child) + "\n");
  Status s = CheckPidFile(pid_path_);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("may be already running"), std::string::npos);
  EXPECT_TRUE(std::filesystem::exists(pid_path_));
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
}

TEST_F(DaemonTest, RemovesStalePidFile) {
  WriteFile(std::to_string(DeadPid()) + "\n");
  EXPECT_TRUE(CheckPidFile(pid_path_).ok());
  EXPECT_FALSE(std::filesystem::exists(pid_path_));
  WriteFile("garbage");
  EXPECT_TRUE(CheckPidFile(pid_path_).ok());
  EXPECT_TRUE(CheckPidFile(pid_path_).ok());  // absent
}

TEST_F(DaemonTest, OwnPidIsStale) {  // a restarted container process often gets the same PID
  WriteFile(std::to_string(getpid()) + "\n");
  EXPECT_TRUE(CheckPidFile(pid_path_).ok());
}

TEST_F(DaemonTest, KillStopsTheRunningProcess) {
  pid_t child = fork();
  if (child == 0) {
    pause();  // until -kl's SIGTERM
    _exit(0);
  }
  WriteFile(std::to_string(child) + "\n");
  // The child dies on SIGTERM but leaves its PID file; -kl waits for the
  // file, so unlink it on the child's behalf once it has exited.
  std::thread reaper([&] {
    waitpid(child, nullptr, 0);
    unlink(pid_path_.c_str());
  });
  EXPECT_TRUE(StopProcessOfPidFile(pid_path_).ok());
  reaper.join();
  EXPECT_FALSE(std::filesystem::exists(pid_path_));
  EXPECT_TRUE(CheckPidFile(pid_path_).ok());
}

TEST_F(DaemonTest, MakesRelativePathsAbsolute) {
  ServerOptions o;
  o.dbname = "data/casket.kch#bnum=100";
  o.ulog_dir = "ulog";
  o.pid_path = "/run/tt.pid";
  o.log_path = "";
  MakePathsAbsolute(&o);
  std::string cwd = std::filesystem::current_path().string();
  EXPECT_EQ(o.dbname, cwd + "/data/casket.kch#bnum=100");
  EXPECT_EQ(o.ulog_dir, cwd + "/ulog");
  EXPECT_EQ(o.pid_path, "/run/tt.pid");
  EXPECT_EQ(o.log_path, "");
  EXPECT_EQ(o.rts_path, cwd + "/ttserver.rts");
  EXPECT_EQ(o.host, "127.0.0.1");  // a TCP host is not a path

  for (const char* in_memory : {"*#capsiz=1m", "%", "+", "-", ":", "memory#type=*"}) {
    ServerOptions mem;
    mem.dbname = in_memory;
    MakePathsAbsolute(&mem);
    EXPECT_EQ(mem.dbname, in_memory);
  }
}

}  // namespace
}  // namespace tt
