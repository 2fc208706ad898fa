#include "client/remote_db.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

#include "client/requests.h"
#include "common/coding.h"
#include "common/commands.h"
#include "common/hex.h"
#include "common/limits.h"
#include "common/tt_double.h"
#include "ulog/record.h"

namespace tt {

namespace {
constexpr size_t kRecvChunk = 64 * 1024;
// stat text: the original client rejects 64 KiB; we allow room for extra lines.
constexpr uint64_t kMaxStatSize = 1 << 20;

bool IsTransportFailure(const Status& s) {
  switch (s.code()) {
    case Status::Code::kNetwork:
    case Status::Code::kTimeout:
    case Status::Code::kProtocol:
    case Status::Code::kCorruption:
      return true;
    default:
      return false;
  }
}

// "0x7F": a byte as the error messages show it.
std::string HexByte(uint8_t b) { return "0x" + HexSpaced(std::string(1, static_cast<char>(b))); }
}  // namespace

RemoteDB::~RemoteDB() { Close(); }

Status RemoteDB::Open(const std::string& host, int port, double timeout_s) {
  Close();
  if (host.empty()) return Status::InvalidArgument("empty host name");
  host_ = host;
  port_ = port;
  timeout_s_ = timeout_s;
  Status s = Connect();
  if (!s.ok()) host_.clear();
  return s;
}

void RemoteDB::Close() {
  Drop();
  host_.clear();
  streaming_ = false;
  extended_ = false;
}

Status RemoteDB::Connect() {
  int fd = -1;
  Status s = ConnectTcp(host_, port_, timeout_s_, &fd);
  if (!s.ok()) return s;
  std::unique_ptr<TlsTunnel> tunnel;
  if (tls_.has_value()) {
    s = TlsTunnel::Start(fd, host_, port_, *tls_, Deadline::After(timeout_s_), &tunnel, &fd);
    if (!s.ok()) return s;
  }
  std::lock_guard lock(fd_mu_);
  if (interrupted_) {
    close(fd);
    return Status::Network("connection to " + HostPort(host_, port_) + " interrupted");
  }
  fd_ = fd;
  tunnel_ = std::move(tunnel);
  return Status::Ok();
}

void RemoteDB::Interrupt() {
  std::lock_guard lock(fd_mu_);
  interrupted_ = true;
  if (fd_ >= 0) shutdown(fd_, SHUT_RDWR);
}

void RemoteDB::Drop() {
  {
    std::lock_guard lock(fd_mu_);
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }
  tunnel_.reset();
  rbuf_.clear();
  rpos_ = 0;
}

bool RemoteDB::ConnectionLooksBroken() const {
  // Bytes nobody asked for mean the replies no longer line up with requests.
  if (rpos_ < rbuf_.size()) return true;
  pollfd p{fd_, POLLIN, 0};
  int n = poll(&p, 1, 0);
  if (n == 0) return false;
  if (n < 0) return errno != EINTR;
  if (p.revents & (POLLERR | POLLHUP | POLLNVAL)) return true;
  char c;
  ssize_t r = recv(fd_, &c, 1, MSG_PEEK);
  if (r < 0) return !(errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR);
  return true;  // EOF (0) or stray bytes (> 0)
}

template <typename ReadReply>
Status RemoteDB::Call(std::string_view request, Retry retry, ReadReply&& read_reply) {
  if (!is_open()) return Status::InvalidArgument("not connected; Open() first");
  if (streaming_) {
    return Status::InvalidArgument(
        "this connection carries a replication stream; only "
        "ReplNext and Close are allowed");
  }
  if (request.size() > 2 * uint64_t{kProtocolMaxSize} + 64) {
    return Status::InvalidArgument("request too large");
  }
  bool may_reconnect = true;
  if (fd_ < 0 || ConnectionLooksBroken()) {
    Drop();
    if (retry == Retry::kNever) {
      return Status::Network("connection to " + HostPort(host_, port_) +
                             " was lost; the iterator is gone (call IterInit again)");
    }
    Status s = Connect();
    if (!s.ok()) return s;
    may_reconnect = false;
  }
  for (;;) {
    deadline_ = Deadline::After(timeout_s_);
    reply_bytes_ = 0;
    bool sent = false;
    Status s = SendAll(request);
    if (s.ok()) {
      sent = true;
      s = read_reply();
    }
    if (s.ok() || !IsTransportFailure(s)) return s;
    Drop();
    // Only a read-only request may be sent a second time: anything else may
    // already have been applied even though its reply was lost.
    bool retry_allowed = may_reconnect && s.code() == Status::Code::kNetwork &&
                         (retry == Retry::kReadOnly || (!sent && retry == Retry::kBeforeSend));
    if (!retry_allowed) return s;
    may_reconnect = false;
    Status c = Connect();
    if (!c.ok()) return c;
  }
}

Status RemoteDB::SendAll(std::string_view data) {
  return tt::SendAll(fd_, data, deadline_, "sending to " + HostPort(host_, port_));
}

Status RemoteDB::Receive(char* dst, size_t capacity, size_t* received) {
  Status s = ReceiveSome(fd_, dst, capacity, deadline_,
                         "waiting for a reply from " + HostPort(host_, port_), received);
  if (s.ok() && *received == 0) {
    return Status::Network("connection closed by " + HostPort(host_, port_) +
                           " before the reply was complete");
  }
  return s;
}

Status RemoteDB::Fill(size_t need) {
  if (rpos_ == rbuf_.size()) {
    rbuf_.clear();
    rpos_ = 0;
  }
  while (rbuf_.size() - rpos_ < need) {
    if (rpos_ > 0 && rpos_ >= rbuf_.size() / 2) {
      rbuf_.erase(0, rpos_);
      rpos_ = 0;
    }
    size_t old = rbuf_.size();
    rbuf_.resize(old + kRecvChunk);
    size_t got = 0;
    Status s = Receive(rbuf_.data() + old, kRecvChunk, &got);
    rbuf_.resize(old + got);
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

Status RemoteDB::ReadBytes(size_t n, std::string* out) {
  // Small reads go through the buffer; a large one takes what is buffered and
  // receives the rest straight into *out.
  if (n <= kRecvChunk) {
    Status s = Fill(n);
    if (!s.ok()) return s;
    out->assign(rbuf_, rpos_, n);
    rpos_ += n;
    return Status::Ok();
  }
  out->resize(n);
  size_t have = std::min(n, rbuf_.size() - rpos_);
  memcpy(out->data(), rbuf_.data() + rpos_, have);
  rpos_ += have;
  while (have < n) {
    size_t got = 0;
    Status s = Receive(out->data() + have, n - have, &got);
    if (!s.ok()) return s;
    have += got;
  }
  return Status::Ok();
}

Status RemoteDB::ReadU8(uint8_t* v) {
  Status s = Fill(1);
  if (!s.ok()) return s;
  *v = static_cast<uint8_t>(rbuf_[rpos_++]);
  return Status::Ok();
}

Status RemoteDB::ReadU32(uint32_t* v) {
  Status s = Fill(4);
  if (!s.ok()) return s;
  *v = DecodeU32(rbuf_.data() + rpos_);
  rpos_ += 4;
  return Status::Ok();
}

Status RemoteDB::ReadU64(uint64_t* v) {
  Status s = Fill(8);
  if (!s.ok()) return s;
  *v = DecodeU64(rbuf_.data() + rpos_);
  rpos_ += 8;
  return Status::Ok();
}

Status RemoteDB::ReadLength(uint32_t* n, uint64_t limit, std::string_view what) {
  Status s = ReadU32(n);
  if (!s.ok()) return s;
  if (*n > limit) {
    return Status::Protocol("server sent a " + std::string(what) + " length of " +
                            std::to_string(*n) + " bytes, over the limit of " +
                            std::to_string(limit));
  }
  reply_bytes_ += 4 + uint64_t{*n};
  if (reply_bytes_ > max_reply_bytes_) {
    return Status::Protocol("reply exceeds the client's limit of " +
                            std::to_string(max_reply_bytes_) + " bytes");
  }
  return Status::Ok();
}

Status RemoteDB::ReadStatusByte(uint8_t* status) {
  Status s = ReadU8(status);
  if (!s.ok()) return s;
  if (*status > 1) return Status::Protocol("unexpected status byte " + HexByte(*status));
  return Status::Ok();
}

Status RemoteDB::CheckSize(std::string_view s, std::string_view what) const {
  if (s.size() > kProtocolMaxSize) {
    return Status::InvalidArgument(std::string(what) + " of " + std::to_string(s.size()) +
                                   " bytes exceeds the protocol limit of 256 MiB");
  }
  return Status::Ok();
}

Status RemoteDB::SimpleStatus(std::string_view request, Retry retry, Status on_failure) {
  return Call(request, retry, [&]() -> Status {
    uint8_t st;
    Status s = ReadStatusByte(&st);
    if (!s.ok()) return s;
    return st == 0 ? Status::Ok() : on_failure;
  });
}

Status RemoteDB::ReadList(std::vector<std::string>* out) {
  uint32_t n;
  Status s = ReadU32(&n);
  if (!s.ok()) return s;
  out->clear();
  out->reserve(std::min<uint32_t>(n, 4096));
  for (uint32_t i = 0; i < n; ++i) {
    uint32_t len;
    s = ReadLength(&len, kProtocolMaxSize, "list element");
    if (!s.ok()) return s;
    out->emplace_back();
    s = ReadBytes(len, &out->back());
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

#define TT_RETURN_IF_ERROR(expr) \
  do {                           \
    Status _s = (expr);          \
    if (!_s.ok()) return _s;     \
  } while (0)

Status RemoteDB::Put(std::string_view key, std::string_view value) {
  TT_RETURN_IF_ERROR(CheckSize(key, "key"));
  TT_RETURN_IF_ERROR(CheckSize(value, "value"));
  return SimpleStatus(requests::KeyValue(kCmdPut, key, value), Retry::kBeforeSend,
                      Status::Failed("put failed"));
}

Status RemoteDB::PutKeep(std::string_view key, std::string_view value) {
  TT_RETURN_IF_ERROR(CheckSize(key, "key"));
  TT_RETURN_IF_ERROR(CheckSize(value, "value"));
  return SimpleStatus(requests::KeyValue(kCmdPutKeep, key, value), Retry::kBeforeSend,
                      Status::Exists("existing record"));
}

Status RemoteDB::PutCat(std::string_view key, std::string_view value) {
  TT_RETURN_IF_ERROR(CheckSize(key, "key"));
  TT_RETURN_IF_ERROR(CheckSize(value, "value"));
  return SimpleStatus(requests::KeyValue(kCmdPutCat, key, value), Retry::kBeforeSend,
                      Status::Failed("putcat failed"));
}

Status RemoteDB::PutShl(std::string_view key, std::string_view value, int32_t width) {
  TT_RETURN_IF_ERROR(CheckSize(key, "key"));
  TT_RETURN_IF_ERROR(CheckSize(value, "value"));
  if (width < 0) return Status::InvalidArgument("putshl width must not be negative");
  return SimpleStatus(requests::PutShl(key, value, width), Retry::kBeforeSend,
                      Status::Failed("putshl failed"));
}

Status RemoteDB::PutNr(std::string_view key, std::string_view value) {
  TT_RETURN_IF_ERROR(CheckSize(key, "key"));
  TT_RETURN_IF_ERROR(CheckSize(value, "value"));
  return Call(requests::KeyValue(kCmdPutNr, key, value), Retry::kBeforeSend,
              [] { return Status::Ok(); });
}

Status RemoteDB::Out(std::string_view key) {
  TT_RETURN_IF_ERROR(CheckSize(key, "key"));
  return SimpleStatus(requests::Key(kCmdOut, key), Retry::kBeforeSend,
                      Status::NotFound("no record found"));
}

Status RemoteDB::Get(std::string_view key, std::string* value) {
  TT_RETURN_IF_ERROR(CheckSize(key, "key"));
  return Call(requests::Key(kCmdGet, key), Retry::kReadOnly, [&]() -> Status {
    uint8_t st;
    TT_RETURN_IF_ERROR(ReadStatusByte(&st));
    if (st != 0) return Status::NotFound("no record found");
    uint32_t len;
    TT_RETURN_IF_ERROR(ReadLength(&len, kProtocolMaxSize, "value"));
    return ReadBytes(len, value);
  });
}

Status RemoteDB::MGet(const std::vector<std::string>& keys,
                      std::vector<std::pair<std::string, std::string>>* found) {
  if (keys.size() > kProtocolMaxListCount) {
    return Status::InvalidArgument("mget of more than 1048576 keys");
  }
  for (const std::string& k : keys) TT_RETURN_IF_ERROR(CheckSize(k, "key"));
  found->clear();
  return Call(requests::MGet(keys), Retry::kReadOnly, [&]() -> Status {
    found->clear();
    uint8_t st;
    TT_RETURN_IF_ERROR(ReadU8(&st));
    if (st != 0) return Status::Protocol("mget answered status " + HexByte(st));
    uint32_t n;
    TT_RETURN_IF_ERROR(ReadU32(&n));
    if (n > keys.size()) {
      return Status::Protocol("mget answered " + std::to_string(n) + " records for " +
                              std::to_string(keys.size()) + " keys");
    }
    found->reserve(n);
    for (uint32_t i = 0; i < n; ++i) {
      uint32_t ksiz, vsiz;
      TT_RETURN_IF_ERROR(ReadLength(&ksiz, kProtocolMaxSize, "key"));
      TT_RETURN_IF_ERROR(ReadLength(&vsiz, kProtocolMaxSize, "value"));
      found->emplace_back();
      TT_RETURN_IF_ERROR(ReadBytes(ksiz, &found->back().first));
      TT_RETURN_IF_ERROR(ReadBytes(vsiz, &found->back().second));
    }
    return Status::Ok();
  });
}

Status RemoteDB::Vsiz(std::string_view key, uint32_t* size) {
  TT_RETURN_IF_ERROR(CheckSize(key, "key"));
  return Call(requests::Key(kCmdVsiz, key), Retry::kReadOnly, [&]() -> Status {
    uint8_t st;
    TT_RETURN_IF_ERROR(ReadStatusByte(&st));
    if (st != 0) return Status::NotFound("no record found");
    return ReadU32(size);
  });
}

Status RemoteDB::IterInit() {
  return SimpleStatus(requests::Bare(kCmdIterInit), Retry::kBeforeSend,
                      Status::Failed("iterinit failed"));
}

Status RemoteDB::IterNext(std::string* key) {
  return Call(requests::Bare(kCmdIterNext), Retry::kNever, [&]() -> Status {
    uint8_t st;
    TT_RETURN_IF_ERROR(ReadStatusByte(&st));
    if (st != 0) return Status::NotFound("no more records");
    uint32_t len;
    TT_RETURN_IF_ERROR(ReadLength(&len, kProtocolMaxSize, "key"));
    return ReadBytes(len, key);
  });
}

Status RemoteDB::FwmKeys(std::string_view prefix, int32_t max, std::vector<std::string>* keys) {
  TT_RETURN_IF_ERROR(CheckSize(prefix, "prefix"));
  keys->clear();
  return Call(requests::FwmKeys(prefix, max), Retry::kReadOnly, [&]() -> Status {
    uint8_t st;
    TT_RETURN_IF_ERROR(ReadU8(&st));
    if (st != 0) return Status::Protocol("fwmkeys answered status " + HexByte(st));
    return ReadList(keys);
  });
}

Status RemoteDB::AddInt(std::string_view key, int32_t num, int32_t* sum) {
  TT_RETURN_IF_ERROR(CheckSize(key, "key"));
  return Call(requests::AddInt(key, num), Retry::kBeforeSend, [&]() -> Status {
    uint8_t st;
    TT_RETURN_IF_ERROR(ReadStatusByte(&st));
    if (st != 0) return Status::Failed("addint failed (the record is not a 4-byte integer?)");
    uint32_t v;
    TT_RETURN_IF_ERROR(ReadU32(&v));
    *sum = static_cast<int32_t>(v);
    return Status::Ok();
  });
}

Status RemoteDB::AddDouble(std::string_view key, double num, double* sum) {
  TT_RETURN_IF_ERROR(CheckSize(key, "key"));
  return Call(requests::AddDouble(key, num), Retry::kBeforeSend, [&]() -> Status {
    uint8_t st;
    TT_RETURN_IF_ERROR(ReadStatusByte(&st));
    if (st != 0) return Status::Failed("adddouble failed (the record is not an 8-byte double?)");
    uint64_t integ, fract;
    TT_RETURN_IF_ERROR(ReadU64(&integ));
    TT_RETURN_IF_ERROR(ReadU64(&fract));
    *sum = DecodeTtDouble({static_cast<int64_t>(integ), static_cast<int64_t>(fract)});
    return Status::Ok();
  });
}

Status RemoteDB::Ext(std::string_view name, uint32_t opts, std::string_view key,
                     std::string_view value, std::string* result) {
  if (name.size() >= kProtocolMaxNameSize) {
    return Status::InvalidArgument("function name must be shorter than 1024 bytes");
  }
  TT_RETURN_IF_ERROR(CheckSize(key, "key"));
  TT_RETURN_IF_ERROR(CheckSize(value, "value"));
  return Call(requests::Ext(name, opts, key, value), Retry::kBeforeSend, [&]() -> Status {
    uint8_t st;
    TT_RETURN_IF_ERROR(ReadStatusByte(&st));
    if (st != 0) return Status::Failed("ext function '" + std::string(name) + "' failed");
    uint32_t len;
    TT_RETURN_IF_ERROR(ReadLength(&len, kProtocolMaxSize, "result"));
    return ReadBytes(len, result);
  });
}

Status RemoteDB::Sync() {
  return SimpleStatus(requests::Bare(kCmdSync), Retry::kBeforeSend, Status::Failed("sync failed"));
}

Status RemoteDB::Optimize(std::string_view params) {
  TT_RETURN_IF_ERROR(CheckSize(params, "parameter string"));
  return SimpleStatus(requests::PathLike(kCmdOptimize, params), Retry::kBeforeSend,
                      Status::Failed("optimize failed"));
}

Status RemoteDB::Vanish() {
  return SimpleStatus(requests::Bare(kCmdVanish), Retry::kBeforeSend,
                      Status::Failed("vanish failed"));
}

Status RemoteDB::Copy(std::string_view path) {
  TT_RETURN_IF_ERROR(CheckSize(path, "path"));
  return SimpleStatus(requests::PathLike(kCmdCopy, path), Retry::kBeforeSend,
                      Status::Failed("copy failed"));
}

Status RemoteDB::Restore(std::string_view path, uint64_t ts, uint32_t opts) {
  TT_RETURN_IF_ERROR(CheckSize(path, "path"));
  return SimpleStatus(requests::Restore(path, ts, opts), Retry::kBeforeSend,
                      Status::Failed("restore failed"));
}

Status RemoteDB::SetMst(std::string_view host, int32_t port, uint64_t ts, uint32_t opts) {
  TT_RETURN_IF_ERROR(CheckSize(host, "host"));
  if (port < 0) return Status::InvalidArgument("setmst port must not be negative");
  return SimpleStatus(requests::SetMst(host, port, ts, opts), Retry::kBeforeSend,
                      Status::Failed("setmst failed"));
}

Status RemoteDB::Rnum(uint64_t* count) {
  return Call(requests::Bare(kCmdRnum), Retry::kReadOnly, [&]() -> Status {
    uint8_t st;
    TT_RETURN_IF_ERROR(ReadU8(&st));
    if (st != 0) return Status::Protocol("rnum answered status " + HexByte(st));
    return ReadU64(count);
  });
}

Status RemoteDB::Size(uint64_t* bytes) {
  return Call(requests::Bare(kCmdSize), Retry::kReadOnly, [&]() -> Status {
    uint8_t st;
    TT_RETURN_IF_ERROR(ReadU8(&st));
    if (st != 0) return Status::Protocol("size answered status " + HexByte(st));
    return ReadU64(bytes);
  });
}

Status RemoteDB::Stat(std::string* text) {
  return Call(requests::Bare(kCmdStat), Retry::kReadOnly, [&]() -> Status {
    uint8_t st;
    TT_RETURN_IF_ERROR(ReadU8(&st));
    if (st != 0) return Status::Protocol("stat answered status " + HexByte(st));
    uint32_t len;
    TT_RETURN_IF_ERROR(ReadLength(&len, kMaxStatSize, "stat text"));
    return ReadBytes(len, text);
  });
}

Status RemoteDB::Misc(std::string_view name, const std::vector<std::string>& args, uint32_t opts,
                      std::vector<std::string>* result) {
  if (name.size() >= kProtocolMaxNameSize) {
    return Status::InvalidArgument("function name must be shorter than 1024 bytes");
  }
  if (args.size() > kProtocolMaxListCount) {
    return Status::InvalidArgument("misc with more than 1048576 arguments");
  }
  for (const std::string& a : args) TT_RETURN_IF_ERROR(CheckSize(a, "argument"));
  return Call(requests::Misc(name, args, opts), Retry::kBeforeSend, [&]() -> Status {
    uint8_t st;
    TT_RETURN_IF_ERROR(ReadStatusByte(&st));
    // The element count follows even a failure status (`01 00000000`).
    TT_RETURN_IF_ERROR(ReadList(result));
    if (st != 0) return Status::Failed("misc function '" + std::string(name) + "' failed");
    return Status::Ok();
  });
}

Status RemoteDB::ReplStart(uint64_t ts, int64_t sid, uint32_t* master_sid) {
  return StartStream(/*extended=*/false, ts, sid, 0, master_sid);
}

Status RemoteDB::ReplStartExtended(uint64_t ts, int64_t sid, uint32_t flags,
                                   uint32_t* master_sid) {
  return StartStream(/*extended=*/true, ts, sid, flags, master_sid);
}

Status RemoteDB::StartStream(bool extended, uint64_t ts, int64_t sid, uint32_t flags,
                             uint32_t* master_sid) {
  if (!is_open()) return Status::InvalidArgument("not connected; Open() first");
  if (streaming_) return Status::InvalidArgument("replication already started");
  if (ts < 1) ts = 1;
  if (sid < 1 || sid > INT32_MAX) sid = INT32_MAX;
  const std::string request = extended
                                  ? requests::ReplExtended(ts, static_cast<uint32_t>(sid), flags)
                                  : requests::Repl(ts, static_cast<uint32_t>(sid));
  Status s = Call(request, Retry::kBeforeSend, [&]() -> Status {
    Status r = ReadU32(master_sid);
    if (r.code() == Status::Code::kNetwork) {
      return Status::Network("the master at " + HostPort(host_, port_) +
                             " refused replication (closed the connection): repl masked, no "
                             "update log, or the slave id equals its own");
    }
    return r;
  });
  if (!s.ok()) return s;
  if (*master_sid < 1) {
    Drop();
    return Status::Protocol("the master announced server id 0");
  }
  streaming_ = true;
  extended_ = extended;
  return Status::Ok();
}

Status RemoteDB::ReplNext(UlogRecord* record, bool* is_nop, double timeout_s) {
  ReplItem item;
  bool replace;
  Status s = ReplNextItem(&item, record, &replace, timeout_s);
  if (s.ok()) *is_nop = item == ReplItem::kNop;
  if (s.ok() && item != ReplItem::kNop && item != ReplItem::kRecord) {
    Drop();
    return Status::Protocol("snapshot item in a stream read with ReplNext");
  }
  return s;
}

// The stream's bytes as ReadReplItem reads them: the receive buffer, filled
// from the socket.
class RemoteDB::StreamSource : public ReplByteSource {
 public:
  explicit StreamSource(RemoteDB* db) : db_(db) {}
  Status Peek(size_t n, std::string_view* bytes) override {
    Status s = db_->Fill(n);
    if (s.ok()) *bytes = std::string_view(db_->rbuf_).substr(db_->rpos_);
    return s;
  }
  Status Read(size_t n, std::string* out) override { return db_->ReadBytes(n, out); }

 private:
  RemoteDB* db_;
};

Status RemoteDB::ReplNextItem(ReplItem* item, UlogRecord* record, bool* replace, double timeout_s) {
  if (!streaming_ || fd_ < 0)
    return Status::InvalidArgument("no replication stream; ReplStart first");
  deadline_ = Deadline::After(timeout_s);
  StreamSource source(this);
  Status s = ReadReplItem(source, extended_, HostPort(host_, port_), item, record, replace);
  if (!s.ok()) Drop();
  return s;
}

Status RemoteDB::ReplAck(uint64_t ts) {
  if (!streaming_ || !extended_ || fd_ < 0) {
    return Status::InvalidArgument("no extended replication stream; ReplStartExtended first");
  }
  std::string ack(1, static_cast<char>(kMagicAck));
  PutU64(&ack, ts);
  // The master reads acknowledgements all the time; a full buffer means it is stuck.
  ssize_t n = send(fd_, ack.data(), ack.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  if (n == static_cast<ssize_t>(ack.size())) return Status::Ok();
  Drop();
  return Status::Network("cannot send an acknowledgement to " + HostPort(host_, port_) +
                         (n < 0 ? std::string(": ") + strerror(errno) : ": short send"));
}

bool RemoteDB::ReplPending() {
  if (rpos_ < rbuf_.size()) return true;
  if (fd_ < 0) return false;
  pollfd p{fd_, POLLIN, 0};
  return poll(&p, 1, 0) > 0;
}

}  // namespace tt
