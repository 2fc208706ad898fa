// Redis's SCAN and RANDOMKEY (resp_call.h), over the server's scan table
// (resp_scan.h: what a scan guarantees on each kind of database).
#include <algorithm>
#include <charconv>
#include <memory>
#include <random>

#include "common/commands.h"
#include "common/logging.h"
#include "ttserver/resp/resp_call.h"
#include "ttserver/resp/resp_parser.h"
#include "ttserver/resp/resp_reply.h"
#include "ttserver/resp/resp_state.h"

namespace tt::resp {

namespace {

// SCAN's COUNT when none is given (Redis's).
constexpr size_t kDefaultScanCount = 10;
// RANDOMKEY picks among this many keys at most, from the start of the
// database's order, so that it costs a bounded walk.
constexpr uint64_t kRandomKeyWindow = 100000;

// A cursor as Redis reads it: an unsigned 64-bit decimal number.
bool ParseCursor(std::string_view text, uint64_t* cursor) {
  const char* end = text.data() + text.size();
  auto [at, error] = std::from_chars(text.data(), end, *cursor);
  return !text.empty() && error == std::errc() && at == end;
}

std::string Failure(const Status& s) {
  LogError("RESP scan failed: ", s.ToString());
  std::string reply;
  AppendError(&reply, kStoreFailed);
  return reply;
}

// One SCAN step over `state` (null: a new scan), returning its reply; the
// scan, unless over, goes back into `table` under a new number.
std::string ScanReply(Engine& engine, ScanTable& table, std::unique_ptr<ScanState> state,
                      size_t count, size_t max_bytes, const ScanFilter& filter) {
  if (state == nullptr) {
    Status s = ScanTable::Begin(engine, &state);
    if (!s.ok()) return Failure(s);
  }
  std::vector<std::string> keys;
  bool done = false;
  Status s = ScanStep(engine, *state, count, max_bytes, filter, &keys, &done);
  if (!s.ok()) return Failure(s);
  const uint64_t next = done ? 0 : table.Keep(std::move(state));
  std::string reply;
  AppendArrayHeader(&reply, 2);
  AppendBulk(&reply, std::to_string(next));
  AppendArrayHeader(&reply, keys.size());
  for (const std::string& key : keys) AppendBulk(&reply, key);
  return reply;
}

// RANDOMKEY's reply: a key chosen uniformly among the first
// kRandomKeyWindow of the database's order, or null when it is empty.
std::string RandomKeyReply(Engine& engine) {
  std::string reply;
  const uint64_t window = std::min(engine.Count(), kRandomKeyWindow);
  if (window == 0) {
    AppendNull(&reply);
    return reply;
  }
  thread_local std::mt19937_64 random{std::random_device{}()};
  uint64_t skip = std::uniform_int_distribution<uint64_t>(0, window - 1)(random);
  std::unique_ptr<ValueCursor> cursor = engine.NewCursor();
  std::string key, chosen;
  bool found = false;
  Status s = cursor->Jump();
  while (s.ok() && (s = cursor->Next(&key, nullptr)).ok()) {
    chosen.swap(key);
    found = true;
    if (skip-- == 0) break;
  }
  if (!s.ok() && !s.IsNotFound()) return Failure(s);
  // Fewer live keys than counted (some expired): the last one seen.
  if (found) {
    AppendBulk(&reply, chosen);
  } else {
    AppendNull(&reply);
  }
  return reply;
}

// Runs `work` off the event loop, or in place inside EXEC.
Outcome Deferred(Call& call, std::function<std::string()> work) {
  if (call.locked != nullptr) {
    call.out->append(work());
    return {};
  }
  Outcome outcome;
  outcome.kind = Outcome::Kind::kDeferred;
  outcome.work = std::move(work);
  return outcome;
}

}  // namespace

// SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]: each step off the
// event loop (a step may walk past many expired or unmatched records).
Outcome Scan(Call& call) {
  const std::vector<std::string_view>& args = call.args;
  uint64_t cursor = 0;
  if (!ParseCursor(args[1], &cursor)) {
    call.Error("ERR invalid cursor");
    return {};
  }
  size_t count = kDefaultScanCount;
  ScanFilter filter;
  for (size_t j = 2; j < args.size(); j += 2) {
    if (j + 1 >= args.size()) {
      call.Error(kSyntaxError);
      return {};
    }
    if (EqualsIgnoreCase(args[j], "count")) {
      int64_t n = 0;
      if (!ParseInteger(args[j + 1], &n)) {
        call.Error(kNotInteger);
        return {};
      }
      if (n < 1) {
        call.Error(kSyntaxError);
        return {};
      }
      count = static_cast<size_t>(n);
    } else if (EqualsIgnoreCase(args[j], "match")) {
      filter.pattern = std::string(args[j + 1]);
      // "*" lets every key through: no need to match it.
      filter.has_pattern = filter.pattern != "*";
    } else if (EqualsIgnoreCase(args[j], "type")) {
      // Every value here is a string (Redis 7.0 finds no key of an unknown type).
      filter.no_type_matches = !EqualsIgnoreCase(args[j + 1], "string");
    } else {
      call.Error(kSyntaxError);
      return {};
    }
  }
  call.stats().CountCommand(kCmdIterNext);
  ScanTable& table = call.context.resp->scans;
  std::shared_ptr<ScanState> state;  // shared: the work must be copyable
  if (cursor != 0) {
    state = table.Take(cursor);
    if (state == nullptr) {
      call.Error("ERR no such SCAN cursor " + std::to_string(cursor) +
                 ": it was used already (each step answers a new one), the scan ended, "
                 "more than " +
                 std::to_string(table.capacity()) +
                 " newer scans replaced it, or the server restarted; start again with SCAN 0");
      return {};
    }
  }
  return Deferred(call, [engine = call.context.engine, &table, state = std::move(state), count,
                         max_bytes = call.context.limits.max_value, filter]() mutable {
    std::unique_ptr<ScanState> owned;
    if (state != nullptr) owned = std::make_unique<ScanState>(std::move(*state));
    return ScanReply(*engine, table, std::move(owned), count, max_bytes, filter);
  });
}

// RANDOMKEY: a walk, so off the event loop.
Outcome RandomKey(Call& call) {
  call.stats().CountCommand(kCmdIterNext);
  return Deferred(call, [engine = call.context.engine] { return RandomKeyReply(*engine); });
}

}  // namespace tt::resp
