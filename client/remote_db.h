// RemoteDB: a blocking client for every command of the Tokyo Tyrant binary
// protocol (spec/binary-protocol.md), the counterpart of the original's tcrdb.
//
// Results: every method returns a Status. NotFound = no such record (get, out,
// vsiz, iternext at the end); Exists = putkeep on an existing key; Failed = the
// server answered with status 01 (also what a forbidden command looks like);
// Network / Timeout = transport trouble; Protocol = the server broke the
// protocol; InvalidArgument = a request the protocol cannot carry (a string
// over 256 MiB, too many keys) or a call on a closed client. After Network,
// Timeout or Protocol the connection is closed, because its position in the
// reply stream is unknown.
//
// Reconnect rule: before a request is sent, a connection found broken (closed
// by the server while idle, or closed by an earlier error) is replaced by a
// new one, once. A request that was (even partly) sent is re-sent on a new
// connection only if it is read-only (get, mget, vsiz, fwmkeys, rnum, size,
// stat): every other command may already have been applied, so its failure is
// returned and the caller decides. iterinit/iternext never reconnect
// silently, since the iterator belongs to the connection; neither does repl.
//
// Limits: every length the server sends is checked before anything is
// allocated for it (each string <= 256 MiB, stat text <= 1 MiB, a whole reply
// <= max_reply_bytes()).
//
// Thread-safety: none, except Interrupt(); use one RemoteDB per thread.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "client/repl_stream.h"
#include "client/socket.h"
#include "client/tls_tunnel.h"
#include "common/status.h"
#include "ulog/record.h"

namespace tt {

class RemoteDB {
 public:
  RemoteDB() = default;
  ~RemoteDB();
  RemoteDB(const RemoteDB&) = delete;
  RemoteDB& operator=(const RemoteDB&) = delete;

  // Connects to host:port. `timeout_s` bounds the connect and then every
  // request (send + whole reply); <= 0 waits forever. Replaces any previous
  // connection.
  Status Open(const std::string& host, int port, double timeout_s = 0);
  // Speaks TLS (client/tls_tunnel.h) on the connections made from now on.
  void EnableTls(const TlsClientOptions& options) { tls_ = options; }
  // Closes the connection; later calls return InvalidArgument until Open.
  void Close();
  bool is_open() const { return !host_.empty(); }

  // Largest total reply (list replies: mget, fwmkeys, misc) accepted; 1 GiB by default.
  void set_max_reply_bytes(uint64_t n) { max_reply_bytes_ = n; }
  uint64_t max_reply_bytes() const { return max_reply_bytes_; }

  // put: stores `value` under `key`, overwriting. Failed on a 01 reply.
  Status Put(std::string_view key, std::string_view value);
  // putkeep: stores only if `key` is absent; Exists otherwise.
  Status PutKeep(std::string_view key, std::string_view value);
  // putcat: appends `value` to the record (creating it if absent).
  Status PutCat(std::string_view key, std::string_view value);
  // putshl: appends, then keeps only the last `width` bytes (width >= 0).
  Status PutShl(std::string_view key, std::string_view value, int32_t width);
  // putnr: put without a reply; Ok means the request was sent, not applied.
  Status PutNr(std::string_view key, std::string_view value);
  // out: removes `key`; NotFound if absent.
  Status Out(std::string_view key);
  // get: the value of `key` into *value; NotFound if absent.
  Status Get(std::string_view key, std::string* value);
  // mget: the (key, value) pairs found among `keys`, in request order,
  // replacing *found's contents. Missing keys are simply absent.
  Status MGet(const std::vector<std::string>& keys,
              std::vector<std::pair<std::string, std::string>>* found);
  // vsiz: the size of the value of `key`; NotFound if absent.
  Status Vsiz(std::string_view key, uint32_t* size);
  // iterinit / iternext: walk the keys; IterNext returns NotFound at the end.
  Status IterInit();
  Status IterNext(std::string* key);
  // fwmkeys: up to `max` keys starting with `prefix` (max < 0: unlimited).
  Status FwmKeys(std::string_view prefix, int32_t max, std::vector<std::string>* keys);
  // addint: adds `num` to the 4-byte integer record and returns the new sum.
  Status AddInt(std::string_view key, int32_t num, int32_t* sum);
  // adddouble: adds `num` to the 8-byte double record and returns the new
  // sum (12 decimal places travel on the wire).
  Status AddDouble(std::string_view key, double num, double* sum);
  // ext: calls the server-side script function `name` (opts 1 = record lock,
  // 2 = global lock); the function's result into *result.
  Status Ext(std::string_view name, uint32_t opts, std::string_view key, std::string_view value,
             std::string* result);
  // sync / optimize / vanish / copy: database management; Failed on 01.
  Status Sync();
  Status Optimize(std::string_view params);
  Status Vanish();
  Status Copy(std::string_view path);
  // restore: replays the update log directory `path` from timestamp `ts` (µs);
  // opts bit 0 = consistency check.
  Status Restore(std::string_view path, uint64_t ts, uint32_t opts);
  // setmst: makes the server replicate from host:port (empty host stops),
  // starting after `ts` (0 keeps its position); opts bit 0 = consistency check.
  Status SetMst(std::string_view host, int32_t port, uint64_t ts, uint32_t opts);
  // rnum / size: record count and database size in bytes.
  Status Rnum(uint64_t* count);
  Status Size(uint64_t* bytes);
  // stat: the server's status text, "name TAB value LF" lines.
  Status Stat(std::string* text);
  // misc: calls the database function `name` with `args` (opts bit 0 = do not
  // write the update log); its result list into *result. Failed on 01.
  Status Misc(std::string_view name, const std::vector<std::string>& args, uint32_t opts,
              std::vector<std::string>* result);

