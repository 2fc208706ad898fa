#include "ttserver/binary/binary_session.h"

#include "common/coding.h"
#include "common/commands.h"
#include "common/limits.h"
#include "common/logging.h"
#include "common/tt_double.h"
#include "engine/redo.h"
#include "repl/feeder.h"
#include "ttserver/replication_control.h"
#include "ttserver/stat_report.h"
#include "ttserver/wire_protocol.h"

namespace tt {

namespace {

constexpr char kSuccess = 0x00;
constexpr char kFailure = 0x01;

void StatusByte(std::string* out, bool ok) { out->push_back(ok ? kSuccess : kFailure); }

// The reply of a request whose only answer is success or failure.
std::string StatusReply(bool ok) { return std::string(1, ok ? kSuccess : kFailure); }


void AppendMiscReply(const Status& s, const std::vector<std::string>& result, std::string* out) {
  if (!s.ok()) {
    out->append("\x01\x00\x00\x00\x00", 5);
    return;
  }
  out->push_back(kSuccess);
  PutU32(out, static_cast<uint32_t>(result.size()));
  for (const std::string& element : result) PutLengthPrefixed(out, element);
}

// The fwmkeys reply: up to `max` keys starting with `prefix`, stopping once
// the reply holds `byte_budget` bytes (at least one key always fits).
std::string FwmKeysReply(Engine& engine, const std::string& prefix, int64_t max,
                         size_t byte_budget) {
  std::vector<std::string> keys;
  engine.KeysWithPrefix(prefix, max, &keys);
  std::string body;
  size_t count = 0;
  for (const std::string& key : keys) {
    if (body.size() >= byte_budget) {
      LogError("fwmkeys reply cut at ", count, " of ", keys.size(),
               " keys: it reached the --max-value limit of one reply");
      break;
    }
    PutLengthPrefixed(&body, key);
    ++count;
  }
  std::string reply(1, kSuccess);
  PutU32(&reply, static_cast<uint32_t>(count));
  return reply + body;
}

}  // namespace

ProtocolSession::Result BinarySession::Process(std::string_view in, size_t* consumed,
                                               std::string* out) {
  *consumed = 0;
  const size_t out_at_entry = out->size();
  while (*consumed < in.size() && out->size() - out_at_entry < kReplyBatchBytes) {
    std::string_view rest = in.substr(*consumed);
    // Another protocol's request: the connection's ProtocolSwitch takes it on.
    if (StartsOtherProtocol(rest, WireProtocol::kTokyoTyrantBinary)) break;
    BinaryRequest request;
    size_t used = 0;
    std::string error;
    switch (ParseBinaryRequest(rest, context_->limits, &request, &used, &error)) {
      case ParseStatus::kNeedMore:
        mid_request_ = true;
        return Result::kContinue;
      case ParseStatus::kInvalid:
        LogInfo("closing connection fd ", fd_, ": ", error);
        return Result::kClose;
      case ParseStatus::kComplete:
        break;
    }
    mid_request_ = false;
    Result result = Execute(request, out);
    *consumed += used;
    // kDeferred: the slow request's reply must precede those of the requests behind it.
    if (result != Result::kContinue) return result;
  }
  return Result::kContinue;
}

ProtocolSession::Result BinarySession::Execute(const BinaryRequest& req, std::string* out) {
  Stats& stats = *context_->stats;
  Engine& engine = *context_->engine;
  // Our extended repl is counted and masked as the repl it extends.
  const uint8_t command = req.command == kCmdReplExt ? uint8_t{kCmdRepl} : req.command;
  stats.CountCommand(command);
  const bool forbidden = context_->mask.Forbids(command);
  Status s;

  switch (req.command) {
    case kCmdPut:
    case kCmdPutKeep:
    case kCmdPutCat:
    case kCmdPutShl:
    case kCmdPutNr: {
      if (forbidden) {
        s = Status::Forbidden();
      } else if (req.command == kCmdPutKeep) {
        s = engine.PutKeep(req.key, req.value);
      } else if (req.command == kCmdPutCat) {
        s = engine.PutCat(req.key, req.value);
      } else if (req.command == kCmdPutShl) {
        s = engine.PutShl(req.key, req.value, req.int_arg);
      } else {
        s = engine.Put(req.key, req.value);
      }
      if (!s.ok()) {
        stats.put_miss.fetch_add(1, std::memory_order_relaxed);
        if (s.code() != Status::Code::kExists && s.code() != Status::Code::kForbidden) {
          LogError(CommandName(req.command), " failed: ", s.ToString());
        }
      }
      if (req.command != kCmdPutNr) StatusByte(out, s.ok());
      break;
    }
    case kCmdOut:
      s = forbidden ? Status::Forbidden() : engine.Out(req.key);
      if (!s.ok()) stats.out_miss.fetch_add(1, std::memory_order_relaxed);
      StatusByte(out, s.ok());
      break;
    case kCmdGet:
      // The value goes from the store straight into the reply.
      s = forbidden ? Status::Forbidden()
                    : engine.Read(req.key, [out](std::string_view value, const ValueMeta&) {
                        out->push_back(kSuccess);
                        PutLengthPrefixed(out, value);
                      });
      if (!s.ok()) {
        stats.get_miss.fetch_add(1, std::memory_order_relaxed);
        out->push_back(kFailure);
      }
      break;
    case kCmdMget: {
      std::vector<std::pair<std::string, std::string>> found;
      if (!forbidden && !engine.MultiGet(req.list, &found, context_->limits.max_value)) {
        LogError("mget reply cut at ", found.size(), " of ", req.list.size(),
                 " keys: it reached the --max-value limit of one reply");
      }
      out->push_back(kSuccess);
      PutU32(out, static_cast<uint32_t>(found.size()));
      for (const auto& [key, value] : found) {
        PutU32(out, static_cast<uint32_t>(key.size()));
        PutU32(out, static_cast<uint32_t>(value.size()));
        out->append(key).append(value);
      }
      break;
    }
    case kCmdVsiz: {
      uint64_t size = 0;
      s = forbidden ? Status::Forbidden() : engine.ValueSize(req.key, &size);
      StatusByte(out, s.ok());
      if (s.ok()) PutU32(out, static_cast<uint32_t>(size));
      break;
    }
    case kCmdIterInit:
      s = forbidden ? Status::Forbidden() : iterator_.Init(engine);
      StatusByte(out, s.ok());
      break;
    case kCmdIterNext: {
      std::string key;
      s = forbidden ? Status::Forbidden() : iterator_.Next(engine, &key, nullptr);
      StatusByte(out, s.ok());
      if (s.ok()) PutLengthPrefixed(out, key);
      break;
    }
    case kCmdFwmKeys: {
      if (forbidden) {
        out->append("\x00\x00\x00\x00\x00", 5);  // success with no keys, as the original
        break;
      }
      // "Unlimited" (max < 0) still stops at the protocol's list-count limit.
      const int64_t max = req.int_arg < 0 ? kProtocolMaxListCount
                                          : std::min<int64_t>(req.int_arg, kProtocolMaxListCount);
      auto reply = [engine = &engine, prefix = std::string(req.text), max,
                    budget = context_->limits.max_value] {
        return FwmKeysReply(*engine, prefix, max, budget);
      };
      // Only a tree finds a prefix without scanning the whole database.
      if (!engine.store().IsOrdered()) {
        deferred_ = std::move(reply);
        return Result::kDeferred;
      }
      out->append(reply());
      break;
    }
    case kCmdAddInt: {
      int32_t sum = 0;
      s = forbidden ? Status::Forbidden() : engine.AddInt(req.key, req.int_arg, &sum);
      const bool answered_ok = s.ok() && sum != kAddIntErrorSum;
      StatusByte(out, answered_ok);
      if (answered_ok) PutU32(out, static_cast<uint32_t>(sum));
      break;
    }
    case kCmdAddDouble: {
      double sum = 0;
      s = forbidden ? Status::Forbidden()
                    : engine.AddDouble(req.key, DecodeTtDouble({req.integ, req.fract}), &sum);
      StatusByte(out, s.ok());
      if (s.ok()) {
        TtDouble encoded = EncodeTtDouble(sum);
        PutU64(out, static_cast<uint64_t>(encoded.integ));
        PutU64(out, static_cast<uint64_t>(encoded.fract));
      }
      break;
    }
    case kCmdExt:
      // No scripting in this server: ext always fails, as the original without -ext.
      out->push_back(kFailure);
      break;
    // The slow commands run off the event loop (a masked one is refused at
    // once); the work holds copies of its arguments, as the request's views
    // die with the input buffer, and returns the same bytes as if run here.
    case kCmdSync:
      return DeferUnlessForbidden(forbidden, out,
                                  [engine = &engine] { return StatusReply(engine->Sync().ok()); });
    case kCmdOptimize:
      return DeferUnlessForbidden(forbidden, out, [engine = &engine, params = std::string(req.text)] {
        return StatusReply(engine->Optimize(params).ok());
      });
    case kCmdVanish:
      return DeferUnlessForbidden(
          forbidden, out, [engine = &engine] { return StatusReply(engine->Vanish().ok()); });
    case kCmdCopy:
      return DeferUnlessForbidden(forbidden, out, [engine = &engine, path = std::string(req.text)] {
        Status s = engine->Copy(path);
        if (!s.ok()) LogError("copy to ", path, " failed: ", s.ToString());
        return StatusReply(s.ok());
      });
    case kCmdRestore:
      return DeferUnlessForbidden(
          forbidden, out,
          [engine = &engine, path = std::string(req.text), ts = req.ts,
           check = (req.opts & 1) != 0] {
            uint64_t applied = 0;
            Status s = RestoreFromLog(*engine, path, ts, check, &applied);
            if (s.ok()) {
              LogInfo("restore from ", path, ": ", applied, " records applied");
            } else {
              LogError("restore from ", path, " failed after ", applied, " records: ",
                       s.ToString());
            }
            return StatusReply(s.ok());
          });
    case kCmdSetMst:
      if (!forbidden) SetReplicationMaster(*context_, req.text, req.int_arg, req.ts, req.opts);
      StatusByte(out, !forbidden);
      break;
    case kCmdRnum:
      out->push_back(kSuccess);
      PutU64(out, forbidden ? 0 : engine.Count());
      break;
    case kCmdSize:
      out->push_back(kSuccess);
      PutU64(out, forbidden ? 0 : engine.SizeBytes());
      break;
    case kCmdStat: {
      std::string text = BuildStatReport(*context_, fd_, forbidden);
      out->push_back(kSuccess);
      PutLengthPrefixed(out, text);
      break;
    }
    case kCmdMisc:
      return ExecuteMisc(req, out);
    case kCmdRepl:
    case kCmdReplExt:
      return StartRepl(req, forbidden, out);
  }
  return Result::kContinue;
}

ProtocolSession::Result BinarySession::StartRepl(const BinaryRequest& req, bool forbidden,
                                                 std::string* out) {
  // Refusals close without a byte, as the original's (ts = 0 and sid = 0 were
  // refused by the parser already).
  if (forbidden) {
    LogInfo("closing connection fd ", fd_, ": repl is masked");
    return Result::kClose;
  }
  if (req.sid == context_->sid) {
    LogInfo("closing connection fd ", fd_, ": refusing replication to slave id ", req.sid,
            ", our own (circular replication)");
    return Result::kClose;
  }
  PutU32(out, context_->sid);
  if (context_->feeder == nullptr) {
    LogInfo("closing connection fd ", fd_, ": repl asked of a server without update log");
    return Result::kClose;
  }
  hand_off_ = [feeder = context_->feeder, ts = req.ts, sid = req.sid,
               extended = req.command == kCmdReplExt,
               flags = req.opts](int fd, std::string unsent, std::string peer) {
    if (extended) {
      feeder->ServeExtended(fd, std::move(peer), std::move(unsent), ts, sid, flags);
    } else {
      feeder->Serve(fd, std::move(peer), std::move(unsent), ts, sid);
    }
  };
  return Result::kHandOff;
}

ProtocolSession::Result BinarySession::DeferUnlessForbidden(bool forbidden, std::string* out,
                                                            DeferredWork work) {
  if (forbidden) {
    StatusByte(out, false);
    return Result::kContinue;
  }
  deferred_ = std::move(work);
  return Result::kDeferred;
}

ProtocolSession::Result BinarySession::ExecuteMisc(const BinaryRequest& req, std::string* out) {
  if (context_->mask.Forbids(kCmdMisc)) {
    out->append("\x00\x00\x00\x00\x00", 5);  // the original's quirk: success, empty list
    return Result::kContinue;
  }
  if (IsSlowMisc(req.text)) {
    deferred_ = [engine = context_->engine, name = std::string(req.text),
                 args = std::vector<std::string>(req.list.begin(), req.list.end())] {
      std::vector<std::string_view> views(args.begin(), args.end());
      // None of these functions iterates: the connection's cursor stays
      // with the connection, untouched by this thread.
      IteratorState unused;
      std::vector<std::string> result;
      Status s = RunMisc(*engine, name, views, &unused, &result);
      std::string reply;
      AppendMiscReply(s, result, &reply);
      return reply;
    };
    return Result::kDeferred;
  }
  std::vector<std::string> result;
  Status s = RunMisc(*context_->engine, req.text, req.list, &iterator_, &result, Origin{},
                     context_->limits.max_value);
  AppendMiscReply(s, result, out);
  return Result::kContinue;
}

}  // namespace tt
