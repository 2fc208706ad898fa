// Feeder: the master side of replication (ulog-and-replication.md §4.2).
//
// After a slave's `repl` handshake, its connection leaves the worker that
// accepted it and is handed to the feeder, which streams to it on a thread of
// its own: records of the update log from the requested timestamp on, in log
// order and in the wire form, and a NOP byte (0xCA) whenever a second has
// passed without one. A thread per slave keeps the stream out of the event
// loops, so a slave that reads slowly stalls nobody else; slaves are few.
//
// The stream is the original's, so an original ttserver can be our slave:
// records whose sid or mid is the slave's own are not sent (the loop breaker
// of dual-master set-ups), and our putmeta extension records travel as plain
// puts (MakeOriginalCompatible).
#pragma once

#include <atomic>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>
#include <thread>

#include "ulog/record.h"
#include "ulog/ulog_writer.h"

namespace tt {

// Appends to `out` what the stream to slave `slave_sid` carries for `rec`:
// nothing when the record's sid or mid is the slave's, else its wire form,
// made original-compatible (which may rewrite rec->body). Returns whether it
// appended.
bool AppendForSlave(UlogRecord* rec, uint32_t slave_sid, std::string* out);

struct FeederOptions {
  UlogWriter* ulog = nullptr;               // REQUIRED: the log streamed; outlives the feeder
  std::atomic<uint64_t>* slaves = nullptr;  // REQUIRED: gauge of the slaves being served
  double nop_interval_s = 1.0;              // a NOP at least this often
  double send_timeout_s = 60;               // a slave that takes no byte this long is dropped
};

class Feeder {
 public:
  explicit Feeder(const FeederOptions& options);
  // Stop()s.
  ~Feeder();
  Feeder(const Feeder&) = delete;
  Feeder& operator=(const Feeder&) = delete;

  // Takes ownership of `fd`, a connected socket whose peer completed a repl
  // handshake, and streams to it on a new thread: first `preamble` (replies
  // not yet sent, the handshake's server id last), then the records of the log
  // with ts >= start_ts not filtered for `slave_sid`. The thread ends, closing
  // the socket, when a send fails or times out, or at Stop(). After Stop() the
  // socket is closed at once. Thread-safe.
  void Serve(int fd, std::string preamble, uint64_t start_ts, uint32_t slave_sid);
  // Ends every stream (a thread waiting for the log or for a slow slave
  // included) and waits for the threads. Thread-safe; idempotent.
  void Stop();

 private:
  struct Slave {
    std::thread thread;
    std::atomic<bool> done{false};
  };

  // The stream of one slave; returns when it ends (the caller closes `fd`).
  void Stream(int fd, const std::string& preamble, uint64_t start_ts, uint32_t slave_sid);
  // Sends all of `data`, waiting for the socket as needed. false when the
  // slave is gone, takes nothing for send_timeout_s, or the feeder stops.
  bool SendAll(int fd, std::string_view data, uint32_t slave_sid);
  // Joins the threads of streams that have ended. REQUIRES: mu_ held.
  void ReapLocked();

  const FeederOptions options_;
  std::stop_source stop_;  // ends the threads' waits for the log
  int stop_fd_ = -1;       // eventfd, readable once stopping: ends their waits for a socket
  std::mutex mu_;
  bool stopped_ = false;                      // GUARDED_BY(mu_)
  std::list<std::unique_ptr<Slave>> slaves_;  // GUARDED_BY(mu_)
};

}  // namespace tt
