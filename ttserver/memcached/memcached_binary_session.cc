#include "ttserver/memcached/memcached_binary_session.h"

#include <algorithm>
#include <utility>

#include "common/coding.h"
#include "common/commands.h"
#include "common/logging.h"
#include "ttserver/wire_protocol.h"
#include "ttserver/memcached/memcached_binary_packet.h"
#include "ttserver/memcached/memcached_ops.h"
#include "ttserver/memcached/memcached_stats.h"

namespace tt {

namespace {

using mcbin::Op;
using mcbin::Opcode;
using mcbin::RequestHeader;
using mcbin::ResponseStatus;

// The extras value that asks incr/decr not to create a missing counter.
constexpr uint32_t kNoAutoCreate = 0xffffffff;

// One whole request; the views point into the connection's input.
struct Packet {
  RequestHeader header;
  std::string_view extras;
  std::string_view key;
  std::string_view value;
};

// The reply status of an mc:: outcome of `op`. memcached reports an add of an
// existing key as "exists", a replace of a missing one as "not found", and an
// append/prepend to a missing key (with or without a CAS) as "not stored".
ResponseStatus StatusOf(mc::Result result, Op op) {
  const bool concatenates = op == Op::kAppend || op == Op::kPrepend;
  switch (result) {
    case mc::Result::kStored: return ResponseStatus::kSuccess;
    case mc::Result::kNotStored:
      if (op == Op::kAdd) return ResponseStatus::kKeyExists;
      return concatenates ? ResponseStatus::kNotStored : ResponseStatus::kKeyNotFound;
    case mc::Result::kExists: return ResponseStatus::kKeyExists;
    case mc::Result::kNotFound:
      return concatenates ? ResponseStatus::kNotStored : ResponseStatus::kKeyNotFound;
    case mc::Result::kTooLarge: return ResponseStatus::kTooLarge;
    case mc::Result::kNonNumeric: return ResponseStatus::kNonNumeric;
    case mc::Result::kError: return ResponseStatus::kInternalError;
  }
  return ResponseStatus::kInternalError;
}

// The reply of a request that carries no data back: the header alone on
// success (nothing at all for a quiet opcode), memcached's error otherwise.
void AppendOutcome(const RequestHeader& header, bool quiet, ResponseStatus status, uint64_t cas,
                   std::string* out) {
  if (status != ResponseStatus::kSuccess) {
    mcbin::AppendError(header, status, out);
  } else if (!quiet) {
    mcbin::AppendResponseHeader(header, status, 0, 0, 0, cas, out);
  }
}

// The store mode of a store opcode, before a CAS in the request turns it
// into a cas (see ExecuteStore).
mc::StoreMode StoreModeOf(Op op) {
  switch (op) {
    case Op::kAdd: return mc::StoreMode::kAdd;
    case Op::kReplace: return mc::StoreMode::kReplace;
    case Op::kAppend: return mc::StoreMode::kAppend;
    case Op::kPrepend: return mc::StoreMode::kPrepend;
    default: return mc::StoreMode::kSet;
  }
}

// A hit of get/getk/gat/gatk: flags, the key if asked for, the value.
void AppendItem(const RequestHeader& header, std::string_view key, const mc::Item& item,
                std::string* out) {
  mcbin::AppendResponseHeader(header, ResponseStatus::kSuccess, 4, key.size(),
                              4 + key.size() + item.value.size(), item.meta.Cas(), out);
  PutU32(out, item.meta.flags);
  out->append(key).append(item.value);
}

}  // namespace

struct MemcachedBinarySession::State {
  State(ServerContext* context, int fd) : context(context), fd(fd) {}

  ServerContext* const context;
  const int fd;
  bool mid_request = false;
  uint64_t skip = 0;  // bytes of a refused request's body still to be discarded
  DeferredWork deferred;

  // Discards what has arrived of a refused body, at in[*consumed...].
  void Skip(std::string_view in, size_t* consumed) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(skip, in.size() - *consumed));
    skip -= n;
    *consumed += n;
  }

  // Handles the request at the front of `in` (at least a header, with the
  // request magic). Returns the bytes it used, 0 while the request is
  // incomplete; sets *result.
  size_t HandlePacket(std::string_view in, std::string* out, Result* result);
  // Answers a store of `key` whose item is above --mc-item-max. memcached
  // answers "Too large." and discards the value as it arrives (see skip), so
  // the connection stays usable and the value is never buffered.
  void RefuseValue(const Opcode& opcode, const RequestHeader& header, std::string_view key,
                   std::string* out);
  Result Execute(const Opcode& opcode, const Packet& packet, std::string* out);
  // True when -mask refuses the mc:: operation that does binary command
  // `command`'s job (mc::Forbidden); the request is then answered.
  bool Refused(const RequestHeader& header, uint8_t command, std::string* out) const;
  void ExecuteStore(const Opcode& opcode, const Packet& packet, std::string* out);
  void ExecuteRead(const Opcode& opcode, const Packet& packet, std::string* out);
  void ExecuteDelta(const Opcode& opcode, const Packet& packet, std::string* out);
  Result ExecuteFlush(const Opcode& opcode, const Packet& packet, std::string* out);
  void ExecuteStat(const Packet& packet, std::string* out);
  // Logs why the connection is closed; returns kClose.
  Result Close(std::string_view why) const;
};

