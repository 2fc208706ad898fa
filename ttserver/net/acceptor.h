// The acceptor: one thread with its own event loop and a libevent listener.
// It hands each accepted socket to the next worker, round-robin, and closes
// at once the connections beyond --max-conns (stats.conns_rejected). The
// acceptor of the TLS port hands its sockets over with the TLS context.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "common/status.h"
#include "ttserver/net/worker.h"
#include "ttserver/stats.h"

struct event;
struct event_base;
struct evconnlistener;
struct sockaddr;

namespace tt {

class Acceptor {
 public:
  // `workers` (non-empty), `stats` and `tls` must outlive the acceptor.
  // With `tls`, clients speak TLS on this acceptor's port.
  Acceptor(std::vector<Worker*> workers, Stats* stats, int max_conns, TlsContext* tls = nullptr);
  // Closes the listening socket (and unlinks a UNIX socket file) if still open.
  ~Acceptor();
  Acceptor(const Acceptor&) = delete;
  Acceptor& operator=(const Acceptor&) = delete;

  // Binds and listens now, so that a busy port fails start-up: IPv4 `host`
  // (a name resolves to its first IPv4 address) and `port`, or, when port < 1,
  // a UNIX-domain socket at path `host` (a stale socket file is replaced).
  Status Listen(const std::string& host, int port);
  // Starts accepting on the acceptor thread. REQUIRES: Listen() succeeded.
  Status Start();
  // Stops accepting, closes the listening socket and joins the thread. Thread-safe.
  void Stop();
  // "127.0.0.1:1978" or "unix:/path", for logs.
  const std::string& address() const { return address_; }

 private:
  static void OnAccept(evconnlistener* listener, int fd, ::sockaddr* addr, int len, void* arg);
  static void OnAcceptError(evconnlistener* listener, void* arg);
  static void OnResume(int fd, short what, void* arg);
  static void OnStop(int fd, short what, void* arg);
  void CloseListener();

  std::vector<Worker*> workers_;
  Stats* stats_;
  const uint64_t max_conns_;
  TlsContext* const tls_;
  size_t next_worker_ = 0;

  event_base* base_ = nullptr;
  evconnlistener* listener_ = nullptr;
  event* resume_ev_ = nullptr;  // re-enables the listener after EMFILE
  event* stop_ev_ = nullptr;
  int stop_fd_ = -1;  // eventfd
  std::thread thread_;
  std::string address_;
  std::string unix_path_;  // unlinked at close

  // Rejections are logged at most once a second, with the count since the last line.
  std::chrono::steady_clock::time_point last_reject_log_{};
  uint64_t unlogged_rejects_ = 0;
};

}  // namespace tt
