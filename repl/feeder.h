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
//
// Our own slaves negotiate an extended stream instead (they find "repl_ext"
// in our stat first, so the original never sees it):
//
//   request   C8 A1 | ts u64 | sid u32 | flags u32
//             (bit 0: bootstrap allowed; bit 1: the slave's data is partial;
//              bit 2: no gap, see CF)
//   reply     master sid u32, then items:
//     C9 ...                wire record, putmeta included (flags, expiry)
//     CA                    NOP, as the original's
//     CB ts u64 replace u8  snapshot begins; records up to ts are in it;
//                           replace 1: the slave clears its database first
//     CC ts u64 sid u32 size u32 body    one key of the snapshot
//     CD                    snapshot ends; the log from ts + 1 follows
//     CF oldest_ts u64      (no-gap requests only) the log no longer reaches
//                           the requested ts: its oldest record is at
//                           oldest_ts; the master closes the stream after it
//   slave to master, any time:
//     CE ts u64             acknowledgement: records up to ts are applied
//
// A snapshot is sent when bootstrap is allowed and the slave has no position
// (ts <= 1), says its data is partial, or the log no longer reaches back to
// its position (the oldest file was purged and begins after ts); it replaces
// the slave's data unless the slave had no position and whole data. Records are idempotent effects, so
// keys written while the snapshot is read and sent again from the log
// converge. Without a snapshot, a stream whose position the log no longer
// reaches has a gap (the records of the deleted files); a slave that asks
// with the no-gap flag (tttail) is told so with CF instead.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "common/status.h"
#include "ulog/record.h"
#include "ulog/slave_registry.h"
#include "ulog/ulog_writer.h"

namespace tt {

// Appends to `out` what the stream to slave `slave_sid` carries for `rec`:
// nothing when the record's sid or mid is the slave's, else its wire form,
// made original-compatible unless the stream is `extended` (which may
// rewrite rec->body). Returns whether it appended.
bool AppendForSlave(UlogRecord* rec, uint32_t slave_sid, bool extended, std::string* out);

// True when a master's stat text offers our extended replication stream
// (a "repl_ext TAB 1" line): the followers' test before they ask for it.
bool OffersExtendedStream(std::string_view stat);

// Flags of the extended repl request.
constexpr uint32_t kReplExtBootstrap = 1;  // the slave accepts a snapshot
constexpr uint32_t kReplExtReplace = 2;    // its data is partial: a snapshot must replace it
constexpr uint32_t kReplExtNoGap = 4;      // CF and close rather than stream with a gap

// Reads the database for a snapshot: calls `emit` with the body of a put or
// putmeta record (ulog/record.h StoreBody) for each key, stopping early when
// emit returns false. *start_ts = a timestamp such that every record at or
// below it is reflected in what was read.
using SnapshotSource =
    std::function<Status(uint64_t* start_ts, const std::function<bool(std::string_view body)>& emit)>;

struct FeederOptions {
  UlogWriter* ulog = nullptr;               // REQUIRED: the log streamed; outlives the feeder
  std::atomic<uint64_t>* slaves = nullptr;  // REQUIRED: gauge of the slaves being served
  SnapshotSource snapshot;                  // for bootstraps; none: never bootstraps
  uint16_t sid = 0;                         // our server id, the snapshot records' sid
  double nop_interval_s = 1.0;              // a NOP at least this often
  double send_timeout_s = 60;               // a slave that takes no byte this long is dropped
};

// What the master knows of one slave, for stat and metrics.
struct SlaveReport {
  uint32_t sid = 0;
  std::string address;   // "host:port" of its connection
  bool connected = false;
  bool acknowledges = false;  // it speaks the extended stream
  uint64_t sent_ts = 0;       // the newest record streamed to it
  uint64_t acked_ts = 0;      // the newest record it acknowledged as applied
  double ack_age_s = 0;       // seconds since its last acknowledgement
  // Seconds its applied position trails: from the time of the oldest record
  // sent but not acknowledged to now; 0 when it acknowledged all it was sent.
  // Only for acknowledging slaves.
  double lag_s = 0;
};

class Feeder {
 public:
  explicit Feeder(const FeederOptions& options);
  // Stop()s.
  ~Feeder();
  Feeder(const Feeder&) = delete;
  Feeder& operator=(const Feeder&) = delete;

  // Takes ownership of `fd`, a connected socket whose peer completed a repl
  // handshake, and streams to it on a new thread (`address`, "host:port",
  // names the slave in logs and in Slaves(): the caller knows it, the socket
  // may not, being the plain end of a TLS connection): first `preamble` (replies
  // not yet sent, the handshake's server id last), then the records of the log
  // with ts >= start_ts not filtered for `slave_sid`. The thread ends, closing
  // the socket, when a send fails or times out, or at Stop(). After Stop() the
  // socket is closed at once. Thread-safe.
  void Serve(int fd, std::string address, std::string preamble, uint64_t start_ts,
             uint32_t slave_sid);
  // As Serve, for a slave that asked with the extended repl (C8 A1) and
  // `flags`: the extended stream (see the top of this file).
  void ServeExtended(int fd, std::string address, std::string preamble, uint64_t start_ts,
                     uint32_t slave_sid, uint32_t flags);

