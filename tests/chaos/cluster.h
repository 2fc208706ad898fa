// The processes of a chaos run: ttservers and a tttail on loopback, each
// with its files in a directory of its own and a port it keeps for the whole
// run, restarted on the same files after every kill.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "tests/integration/server_process.h"
#include "tests/integration/tail_process.h"

namespace tt::chaos {

// What a start that failed left behind.
enum class StartFailure {
  kNone,
  kFailed,  // the server did not come up (its output says why)
};

// One ttserver: `dir`/db_file, `dir`/ulog, `dir`/rts, `dir`/log and its
// standard output and error in `dir`/out. Not thread-safe (the harness's
// thread owns it).
class Node {
 public:
  // `options`: its options besides -port, -sid, -ulog, -log and the master.
  Node(std::string name, int sid, std::string dir, std::string db_file,
       std::vector<std::string> options);
  ~Node();  // SIGKILL if still running

  // Starts it (following master_port() unless 0) and waits until it
  // answers stat on its port. On failure returns why, with what it wrote
  // last in *detail.
  StartFailure Start(std::string* detail);
  // SIGTERM and wait: its exit status (0 = clean), -1 if it was not running.
  int Terminate();
  // SIGKILL and wait.
  void Kill();
  // Has a process that has not exited (checked without reaping it).
  bool Running() const;
  // Has a process, running or exited but not reaped (false after a failed
  // start, Kill or Terminate).
  bool HasProcess() const { return process_ != nullptr; }
  // Reaps a process that exited by itself: its exit status (128 + signal),
  // -1 if there is none.
  int Reap();

  const std::string& name() const { return name_; }
  int sid() const { return sid_; }
  int port() const { return port_; }
  // The port it replicates from (a proxy or a server), 0 = none. Applies at
  // the next Start(); setmst changes it while it runs.
  int master_port() const { return master_port_; }
  void set_master_port(int port) { master_port_ = port; }
  const std::string& dir() const { return dir_; }
  std::string db_path() const { return dir_ + "/" + db_file_; }
  std::string ulog_dir() const { return dir_ + "/ulog"; }
  std::string rts_path() const { return dir_ + "/rts"; }
  std::string output_path() const { return dir_ + "/out"; }
  std::string log_path() const { return dir_ + "/log"; }

 private:
  std::string name_;
  int sid_;
  std::string dir_;
  std::string db_file_;
  std::vector<std::string> options_;
  int port_;
  int master_port_ = 0;
  std::unique_ptr<testing::ServerProcess> process_;
};

// tttail --sqlite `dir`/mirror.sqlite following 127.0.0.1:master_port. Not
// thread-safe.
class TailNode {
 public:
  TailNode(std::string dir, int master_port);

  void Start();
  // Sends `sig` and reaps it: its exit status (128 + signal), -1 if not running.
  int Signal(int sig);
  // Runs; once it exited by itself, false, with its status in exit_status().
  bool Running();
  int exit_status() const { return exit_status_; }
  std::string sqlite_path() const { return dir_ + "/mirror.sqlite"; }
  // The standard error of the latest start (each start has files of its own).
  std::string error_path() const;

 private:
  std::string dir_;
  int master_port_;
  int starts_ = 0;
  std::unique_ptr<testing::TailProcess> process_;
  int exit_status_ = -1;
};

// The last `n` bytes of the file at `path` ("" if it cannot be read).
std::string FileTail(const std::string& path, size_t n);
// The last `n` lines of the file at `path` (of at most 300 bytes each),
// joined with " | ", for a report line.
std::string LastLines(const std::string& path, int n);
// "status 1", "signal 9 (Killed)", ... for an exit status as Reap gives it.
std::string ExitText(int status);

// Removes everything inside `dir` except the entries named in `keep`,
// keeping `dir` itself (it may be a mount point).
void EmptyDirectory(const std::string& dir, const std::vector<std::string>& keep = {});
// Makes `to` (created if missing) hold a copy of what `from` holds, except
// the entries named in `keep`, which stay as they are in `to`. False on failure.
bool CopyContents(const std::string& from, const std::string& to,
                  const std::vector<std::string>& keep = {});

}  // namespace tt::chaos
