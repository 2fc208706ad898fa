#include "engine/redo.h"

#include <sys/stat.h>

#include "common/commands.h"
#include "common/logging.h"
#include "common/tt_double.h"
#include "engine/misc.h"
#include "ulog/checkpoint.h"
#include "ulog/ulog_reader.h"

namespace tt {

namespace {

// The outcome of applying one body: true = the operation succeeded locally.
Status Apply(Engine& engine, const ParsedBody& body, const Origin& origin, bool* succeeded) {
  Status s;
  switch (body.command) {
    case kCmdPut:
    case kCmdPutNr:
      s = engine.Put(body.key, body.value, origin);
      break;
    case kRecordPutMeta:
      s = engine.PutWithMeta(body.key, body.value, body.meta, origin);
      break;
    case kCmdPutKeep:
      s = engine.PutKeep(body.key, body.value, origin);
      break;
    case kCmdPutCat:
      s = engine.PutCat(body.key, body.value, origin);
      break;
    case kCmdPutShl:
      s = engine.PutShl(body.key, body.value, body.width, origin);
      break;
    case kCmdOut:
      s = engine.Out(body.key, origin);
      break;
    case kCmdAddInt: {
      int32_t sum;
      s = engine.AddInt(body.key, body.int_delta, &sum, origin);
      if (s.ok() && sum == kAddIntErrorSum) s = Status::Failed("the sum is the error value");
      break;
    }
    case kCmdAddDouble: {
      double sum;
      s = engine.AddDouble(body.key, DecodeTtDouble({body.double_integ, body.double_fract}), &sum,
                           origin);
      break;
    }
    case kCmdSync:
      s = engine.Sync(origin);
      break;
    case kCmdOptimize:
      s = engine.Optimize(body.value, origin);
      break;
    case kCmdVanish:
      s = engine.Vanish(origin);
      break;
    case kCmdMisc: {
      IteratorState iterator;
      std::vector<std::string> result;
      s = RunMisc(engine, body.misc_name, body.misc_args, &iterator, &result, origin);
      break;
    }
    default:
      return Status::Unsupported("record of command " + std::string(CommandName(body.command)) +
                                 " cannot be applied");
  }
  *succeeded = s.ok();
  // Outcomes that are ordinary failures of the operation, not errors of the apply.
  if (s.ok() || s.IsNotFound() || s.code() == Status::Code::kExists ||
      s.code() == Status::Code::kFailed) {
    return Status::Ok();
  }
  return s;
}

}  // namespace

Status ApplyRecord(Engine& engine, const UlogRecord& record, uint16_t mid, bool* consistent,
                   bool deferred_log) {
  ParsedBody body;
  Status s = ParseBody(record.body, &body);
  if (!s.ok()) return s;
  bool succeeded = false;
  s = Apply(engine, body, Origin{record.sid, mid, deferred_log}, &succeeded);
  if (!s.ok()) return s;
  if (body.command == kCmdAddInt || body.command == kCmdAddDouble) {
    *consistent = succeeded || !body.expect_success;  // only "expected success, got error" counts
  } else if (succeeded == body.expect_success) {
    *consistent = true;
  } else if (body.expect_success && body.command == kCmdOut) {
    *consistent = true;  // the key is absent here as on the origin
  } else if (body.expect_success && body.command == kCmdPutKeep) {
    std::string value;
    *consistent = engine.Get(body.key, &value).ok() && value == body.value;
  } else {
    *consistent = false;
  }
  return Status::Ok();
}

namespace {

// True when `a` and `b` name the same directory.
bool SameDirectory(const std::string& a, const std::string& b) {
  struct stat sa, sb;
  return stat(a.c_str(), &sa) == 0 && stat(b.c_str(), &sb) == 0 && sa.st_dev == sb.st_dev &&
         sa.st_ino == sb.st_ino;
}

}  // namespace

Status RestoreFromLog(Engine& engine, const std::string& dir, uint64_t ts, bool check_consistency,
                      uint64_t* applied) {
  *applied = 0;
  if (engine.ulog() != nullptr && SameDirectory(dir, engine.ulog()->dir())) {
    return Status::Failed("cannot restore from " + dir +
                          ", the server's own update log: every replayed record would be appended "
                          "to it again; restore from a copy of it instead");
  }
  std::unique_ptr<UlogReader> reader;
  Status s = UlogReader::Open(dir, ts, &reader);
  if (!s.ok()) return s;
  UlogRecord record;
  for (;;) {
    s = reader->Next(&record);
    if (s.IsNotFound()) return Status::Ok();
    if (!s.ok()) return s;
    bool consistent = true;
    s = ApplyRecord(engine, record, record.mid, &consistent);
    if (!s.ok()) {
      return Status::Failed("restore stopped at record " + std::to_string(record.ts) + ": " +
                            s.ToString());
    }
    ++*applied;
    if (!consistent) {
      if (check_consistency) {
        return Status::Failed("restore stopped: record " + std::to_string(record.ts) +
                              " gave a different result here than on its origin");
      }
      LogInfo("restore: record ", record.ts, " gave a different result than on its origin");
    }
  }
}

Status ReplayOwnLog(const std::string& dir, uint64_t after_ts, std::string_view pass,
                    const std::function<Status(const UlogRecord& record)>& apply) {
  std::unique_ptr<UlogReader> reader;
  Status s = UlogReader::Open(dir, after_ts + 1, &reader);
  if (!s.ok()) return s;
  UlogRecord record;
  for (;;) {
    s = reader->Next(&record);
    if (s.IsNotFound()) return Status::Ok();
    if (!s.ok()) {
      return Status::Corruption("update log " + dir + " cannot be read past record " +
                                std::to_string(record.ts) + " during " + std::string(pass) + " (" +
                                s.ToString() +
                                "); move the damaged file aside to start without its records");
    }
    s = apply(record);
    if (s.code() == Status::Code::kUnsupported) {
      LogInfo(pass, " passed over record ", record.ts, ": ", s.message());
      continue;
    }
    if (!s.ok()) {
      return Status::IoError("re-applying update-log record " + std::to_string(record.ts) +
                             " during " + std::string(pass) + " failed: " + s.ToString());
    }
  }
}

Status RecoverFromLog(Engine& engine, uint64_t* applied) {
  *applied = 0;
  if (engine.ulog() == nullptr) return Status::Ok();
  const std::string& dir = engine.ulog()->dir();
  uint64_t checkpoint = 0;
  Status s = ReadCheckpoint(dir, &checkpoint);
  if (!s.ok()) return s;
  return ReplayOwnLog(dir, checkpoint, "recovery", [&](const UlogRecord& record) {
    Status reapplied = engine.Reapply(record);
    if (reapplied.ok()) ++*applied;
    return reapplied;
  });
}

}  // namespace tt
