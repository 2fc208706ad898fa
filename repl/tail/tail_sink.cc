#include "repl/tail/tail_sink.h"

#include <cmath>
#include <cstring>
#include <filesystem>
#include <span>
#include <type_traits>

#include "common/commands.h"
#include "common/tt_double.h"

namespace tt {

namespace {

std::string Quoted(std::string_view key) {
  return "'" + std::string(key.substr(0, 64)) + (key.size() > 64 ? "...'" : "'");
}

Status PutKeep(Sink* sink, std::string_view key, std::string_view value, uint64_t ts) {
  std::optional<std::string> current;
  Status s = sink->Get(key, &current);
  if (!s.ok() || current) return s;
  return sink->Upsert(key, value, ts, 0, 0);
}

// putcat, and putshl when `width` is set: the current value followed by
// `value`, of which putshl keeps the last `width` bytes. On a missing key
// putshl stores `value` whole, as the original (and Engine::PutShl) does.
Status PutCat(Sink* sink, std::string_view key, std::string_view value, uint64_t ts,
              std::optional<int32_t> width = std::nullopt) {
  std::optional<std::string> current;
  Status s = sink->Get(key, &current);
  if (!s.ok()) return s;
  std::string joined = current.value_or("");
  joined.append(value);
  if (current && width && *width >= 0 && joined.size() > static_cast<size_t>(*width)) {
    joined.erase(0, joined.size() - static_cast<size_t>(*width));
  }
  return sink->Upsert(key, joined, ts, 0, 0);
}

// addint and adddouble: the stored number is in the origin's native byte
// order (little-endian on every platform we build for), as the original keeps it.
// The original logs result 01 both when the row held no number (nothing
// changed) and when the sum is INT_MIN or NaN (stored all the same), and
// its redo re-executes the command either way: so does this.
template <typename Number>
Status AddNumber(Sink* sink, std::string_view key, Number delta, uint64_t ts, bool origin_failed) {
  std::optional<std::string> current;
  Status s = sink->Get(key, &current);
  if (!s.ok()) return s;
  Number value = 0;
  if (current) {
    if (current->size() != sizeof(Number)) {
      if (origin_failed) return Status::Ok();  // not a number there either
      return Status::Failed("the origin added to the number under key " + Quoted(key) +
                            ", but the row here holds " + std::to_string(current->size()) +
                            " bytes instead of a " + std::to_string(sizeof(Number)) +
                            "-byte number: the table no longer matches the master");
    }
    std::memcpy(&value, current->data(), sizeof value);
  }
  if constexpr (std::is_integral_v<Number>) {
    value = static_cast<Number>(static_cast<std::make_unsigned_t<Number>>(value) +
                                static_cast<std::make_unsigned_t<Number>>(delta));
  } else {
    value += delta;
  }
  char bytes[sizeof value];
  std::memcpy(bytes, &value, sizeof value);
  return sink->Upsert(key, std::string_view(bytes, sizeof bytes), ts, 0, 0);
}

bool IsReadOnlyMisc(std::string_view name) {
  for (std::string_view read_only :
       {"get", "getlist", "getpart", "iterinit", "iternext", "sync", "optimize", "defrag",
        "cacheclear", "error", "regex", "range"}) {
    if (name == read_only) return true;
  }
  return false;
}

Status ApplyMisc(const ParsedBody& body, uint64_t ts, Sink* sink) {
  const std::string_view name = body.misc_name;
  std::span<const std::string_view> args = body.misc_args;
  if (name == "putlist") {
    for (size_t i = 0; i + 1 < args.size(); i += 2) {
      Status s = sink->Upsert(args[i], args[i + 1], ts, 0, 0);
      if (!s.ok()) return s;
    }
    return Status::Ok();
  }
  if (name == "outlist") {
    for (std::string_view key : args) {
      Status s = sink->Delete(key);
      if (!s.ok()) return s;
    }
    return Status::Ok();
  }
  if (name == "vanish") return sink->DeleteAll();
  if (IsReadOnlyMisc(name)) return Status::Ok();
  if (name == "out" && !args.empty()) return sink->Delete(args[0]);
  // Only a hash or tree database's form (key, value): a table database's is
  // the key and then column/value pairs, which a kv row cannot hold.
  if (args.size() == 2) {
    if (name == "put") return sink->Upsert(args[0], args[1], ts, 0, 0);
    if (name == "putkeep") return PutKeep(sink, args[0], args[1], ts);
    if (name == "putcat") return PutCat(sink, args[0], args[1], ts);
  }
  return Status::Unsupported("the master logged misc function '" + std::string(name.substr(0, 64)) +
                             "' with " + std::to_string(args.size()) +
                             " arguments, whose effect on a key-value table is unknown");
}

}  // namespace

std::string CheckDirectoryOf(const std::string& path) {
  const std::string dir = std::filesystem::path(path).parent_path().string();
  return "check that directory " + (dir.empty() ? std::string(".") : dir) +
         " exists and that this user may create and write files in it";
}

Status ApplyRecordToSink(const UlogRecord& record, Sink* sink) {
  ParsedBody body;
  Status s = ParseBody(record.body, &body);
  if (!s.ok()) {
    return Status::Corruption("the record of timestamp " + std::to_string(record.ts) +
                              " does not parse: " + s.ToString());
  }
  const uint64_t ts = record.ts;
  const bool origin_failed = !body.expect_success;
  // A record that failed on its origin changed nothing there, except an
  // addint or adddouble (see AddNumber).
  if (origin_failed && body.command != kCmdAddInt && body.command != kCmdAddDouble) {
    return Status::Ok();
  }
  switch (body.command) {
    case kCmdPut:
    case kCmdPutNr:
      return sink->Upsert(body.key, body.value, ts, 0, 0);
    case kRecordPutMeta:
      return sink->Upsert(body.key, body.value, ts, body.meta.flags, body.meta.expires_at);
    case kCmdPutKeep:
      return PutKeep(sink, body.key, body.value, ts);
    case kCmdPutCat:
      return PutCat(sink, body.key, body.value, ts);
    case kCmdPutShl:
      return PutCat(sink, body.key, body.value, ts, body.width);
    case kCmdOut:
      return sink->Delete(body.key);
    case kCmdAddInt:
      return AddNumber<int32_t>(sink, body.key, body.int_delta, ts, origin_failed);
    case kCmdAddDouble:
      return AddNumber<double>(sink, body.key,
                               DecodeTtDouble({body.double_integ, body.double_fract}), ts,
                               origin_failed);
    case kCmdVanish:
      return sink->DeleteAll();
    case kCmdMisc:
      return ApplyMisc(body, ts, sink);
    case kCmdSync:
    case kCmdOptimize:
      return Status::Ok();
    default:
      return Status::Unsupported("the record of timestamp " + std::to_string(ts) + " is a " +
                                 std::string(RecordKindName(body.command)) +
                                 ", which tttail does not know how to apply");
  }
}

}  // namespace tt
