#include "ttserver/binary/binary_request.h"

#include "common/coding.h"
#include "common/commands.h"

namespace tt {

namespace {

constexpr uint32_t kMaxPathSize = 8192;

// Reads fixed header fields and then the variable-size strings, telling apart
// "not enough bytes yet" from "a length out of range".
class RequestReader {
 public:
  RequestReader(std::string_view in, std::string* error) : reader_(in), error_(error) {}

  bool need_more() const { return need_more_; }
  bool failed() const { return need_more_ || invalid_; }

  uint32_t U32() {
    uint32_t v = 0;
    if (!failed() && !reader_.ReadU32(&v)) need_more_ = true;
    return v;
  }
  int32_t I32() { return static_cast<int32_t>(U32()); }
  uint64_t U64() {
    uint64_t v = 0;
    if (!failed() && !reader_.ReadU64(&v)) need_more_ = true;
    return v;
  }
  // A length field, which the original reads as signed: >= 2^31 or > `max` is invalid.
  uint32_t Length(const char* what, uint64_t max) {
    uint32_t v = U32();
    if (failed()) return 0;
    if (v >= 0x80000000u || v > max) {
      *error_ = std::string(what) + " length " + std::to_string(v) + " exceeds the limit of " +
                std::to_string(max);
      invalid_ = true;
    }
    return v;
  }
  std::string_view Bytes(uint32_t n) {
    std::string_view out;
    if (!failed() && !reader_.ReadBytes(n, &out)) need_more_ = true;
    return out;
  }
  void Invalid(std::string message) {
    if (!failed()) {
      *error_ = std::move(message);
      invalid_ = true;
    }
  }
  size_t remaining() const { return reader_.remaining(); }

 private:
  ByteReader reader_;
  std::string* error_;
  bool need_more_ = false;
  bool invalid_ = false;
};

// Reads `count` length-prefixed strings into `list`, checking each length.
void ReadList(RequestReader& r, uint32_t count, uint64_t max_item, const char* what,
              std::vector<std::string_view>* list) {
  list->clear();
  for (uint32_t i = 0; i < count && !r.failed(); ++i) {
    uint32_t size = r.Length(what, max_item);
    list->push_back(r.Bytes(size));
  }
}

}  // namespace

ParseStatus ParseBinaryRequest(std::string_view in, const Limits& limits, BinaryRequest* req,
                               size_t* consumed, std::string* error) {
  if (in.size() < 2) return ParseStatus::kNeedMore;
  *req = BinaryRequest{};
  req->command = static_cast<uint8_t>(in[1]);
  RequestReader r(in.substr(2), error);
  const uint64_t max_key = std::min<uint64_t>(limits.max_key, kProtocolMaxSize);
  const uint64_t max_value = std::min<uint64_t>(limits.max_value, kProtocolMaxSize);

  switch (req->command) {
    case kCmdPut:
    case kCmdPutKeep:
    case kCmdPutCat:
    case kCmdPutNr: {
      uint32_t ksiz = r.Length("key", max_key);
      uint32_t vsiz = r.Length("value", max_value);
      req->key = r.Bytes(ksiz);
      req->value = r.Bytes(vsiz);
      break;
    }
    case kCmdPutShl: {
      uint32_t ksiz = r.Length("key", max_key);
      uint32_t vsiz = r.Length("value", max_value);
      req->int_arg = r.I32();
      if (!r.failed() && req->int_arg < 0) r.Invalid("putshl width is negative");
      req->key = r.Bytes(ksiz);
      req->value = r.Bytes(vsiz);
      break;
    }
    case kCmdOut:
    case kCmdGet:
    case kCmdVsiz:
      req->key = r.Bytes(r.Length("key", max_key));
      break;
    case kCmdMget: {
      uint32_t count = r.Length("mget key count", kProtocolMaxListCount);
      ReadList(r, count, max_key, "key", &req->list);
      break;
    }
    case kCmdIterInit:
    case kCmdIterNext:
    case kCmdSync:
    case kCmdVanish:
    case kCmdRnum:
    case kCmdSize:
    case kCmdStat:
      break;
    case kCmdFwmKeys: {
      uint32_t psiz = r.Length("prefix", max_key);
      req->int_arg = r.I32();
      req->text = r.Bytes(psiz);
      break;
    }
    case kCmdAddInt: {
      uint32_t ksiz = r.Length("key", max_key);
      req->int_arg = r.I32();
      req->key = r.Bytes(ksiz);
      break;
    }
    case kCmdAddDouble: {
      uint32_t ksiz = r.Length("key", max_key);
      req->integ = static_cast<int64_t>(r.U64());
      req->fract = static_cast<int64_t>(r.U64());
      req->key = r.Bytes(ksiz);
      break;
    }
    case kCmdExt: {
      uint32_t nsiz = r.Length("function name", kProtocolMaxNameSize - 1);
      req->opts = r.U32();
      uint32_t ksiz = r.Length("key", max_key);
      uint32_t vsiz = r.Length("value", max_value);
      req->text = r.Bytes(nsiz);
      req->key = r.Bytes(ksiz);
      req->value = r.Bytes(vsiz);
      break;
    }
    case kCmdOptimize:
    case kCmdCopy:
      req->text = r.Bytes(r.Length(req->command == kCmdCopy ? "path" : "parameters", kMaxPathSize));
      break;
    case kCmdRestore: {
      uint32_t psiz = r.Length("path", kMaxPathSize);
      req->ts = r.U64();
      req->opts = r.U32();
      req->text = r.Bytes(psiz);
      break;
    }
    case kCmdSetMst: {
      uint32_t hsiz = r.Length("host", kMaxPathSize);
      req->int_arg = r.I32();
      req->ts = r.U64();
      req->opts = r.U32();
      if (!r.failed() && req->int_arg < 0) r.Invalid("setmst port is negative");
      req->text = r.Bytes(hsiz);
      break;
    }
    case kCmdMisc: {
      uint32_t nsiz = r.Length("function name", kProtocolMaxNameSize - 1);
      req->opts = r.U32();
      uint32_t argc = r.Length("misc argument count", kProtocolMaxListCount);
      req->text = r.Bytes(nsiz);
      ReadList(r, argc, std::max(max_key, max_value), "misc argument", &req->list);
      break;
    }
    case kCmdRepl:
    case kCmdReplExt:
      req->ts = r.U64();
      req->sid = r.U32();
      if (req->command == kCmdReplExt) req->opts = r.U32();
      if (!r.failed() && (req->ts == 0 || req->sid == 0)) {
        r.Invalid("repl timestamp and server id must not be 0");
      }
      break;
    default:
      *error = "unknown command 0x" + std::string(1, "0123456789ABCDEF"[req->command >> 4]) +
               std::string(1, "0123456789ABCDEF"[req->command & 15]);
      return ParseStatus::kInvalid;
  }
  if (r.need_more()) return ParseStatus::kNeedMore;
  if (r.failed()) return ParseStatus::kInvalid;
  *consumed = in.size() - r.remaining();
  return ParseStatus::kComplete;
}

}  // namespace tt