MemcachedBinarySession::MemcachedBinarySession(ServerContext* context, int fd)
    : state_(std::make_unique<State>(context, fd)) {}

MemcachedBinarySession::~MemcachedBinarySession() = default;

bool MemcachedBinarySession::MidRequest() const { return state_->mid_request; }

ProtocolSession::DeferredWork MemcachedBinarySession::TakeDeferred() {
  return std::exchange(state_->deferred, nullptr);
}

ProtocolSession::Result MemcachedBinarySession::Process(std::string_view in, size_t* consumed,
                                                        std::string* out) {
  State& s = *state_;
  *consumed = 0;
  const size_t batch_end = out->size() + kReplyBatchBytes;
  // A body being discarded is taken as far as it has arrived, whether or
  // not the batch is full: MidRequest() is then true only while it needs
  // bytes still to come, and the caller calls again for the rest.
  s.Skip(in, consumed);
  while (*consumed < in.size() && out->size() < batch_end) {
    std::string_view rest = in.substr(*consumed);
    // Another protocol's request: the connection's ProtocolSwitch takes it on.
    if (StartsOtherProtocol(rest, WireProtocol::kMemcachedBinary)) break;
    s.mid_request = true;
    if (rest.size() < mcbin::kHeaderSize) return Result::kContinue;
    Result result = Result::kContinue;
    const size_t used = s.HandlePacket(rest, out, &result);
    if (used == 0) return Result::kContinue;
    *consumed += used;
    s.Skip(in, consumed);
    // kDeferred: the slow request's reply must precede those of the requests behind it.
    if (result != Result::kContinue) {
      s.mid_request = s.skip > 0;
      return result;
    }
  }
  s.mid_request = s.skip > 0;
  return Result::kContinue;
}

size_t MemcachedBinarySession::State::HandlePacket(std::string_view in, std::string* out,
                                                   Result* result) {
  const RequestHeader header = mcbin::DecodeRequestHeader(in);
  // memcached's checks, in its order and with its replies.
  if (uint64_t{header.key_length} + header.extras_length > header.body_length) {
    mcbin::AppendError(header, ResponseStatus::kUnknownCommand, out);
    *result = Close("key and extras longer than the request body");
    return mcbin::kHeaderSize;
  }
  if (header.key_length > std::min(mc::kMaxKeyLength, context->limits.max_key)) {
    mcbin::AppendError(header, ResponseStatus::kInvalidArguments, out);
    *result = Close("key longer than memcached's 250 bytes or --max-key");
    return mcbin::kHeaderSize;
  }
  const Opcode* opcode = mcbin::FindOpcode(header.opcode);
  if (opcode == nullptr) {
    // The length is known, so the body can be discarded and the stream goes on.
    mcbin::AppendError(header, ResponseStatus::kUnknownCommand, out);
    skip = header.body_length;
    return mcbin::kHeaderSize;
  }
  if (!mcbin::HasValidShape(opcode->op, header)) {
    mcbin::AppendError(header, ResponseStatus::kInvalidArguments, out);
    *result = Close("request lengths that do not fit its opcode");
    return mcbin::kHeaderSize;
  }
  const size_t head = mcbin::kHeaderSize + header.extras_length + header.key_length;
  const size_t value_length = header.body_length - header.extras_length - header.key_length;
  if (mcbin::TakesValue(opcode->op) && mc::TooLarge(*context, header.key_length, value_length)) {
    if (in.size() < head) return 0;
    RefuseValue(*opcode, header, in.substr(head - header.key_length, header.key_length), out);
    skip = value_length;
    return head;
  }
  // Every other request is at most --mc-item-max plus 529 bytes long.
  const size_t total = mcbin::kHeaderSize + header.body_length;
  if (in.size() < total) return 0;
  Packet packet{.header = header,
                .extras = in.substr(mcbin::kHeaderSize, header.extras_length),
                .key = in.substr(mcbin::kHeaderSize + header.extras_length, header.key_length),
                .value = in.substr(head, total - head)};
  *result = Execute(*opcode, packet, out);
  return total;
}