  // Every slave streaming now, and every acknowledging slave seen in the last
  // `forget_s` seconds (also from before a restart: the registry is kept in
  // the log directory). Thread-safe.
  std::vector<SlaveReport> Slaves(double forget_s) const;
  // The oldest timestamp a slave may still ask for: the minimum of every
  // streaming slave's next position and of the acknowledged position + 1 of
  // every slave that acknowledged within `hold_s` seconds; UINT64_MAX when
  // there is none. Update-log retention keeps every file holding records at
  // or after it. Thread-safe.
  uint64_t OldestNeeded(double hold_s) const;
  // How many slaves streaming now have acknowledged every record up to `ts`
  // as applied (only our own slaves acknowledge: an original ttserver slave
  // never counts). Thread-safe.
  size_t CountAcknowledged(uint64_t ts) const;
  // Waits until CountAcknowledged(ts) >= `count`, or until `deadline` has
  // passed (never with no deadline), or until EndWaits() or Stop(); returns
  // CountAcknowledged(ts) then (Redis's WAIT). Thread-safe.
  size_t WaitAcknowledged(uint64_t ts, size_t count,
                          std::optional<std::chrono::steady_clock::time_point> deadline);
  // Ends every WaitAcknowledged() now, and makes later ones return at once:
  // a server that stops calls it before it waits for the threads that wait.
  // Thread-safe; idempotent.
  void EndWaits();
  // Ends every stream (a thread waiting for the log or for a slow slave
  // included) and waits for the threads. Thread-safe; idempotent.
  void Stop();

 private:
  struct Slave;

  // Starts the thread of one stream.
  void Start(int fd, std::string address, std::string preamble, uint64_t start_ts,
             uint32_t slave_sid, bool extended, uint32_t flags);
  // The stream of one slave; returns when it ends (the caller closes `fd`).
  void Stream(Slave* slave, int fd, const std::string& preamble, uint64_t start_ts,
              uint32_t flags);
  // The oldest record the log must still hold for slave `slave_sid` asking
  // for records from `start_ts`: start_ts, or later when the registry says
  // the records after it were its own (left out of its stream, so a purge of
  // them loses it nothing; a dual master's partner that wrote, then was
  // away). Not later for a slave asking from before what it acknowledged as
  // applied (its data is older than it was). Thread-safe.
  uint64_t NeededFrom(uint64_t start_ts, uint32_t slave_sid) const;
  // Whether the log still holds every record from `start_ts` on: true unless
  // its first files were deleted and the oldest left begins after it, at
  // *oldest_ts (when not null), or none is left and the newest written was
  // at or after it.
  bool LogReaches(uint64_t start_ts, uint64_t* oldest_ts = nullptr) const;
  // Sends the snapshot items (`replace`: the slave clears its data first);
  // *next_ts = where the log stream continues.
  bool SendSnapshot(Slave* slave, int fd, bool replace, uint64_t* next_ts);
  // Sends all of `data`, waiting for the socket as needed. false when the
  // slave is gone, takes nothing for send_timeout_s, or the feeder stops.
  bool SendAll(int fd, std::string_view data, uint32_t slave_sid);
  // Notes that records first_ts..last_ts were just sent to `slave`.
  void NoteSent(Slave* slave, uint64_t first_ts, uint64_t last_ts);
  // Notes how far `slave` has read the log (its next record is at or after `next_ts`).
  void NoteRead(Slave* slave, uint64_t next_ts);
  // Reads the acknowledgements the slave has sent so far without waiting.
  // false when the slave closed the connection or sent something else.
  bool ReadAcks(Slave* slave, int fd, std::string* pending);
  void NoteAck(Slave* slave, uint64_t ts);
  // Rewrites the registry file when acknowledgements moved (at most every few
  // seconds unless `now`).
  void SaveRegistry(bool now);
  // Joins the threads of streams that have ended. REQUIRES: mu_ held.
  void ReapLocked();
  // CountAcknowledged(ts). REQUIRES: mu_ held.
  size_t CountAcknowledgedLocked(uint64_t ts) const;

  const FeederOptions options_;
  std::stop_source stop_;  // ends the threads' waits for the log
  int stop_fd_ = -1;       // eventfd, readable once stopping: ends their waits for a socket
  mutable std::mutex mu_;
  bool stopped_ = false;                      // GUARDED_BY(mu_)
  bool waits_ended_ = false;                  // GUARDED_BY(mu_): EndWaits() or Stop() was called
  std::condition_variable ack_arrived_;       // notified on every acknowledgement and EndWaits()
  std::list<std::unique_ptr<Slave>> slaves_;  // GUARDED_BY(mu_)
  std::map<uint32_t, SlaveAck> acks_;         // GUARDED_BY(mu_): by slave id
  bool acks_dirty_ = false;                   // GUARDED_BY(mu_)
  std::chrono::steady_clock::time_point acks_saved_;  // GUARDED_BY(mu_)
  bool registry_writable_ = true;             // false when it could not be read at start
  std::mutex registry_file_mu_;               // one writer of the registry file at a time
};

}  // namespace tt
