// Test support: a real ttserver process on a free loopback port, and a raw
// TCP connection for byte-exact exchanges. Integration tests drive the real
// binaries; nothing here imitates the server. TempDir, FreePort and RunProgram
// come from tests/support/.
#pragma once

#include <sys/types.h>

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tests/support/process.h"
#include "tests/support/temp_dir.h"
#include "ulog/record.h"

namespace tt::testing {

class ServerProcess {
 public:
  // Starts ttserver on 127.0.0.1:port() with `args` before the database name
  // `db` and waits until it accepts connections (fails the test otherwise).
  ServerProcess(const std::vector<std::string>& args, const std::string& db, int port = 0);
  ~ServerProcess();  // SIGKILL if still running

  // Starts any server program: `argv` (argv[0] = its path) verbatim, expected
  // to listen on 127.0.0.1:port. Used to run a reference server (Debian's
  // memcached) through the same tests. With `output_path`, the program's
  // standard output and error are appended to that file (else they are ours).
  static std::unique_ptr<ServerProcess> StartProgram(const std::vector<std::string>& argv, int port,
                                                     const std::string& output_path = "");

  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  bool started() const { return started_; }
  // Sends `sig` and waits for the exit; returns the exit status (or 128+signal).
  int Stop(int sig);
  // kill -9 and reap.
  void Kill();

 private:
  explicit ServerProcess(int port) : port_(port) {}
  // Forks and execs `argv` (its output appended to `output_path` unless
  // empty), then waits until port() accepts connections.
  void Start(const std::vector<std::string>& argv, const std::string& output_path = "");

  int port_;
  pid_t pid_ = -1;
  bool started_ = false;
};

// A blocking TCP connection to 127.0.0.1 with a receive deadline.
class RawConnection {
 public:
  explicit RawConnection(int port);
  ~RawConnection();
  bool connected() const { return fd_ >= 0; }
  bool Send(const std::string& bytes);
  // Ends the sending side (the peer reads EOF); receiving goes on.
  void ShutdownWrite();
  // Reads exactly n bytes within timeout_ms; returns what arrived (shorter on
  // timeout or EOF).
  std::string Receive(size_t n, int timeout_ms = 3000);
  // Reads until what arrived contains `marker` (or timeout / EOF); returns
  // everything read, which may extend past the marker.
  std::string ReceiveUntil(std::string_view marker, int timeout_ms = 3000);
  // True if the peer closed the connection (EOF or reset) within timeout_ms
  // without sending anything more; bytes received meanwhile go to *extra.
  bool ClosedByPeer(int timeout_ms = 3000, std::string* extra = nullptr);
  int fd() const { return fd_; }

 private:
  // Receives until `wanted(received)` is 0, reading at most that many bytes
  // at a time, or until timeout_ms passes or the peer closes.
  std::string ReceiveWhileWanted(const std::function<size_t(const std::string&)>& wanted,
                                 int timeout_ms);

  int fd_ = -1;
};

// Hex string ("C8 10 00 ...", spaces optional) to bytes; aborts the test on bad hex.
std::string Bytes(const std::string& hex);

// Makes the directory `dir` and writes `records` into it as an update log
// with `ttulmgr import`, as a test's stand-in for an original master's log
// (whose timestamps may repeat or go back and whose records are commands).
// A failure fails the test.
void ImportLog(const std::string& dir, const std::vector<UlogRecord>& records);

// Puts a=1, b=2, c=3, d=4 of an original master (sid 9) at timestamps t, t
// (repeated), t - 5000 (its clock stepped back) and t + 1, in that order.
std::vector<UlogRecord> PutsWithRepeatedAndSteppedBackTimestamps(uint64_t t);

// Paths of the built programs (set by CMake).
std::string TtserverPath();
std::string TcrmgrPath();
std::string TtulmgrPath();
std::string TttailPath();

}  // namespace tt::testing