void MemcachedBinarySession::State::RefuseValue(const Opcode& opcode, const RequestHeader& header,
                                                std::string_view key, std::string* out) {
  const mc::StoreMode mode = StoreModeOf(opcode.op);
  context->memcache->prefix_stats().RecordSet(key);
  if (!mc::Forbidden(*context, mc::CountedCommand(mode))) mc::RefuseTooLarge(*context, mode, key);
  mcbin::AppendError(header, ResponseStatus::kTooLarge, out);
}

bool MemcachedBinarySession::State::Refused(const RequestHeader& header, uint8_t command,
                                            std::string* out) const {
  if (!mc::Forbidden(*context, command)) return false;
  // memcached answers an operator-disabled command (flush_all under -F)
  // with "Auth failure.", so clients already treat it as a refusal; it is
  // an error, so quiet opcodes get it too.
  mcbin::AppendError(header, ResponseStatus::kAuthError, out);
  return true;
}

ProtocolSession::Result MemcachedBinarySession::State::Execute(const Opcode& opcode,
                                                               const Packet& packet,
                                                               std::string* out) {
  const RequestHeader& header = packet.header;
  switch (opcode.op) {
    case Op::kSet:
    case Op::kAdd:
    case Op::kReplace:
    case Op::kAppend:
    case Op::kPrepend: ExecuteStore(opcode, packet, out); break;
    case Op::kGet:
    case Op::kGat:
    case Op::kTouch: ExecuteRead(opcode, packet, out); break;
    case Op::kDelete: {
      context->memcache->prefix_stats().RecordDelete(packet.key);
      if (Refused(header, kCmdOut, out)) break;
      const mc::Result r = mc::Delete(*context, {.key = packet.key, .cas = header.cas});
      AppendOutcome(header, opcode.quiet, StatusOf(r, opcode.op), 0, out);
      break;
    }
    case Op::kIncrement:
    case Op::kDecrement: ExecuteDelta(opcode, packet, out); break;
    case Op::kFlush: return ExecuteFlush(opcode, packet, out);
    case Op::kStat:
      if (!Refused(header, kCmdStat, out)) ExecuteStat(packet, out);
      break;
    case Op::kNoop: AppendOutcome(header, false, ResponseStatus::kSuccess, 0, out); break;
    case Op::kVersion: {
      constexpr std::string_view kVersion = mc::kMemcachedVersion;
      mcbin::AppendResponseHeader(header, ResponseStatus::kSuccess, 0, 0, kVersion.size(), 0, out);
      out->append(kVersion);
      break;
    }
    case Op::kQuit:
      AppendOutcome(header, opcode.quiet, ResponseStatus::kSuccess, 0, out);
      return Result::kClose;
  }
  return Result::kContinue;
}

void MemcachedBinarySession::State::ExecuteStore(const Opcode& opcode, const Packet& packet,
                                                 std::string* out) {
  const RequestHeader& header = packet.header;
  mc::StoreRequest req{
      .mode = StoreModeOf(opcode.op), .key = packet.key, .value = packet.value, .cas = header.cas};
  if (!packet.extras.empty()) {  // set, add, replace
    req.flags = DecodeU32(packet.extras.data());
    req.exptime = DecodeU32(packet.extras.data() + 4);
    // memcached turns a set, add or replace that carries a CAS into a cas:
    // it stores only over the item with that CAS, whatever the opcode.
    if (header.cas != 0) req.mode = mc::StoreMode::kCas;
  }
  context->memcache->prefix_stats().RecordSet(packet.key);
  if (Refused(header, mc::CountedCommand(req.mode), out)) return;
  uint64_t cas = 0;
  const mc::Result r = mc::Store(*context, req, &cas);
  AppendOutcome(header, opcode.quiet, StatusOf(r, opcode.op), cas, out);
}

void MemcachedBinarySession::State::ExecuteRead(const Opcode& opcode, const Packet& packet,
                                                std::string* out) {
  const RequestHeader& header = packet.header;
  // gat reads and writes the item; touch only writes it.
  const bool reads = opcode.op != Op::kTouch;
  const bool writes = opcode.op != Op::kGet;
  if ((reads && Refused(header, kCmdGet, out)) || (writes && Refused(header, kCmdPut, out))) return;
  mc::Item item;
  mc::Result r;
  if (opcode.op == Op::kGet) {
    r = mc::Get(*context, packet.key, &item);
  } else {
    r = mc::Touch(*context, packet.key, DecodeU32(packet.extras.data()), &item);
  }
  // memcached's `stats detail` counts a binary touch as a get, like gat.
  context->memcache->prefix_stats().RecordGet(packet.key, r == mc::Result::kStored);
  if (r == mc::Result::kStored && opcode.op == Op::kTouch) {
    // touch answers with the item's flags only.
    mcbin::AppendResponseHeader(header, ResponseStatus::kSuccess, 4, 0, 4, item.meta.Cas(), out);
    PutU32(out, item.meta.flags);
  } else if (r == mc::Result::kStored) {
    AppendItem(header, opcode.returns_key ? packet.key : std::string_view(), item, out);
  } else if (r != mc::Result::kNotFound) {
    mcbin::AppendError(header, StatusOf(r, opcode.op), out);
  } else if (opcode.quiet) {
    // A quiet get reports only hits: the client learns of misses by the
    // replies that a later noop or get arrives without.
  } else if (opcode.returns_key) {
    // getk's miss carries the key instead of the error text.
    mcbin::AppendResponseHeader(header, ResponseStatus::kKeyNotFound, 0, packet.key.size(),
                                packet.key.size(), 0, out);
    out->append(packet.key);
  } else {
    mcbin::AppendError(header, ResponseStatus::kKeyNotFound, out);
  }
}