  // repl handshake: turns this connection into a replication stream of the
  // records with timestamp >= ts, for the slave id `sid`, and returns the
  // master's server id. As the original client does, ts < 1 is sent as 1 and
  // sid < 1 as 2147483647. Afterwards only ReplNext and Close may be called.
  // A refusal (the master closes the connection) is Network.
  Status ReplStart(uint64_t ts, int64_t sid, uint32_t* master_sid);
  // Reads the next stream item within `timeout_s` (<= 0: forever; masters send
  // a NOP every second). Sets *is_nop for a heartbeat, else fills *record
  // (decoded from the wire form: mid = 0). Protocol on an unknown item byte or
  // a record body over 512 MiB + 64 bytes (checked before it is read).
  Status ReplNext(UlogRecord* record, bool* is_nop, double timeout_s = 60);
  // Our extended stream (repl/feeder.h), for a master whose stat shows
  // repl_ext: as ReplStart, with the request's `flags`. Then ReplNextItem
  // reads the stream and ReplAck acknowledges.
  Status ReplStartExtended(uint64_t ts, int64_t sid, uint32_t flags, uint32_t* master_sid);
  // One item of either stream. For kSnapshotBegin, record.ts is the
  // snapshot's timestamp and *replace its flag; for kSnapshotRecord, record
  // holds a key's put/putmeta body. NotFound when the master answers a
  // request with kReplExtNoGap (repl/feeder.h) whose ts its log no longer
  // reaches: record.ts is then the timestamp of its oldest record, and the
  // stream is over (the connection is closed). Extension items on a plain
  // stream are Protocol errors.
  // The decoding is ReadReplItem's (client/repl_stream.h).
  using ReplItem = tt::ReplItem;
  Status ReplNextItem(ReplItem* item, UlogRecord* record, bool* replace, double timeout_s = 60);
  // Extended stream only: tells the master that records up to `ts` are
  // applied (9 bytes, sent at once; a full socket buffer is an error).
  Status ReplAck(uint64_t ts);
  // True when ReplNext can start reading without waiting for the master:
  // bytes of the stream have been received or are readable now. A slave
  // saves its position before it would wait.
  bool ReplPending();

  // Callable from any thread while another one is inside a call: shuts the
  // connection down (shutdown(2)), so that a call blocked on it returns
  // Network at once. Sticky: every later call on this object, Open
  // included, fails with Network. For stopping a replication stream.
  void Interrupt();

 private:
  enum class Retry { kNever, kBeforeSend, kReadOnly };
  class StreamSource;  // the receive buffer as ReadReplItem's ReplByteSource

  // ReplStart and ReplStartExtended.
  Status StartStream(bool extended, uint64_t ts, int64_t sid, uint32_t flags,
                     uint32_t* master_sid);

  Status Connect();
  void Drop();
  bool ConnectionLooksBroken() const;
  // Sends `request` and runs `read_reply` for the answer, reconnecting as the
  // rule in the header comment allows.
  template <typename ReadReply>
  Status Call(std::string_view request, Retry retry, ReadReply&& read_reply);
  Status SendAll(std::string_view data);
  // Receives at least one byte into dst (waiting up to the deadline); a
  // closed connection, an error or the deadline gives a Network/Timeout status.
  Status Receive(char* dst, size_t capacity, size_t* received);
  Status Fill(size_t need);
  Status ReadBytes(size_t n, std::string* out);
  Status ReadU8(uint8_t* v);
  Status ReadU32(uint32_t* v);
  Status ReadU64(uint64_t* v);
  // Reads a u32 length and checks it against `limit` and the reply budget.
  Status ReadLength(uint32_t* n, uint64_t limit, std::string_view what);
  Status ReadStatusByte(uint8_t* status);
  // For commands answering a bare status byte: 00 -> Ok, 01 -> `on_failure`.
  Status SimpleStatus(std::string_view request, Retry retry, Status on_failure);
  Status ReadList(std::vector<std::string>* out);
  Status CheckSize(std::string_view s, std::string_view what) const;

  std::string host_;
  int port_ = 0;
  double timeout_s_ = 0;
  // Written only by the owning thread, under fd_mu_, so that Interrupt()
  // never shuts down a descriptor that was closed (and maybe reused).
  int fd_ = -1;
  std::mutex fd_mu_;
  bool interrupted_ = false;  // GUARDED_BY(fd_mu_)
  std::optional<TlsClientOptions> tls_;
  std::unique_ptr<TlsTunnel> tunnel_;  // relays fd_ over TLS when tls_ is set
  bool streaming_ = false;
  bool extended_ = false;  // the stream is our extended one
  uint64_t max_reply_bytes_ = uint64_t{1} << 30;
  uint64_t reply_bytes_ = 0;  // bytes counted against the budget in the current reply
  std::string rbuf_;          // received, not yet consumed bytes: rbuf_[rpos_..]
  size_t rpos_ = 0;
  Deadline deadline_;  // of the request in progress
};

}  // namespace tt
