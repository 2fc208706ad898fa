// The slave side of replication (ulog-and-replication.md §4.3, design.md §5):
// one thread that follows the master named by MasterSettings (-mhost/-mport,
// changed by setmst), applying each streamed record through the Engine with
// the record's sid and mid = the master's sid, so that this server's own
// update log carries it on (chains, dual masters: masters filter by sid/mid).
//
// Each session: read the .rts position (repl/rts_file.h), connect (IPv4 or
// IPv6 TCP, bounded connect), send the repl handshake for rts + 1 with our
// sid, then apply every record the master sends (the position is the newest
// timestamp applied; an original master's may repeat or step back). Applied
// records reach the update log in batches (FlushApplied). The position is
// saved at most every 100 ms or 1000 records, and always before waiting for
// the master, never ahead of what was applied and logged (or, without an
// update log, written to the database files). Any failure ends the session;
// the next one starts after a backoff
// (0.1 s doubling to 5 s). A new MasterSettings generation (setmst) ends the
// session after the stream's next item (the master sends a NOP every second),
// rewrites the position first if setmst carried ts > 0, and clears a halt.
// With opts bit 0 (-rcc) an inconsistent record halts replication until the
// next setmst; without it the record is logged at info level.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "client/remote_db.h"
#include "common/status.h"
#include "engine/engine.h"
#include "repl/replica_state.h"
#include "repl/rts_file.h"

namespace tt {

// True for the kinds of record whose second application changes the data
// again (addint, adddouble, putcat, putshl): an original master logs them as
// the commands they were; ours log their effects as puts.
bool IsCommandRecord(uint8_t command);

// True when `apply_error`, an error of ApplyRecord, is the record's own fault
// (undecodable, of an unknown kind, an invalid argument): applying it again
// fails again, so replication passes it. Other errors (I/O, a full disk) are
// this server's, and the record is applied again later.
bool IsMalformed(const Status& apply_error);

struct ReplicatorOptions {
  Engine* engine = nullptr;          // REQUIRED, not owned; outlives the Replicator's thread
  MasterSettings* master = nullptr;  // REQUIRED, not owned
  ReplicaStatus* status = nullptr;   // REQUIRED, not owned; updated for stat
  std::string rts_path;              // the -rts file
  uint16_t sid = 0;                  // this server's id, announced in the handshake
  // How durable the position (and the note before an original master's
  // command record) must be: as the data it covers, so kPowerLoss when this
  // server's update log is synchronised on every write.
  FileDurability durability = FileDurability::kPowerLoss;
  // -mtls: the master is reached over TLS with these settings (whichever
  // master setmst names later too); none: plain TCP.
  std::optional<TlsClientOptions> master_tls;
};

class Replicator {
 public:
  explicit Replicator(const ReplicatorOptions& options);
  // Stop()s if still running.
  ~Replicator();
  Replicator(const Replicator&) = delete;
  Replicator& operator=(const Replicator&) = delete;

  // Settles a record left pending by a crash (repl/rts_file.h) before
  // anything else writes, then starts the thread. It stays idle (checking
  // every second) while no master is configured. Call before the server
  // accepts clients. Fails (and starts nothing) when the replication
  // timestamp file cannot be read or holds garbage (RtsFile::Load).
  Status Start();
  // Ends the thread: interrupts a blocked read or a backoff wait, saves the
  // position of the records applied so far and joins. Returns once no record
  // is being applied. Idempotent.
  void Stop();

 private:
  void Run();
  // Start()'s reading of the position and settling of a pending record.
  Status ResolvePending();
  // The version of `key`'s value here (0 = absent).
  uint64_t KeyVersion(std::string_view key);
  // One connection to `master`, interruptible by Stop(): handshake, then
  // apply records until a failure (returned), Stop(), or a new
  // MasterSettings generation (Ok). *connected = the handshake succeeded;
  // *halted = -rcc stopped replication at an inconsistent record.
  Status Session(const MasterSettings::Snapshot& master, bool* halted, bool* connected);
  // Session's work over the registered connection `db`.
  Status Stream(RemoteDB& db, const MasterSettings::Snapshot& master, bool* halted,
                bool* connected);
  // A snapshot begins (extended stream): with `replace`, clears the database.
  Status BeginSnapshot(uint64_t ts, bool replace, uint16_t origin_sid);
  // Stores a snapshot record's value unless the key exists here.
  Status ApplySnapshotRecord(const UlogRecord& record, uint16_t origin_sid);
  // Saves the position (RtsFile::Save) after FlushApplied.
  Status SavePosition();
  // Replaces the position with `ts` now (setmst, a snapshot's end, a
  // settled pending note): RtsFile::Reset, and every record up to it counts
  // as logged.
  Status ResetPosition(uint64_t ts);
  // Makes the records applied so far safe for a position that covers them.
  // Applied records are logged deferred (UlogWriter::Append): they are
  // written now (and synchronised when the position must survive a power
  // loss); if that fails the position goes back to the last record known to
  // be in the log, so the next session applies the rest again. Without an
  // update log nothing re-applies the records of a crash, so the database's
  // changed pages (a tree database keeps them in process memory) are
  // written to its files instead.
  Status FlushApplied();
  // Applies one record. Every record the master streams is applied: it sends
  // only those after the position we asked from, and an original master's
  // timestamps may repeat or go back within a stream.
  Status Apply(const UlogRecord& record, uint16_t master_sid, bool check, bool* halted);
  // True when Stop() was called or the master settings changed since
  // `generation`.
  bool Interrupted(uint64_t generation);
  // Waits `seconds`, returning early on Stop() or a new generation.
  void Sleep(double seconds, uint64_t generation);
  void SetState(ReplicaStatus::State state) { options_.status->state.store(state); }

  ReplicatorOptions options_;
  RtsFile rts_;
  bool rts_loaded_ = false;  // by the thread: read the file once, then trust memory
  // Every record applied up to this timestamp is written to the update log.
  uint64_t logged_through_ = 0;

  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;        // GUARDED_BY(mu_)
  RemoteDB* session_ = nullptr;  // GUARDED_BY(mu_): the connection Stop() interrupts
};

}  // namespace tt