void MemcachedBinarySession::State::ExecuteDelta(const Opcode& opcode, const Packet& packet,
                                                 std::string* out) {
  const RequestHeader& header = packet.header;
  if (Refused(header, kCmdAddInt, out)) return;
  const char* extras = packet.extras.data();
  const uint32_t exptime = DecodeU32(extras + 16);
  mc::DeltaRequest req{.key = packet.key,
                       .incr = opcode.op == Op::kIncrement,
                       .delta = DecodeU64(extras),
                       .cas = header.cas,
                       .vivify = exptime != kNoAutoCreate,
                       .initial = DecodeU64(extras + 8),
                       .exptime = exptime};
  mc::DeltaResult result;
  const mc::Result r = mc::Delta(*context, req, &result);
  if (r != mc::Result::kStored) {
    mcbin::AppendError(header, StatusOf(r, opcode.op), out);
  } else if (!opcode.quiet) {
    mcbin::AppendResponseHeader(header, ResponseStatus::kSuccess, 0, 0, 8, result.meta.Cas(), out);
    PutU64(out, result.value);
  }
}

ProtocolSession::Result MemcachedBinarySession::State::ExecuteFlush(const Opcode& opcode,
                                                                    const Packet& packet,
                                                                    std::string* out) {
  const RequestHeader& header = packet.header;
  if (Refused(header, kCmdVanish, out)) return Result::kContinue;
  const int64_t exptime = packet.extras.empty() ? 0 : DecodeU32(packet.extras.data());
  mc::FlushWork flush = mc::Flush(*context, exptime);
  if (!flush) {  // scheduled for later
    AppendOutcome(header, opcode.quiet, ResponseStatus::kSuccess, 0, out);
    return Result::kContinue;
  }
  // Emptying the database now may take long: off the event loop.
  deferred = [flush = std::move(flush), header, quiet = opcode.quiet] {
    std::string reply;
    AppendOutcome(header, quiet, StatusOf(flush(), Op::kFlush), 0, &reply);
    return reply;
  };
  return Result::kDeferred;
}

void MemcachedBinarySession::State::ExecuteStat(const Packet& packet, std::string* out) {
  const RequestHeader& header = packet.header;
  // memcached reads a detail group by its start: "detail on..." is on.
  if (packet.key.starts_with("detail ")) {
    mc::PrefixStats& detail = context->memcache->prefix_stats();
    const std::string_view action = packet.key.substr(7);
    if (action.starts_with("dump")) {
      const std::string dump = detail.Dump();
      constexpr std::string_view kName = "detailed";
      mcbin::AppendResponseHeader(header, ResponseStatus::kSuccess, 0, kName.size(),
                                  kName.size() + dump.size(), 0, out);
      out->append(kName).append(dump);
    } else if (action.starts_with("on") || action.starts_with("off")) {
      detail.SetEnabled(action.starts_with("on"));
    } else {
      mcbin::AppendError(header, ResponseStatus::kKeyNotFound, out);
      return;
    }
    mcbin::AppendResponseHeader(header, ResponseStatus::kSuccess, 0, 0, 0, 0, out);
    return;
  }
  StatList stats;
  if (!MemcachedStats(*context, packet.key, &stats)) {
    mcbin::AppendError(header, ResponseStatus::kKeyNotFound, out);
    return;
  }
  for (const auto& [name, value] : stats) {
    mcbin::AppendResponseHeader(header, ResponseStatus::kSuccess, 0, name.size(),
                                name.size() + value.size(), 0, out);
    out->append(name).append(value);
  }
  // An empty packet ends the list; it is all that answers a reset, as in memcached.
  mcbin::AppendResponseHeader(header, ResponseStatus::kSuccess, 0, 0, 0, 0, out);
}

ProtocolSession::Result MemcachedBinarySession::State::Close(std::string_view why) const {
  LogInfo("closing memcached binary connection fd ", fd, ": ", why);
  return Result::kClose;
}

}  // namespace tt
