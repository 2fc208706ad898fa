// A worker thread: its own event loop, and the connections it owns
// (design.md "data path"). Other threads talk to it only through Adopt() and
// Shutdown(), which queue under a mutex and wake the loop through an eventfd.
//
// A socket of the TLS port gets a TlsBridge (tls_bridge.h) as well: the
// connection is made on one end of a socketpair and the bridge relays the
// other end to the client through OpenSSL, so the connection never knows.
//
// Slow requests (ProtocolSession::Result::kDeferred) run on job threads the
// worker starts and joins, one per job: they are rare (optimize, copy, full
// scans), so a pool would only add idle threads. A job hands its reply back
// through the same queue and wakeup, so connections are still touched only
// on the worker thread. The loop, and so Join(), ends only after every job
// has finished: the store stays open for them until then.
#pragma once

#include <atomic>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>

#include "common/status.h"
#include "common/tls_bridge.h"
#include "ttserver/net/connection.h"
#include "ttserver/net/protocol_session.h"
#include "ttserver/net/tls_context.h"
#include "ttserver/stats.h"

struct event;
struct event_base;

namespace tt {

// Makes the protocol session of a connection from its first byte (nullptr =
// no protocol: the connection is closed). Called on worker threads.
using SessionFactory = std::function<std::unique_ptr<ProtocolSession>(uint8_t first_byte, int fd)>;

// The TLS handshake deadline when -tout does not set one (ttserver(1)).
constexpr double kDefaultTlsHandshakeTimeoutS = 10;

class Worker {
 public:
  struct Options {
    double idle_timeout_s = 0;  // close connections idle this long between requests; 0 = never
    double request_timeout_s =
        0;  // -tout: a request (or a blocked reply) must progress within this; 0 = never
    size_t output_high_water = 4u << 20;  // stop reading while more reply bytes than this wait
    double drain_timeout_s = 5;  // at shutdown, close connections still unfinished after this
    // A client of the TLS port must complete its handshake within this from
    // its connection's adoption (else it is closed and the failure logged);
    // 0 = never. The server uses -tout when set.
    double tls_handshake_timeout_s = kDefaultTlsHandshakeTimeoutS;
  };

  // `factory` and `stats` must outlive the worker. `id` names it in logs.
  Worker(int id, SessionFactory factory, Stats* stats, const Options& options);
  // REQUIRES: Join() has returned, or Start() was never called.
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Creates the event loop and starts the thread.
  Status Start();
  // Hands over an accepted socket (ownership included); it counts in
  // stats.conns_current until closed. With `tls` (which must outlive the
  // worker) the client speaks TLS on it. Thread-safe.
  void Adopt(int fd, TlsContext* tls = nullptr);
  // Asks the worker to finish: requests already received are answered, then
  // every connection is closed and the thread ends. Jobs still running at the
  // drain deadline are waited for (their connections are closed at once and
  // destroyed when their job ends). Thread-safe; returns at once.
  void Shutdown();
  // Waits for the thread, and so for every job it started, to end (after
  // Shutdown()).
  void Join();

  // ---- for Connection (worker thread only) ----
  event_base* base() const { return base_; }
  const Options& options() const { return options_; }
  // The counters connections add their bytes read and written to.
  Stats& stats() { return *stats_; }
  std::unique_ptr<ProtocolSession> NewSession(uint8_t first_byte, int fd) {
    return factory_(first_byte, fd);
  }
  // Destroys `conn` (closing its socket). REQUIRES: no job of `conn` runs.
  void Remove(Connection* conn);
  // `conn` is about to hand its socket to another owner (a replication
  // stream): its TLS bridge, if any, then serves that owner, and no longer
  // holds up the end of a shutdown.
  void NoteHandOff(Connection* conn);
  // Runs `work` on a job thread and later, on the worker thread, calls
  // conn->OnJobDone() with its reply (nullopt if the work threw). `conn`
  // must stay alive until then (Connection defers its destruction).
  void RunJob(Connection* conn, ProtocolSession::DeferredWork work);

 private:
  struct Job {
    Connection* conn;
    std::thread thread;
  };
  struct PendingSocket {
    int fd;
    TlsContext* tls;  // nullptr: plain
  };
  struct JobResult {
    uint64_t id;
    std::optional<std::string> reply;
  };

  static void OnWakeup(int fd, short what, void* arg);
  static void OnDrainDeadline(int fd, short what, void* arg);
  void AdoptPending();
  // Makes the connection of an accepted socket (through a TlsBridge when
  // `tls`); false when it could not (the socket is then closed and uncounted).
  bool AdoptOne(int fd, TlsContext* tls);
  // Called by a bridge that has finished: destroys it (its connection, if
  // still open, no longer names it).
  void RemoveBridge(TlsBridge* bridge);
  // Ends the link between `conn` and its bridge; returns the bridge, or
  // nullptr when it has none (plain, or its bridge has finished).
  TlsBridge* UnlinkBridge(Connection* conn);
  void StartDraining();
  void FinishIfDrained();
  void Wake();
  // Delivers the replies of finished jobs to their connections.
  void CompleteJobs();
  // Joins every job thread (after the loop has ended).
  void JoinJobs();

  const int id_;
  SessionFactory factory_;
  Stats* stats_;
  const Options options_;

  event_base* base_ = nullptr;
  int wake_fd_ = -1;  // eventfd
  event* wake_ev_ = nullptr;
  event* drain_ev_ = nullptr;
  std::thread thread_;

  std::mutex mu_;
  std::deque<PendingSocket> pending_;  // GUARDED_BY(mu_): sockets handed over, not yet adopted
  bool shutdown_requested_ = false;    // GUARDED_BY(mu_)
  bool accepting_ = true;              // GUARDED_BY(mu_): false once the loop has ended
  std::deque<JobResult> finished_;     // GUARDED_BY(mu_): job replies not yet delivered

  bool draining_ = false;  // worker thread only
  std::unordered_map<Connection*, std::unique_ptr<Connection>> connections_;
  struct BridgeEntry {
    std::unique_ptr<TlsBridge> bridge;
    Connection* conn = nullptr;  // the connection it serves; nullptr once it closed
    // Its connection handed its socket off: a shutdown does not wait for it
    // (the stream it carries would never end first).
    bool carries_stream = false;
  };
  // Worker thread only: the TLS bridges, and which connection each one
  // serves until that connection closes or hands its socket off, both ways
  // (whichever of the two ends first unlinks the other).
  std::unordered_map<TlsBridge*, BridgeEntry> bridges_;
  std::unordered_map<Connection*, TlsBridge*> bridge_of_;
  size_t stream_bridges_ = 0;  // entries of bridges_ with carries_stream
  // Worker thread only: running jobs by id (an id, unlike the connection
  // pointer, cannot be confused with a later job).
  std::unordered_map<uint64_t, Job> jobs_;
  uint64_t next_job_id_ = 0;
};

}  // namespace tt
