// The loop of tttail: connect to the master as a pseudo-slave, deliver
// every record to a TailOutput, save the checkpoint in batches, reconnect
// with backoff (follow mode), and in stop-at-end mode stop once the master's
// log as it stood at the start is delivered. With our master (repl_ext in
// its stat) it asks for the extended stream (repl/feeder.h) without a
// snapshot: putmeta records arrive as they are, tttail acknowledges its
// durable position after each flush and heartbeat (so that the master's log
// retention keeps what it has not delivered), and, when it has a position,
// asks for no gap: a log that no longer reaches it is an error. An original
// master gets the plain `repl` handshake (ulog-and-replication.md §4).
// The end in stop-at-end mode is
//   - after a record whose ts >= the master's `ulog_ts` stat (our ttserver),
//   - or at the second NOP of the stream: a master sends one NOP at once and
//     the next only after it has sent every record it had (the original too).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

#include "client/remote_db.h"
#include "common/status.h"
#include "repl/tail/tail_output.h"

namespace tt {

struct TailRunOptions {
  std::string host;
  int port = 1978;
  int64_t sid = 65535;
  std::optional<uint64_t> start_ts;  // when the output has no position yet
  bool stop_at_end = false;
  bool progress = false;                // a progress line on stderr about once a second
  bool progress_on_tty = false;         // redraw that line in place (\r) instead of new lines
  std::optional<TlsClientOptions> tls;  // --tls: reach the master over TLS
};

// Thread-safety: Run on one thread; Stop from any other (e.g. a signal thread).
class TailRunner {
 public:
  TailRunner(TailRunOptions options, TailOutput* output)
      : options_(std::move(options)), output_(output) {}

  // Runs until the end (stop-at-end), Stop(), or an error that retrying
  // cannot fix. Ok after a clean end or Stop; the checkpoint is saved either
  // way for what was delivered.
  Status Run();
  // Makes Run flush, save and return soon (interrupts a blocked read).
  void Stop();
  // Records delivered by Run so far. Call after Run returns.
  uint64_t delivered() const { return delivered_; }

 private:
  // One connection: handshake and stream until an error, the end or Stop.
  // *streamed = the handshake succeeded.
  Status Session(uint64_t end_ts, bool* done, bool* streamed);
  Status Stream(RemoteDB& db, uint64_t end_ts, bool* done, bool* streamed);
  // The master's `ulog_ts` stat (0 when it has none: an original master).
  Status ReadEndTimestamp(uint64_t* end_ts);
  // Opens `db` to the master, over TLS with --tls.
  Status Connect(RemoteDB& db);
  // Flushes the output when a batch is due and then, on an `extended`
  // stream, acknowledges.
  Status MaybeFlush(RemoteDB& db, bool extended);
  // Flushes the output at the end of --stop-at-end and acknowledges as
  // MaybeFlush does, but a failed acknowledgement is no error there.
  Status FlushAtEnd(RemoteDB& db, bool extended);
  // Tells the master (extended stream) the output's durable position, so
  // that its log retention keeps what tttail has not delivered yet. Nothing
  // without one (standard output without --checkpoint).
  Status Acknowledge(RemoteDB& db);
  // The error for a master whose log no longer reaches next_ts_: its oldest
  // record is at `oldest_ts`.
  Status LogGap(uint64_t oldest_ts);
  void ShowProgress(bool final_line);
  bool stopping();
  void SleepUnlessStopped(double seconds);

  TailRunOptions options_;
  TailOutput* output_;
  uint64_t next_ts_ = 1;  // the first timestamp not delivered yet
  std::chrono::steady_clock::time_point last_flush_;

  uint64_t delivered_ = 0;  // records this run
  uint64_t last_record_ts_ = 0;
  bool caught_up_ = false;  // a NOP came after the last record: no lag
  std::chrono::steady_clock::time_point started_at_;
  std::chrono::steady_clock::time_point progress_at_;
  uint64_t progress_delivered_ = 0;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;        // GUARDED_BY(mu_)
  RemoteDB* session_ = nullptr;  // GUARDED_BY(mu_)
};

}  // namespace tt
