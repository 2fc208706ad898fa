#include "ttserver/memcached/memcached_text_classic.h"

#include "common/commands.h"
#include "common/logging.h"
#include "ttserver/memcached/memcached_ops.h"
#include "ttserver/memcached/memcached_stats.h"

namespace tt::mctext {

namespace {

constexpr std::string_view kInvalidExptime = "CLIENT_ERROR invalid exptime argument\r\n";

// Appends `text` unless the client asked for no reply. memcached's noreply
// silences errors found after the command was recognised too.
void Reply(std::string* out, bool noreply, std::string_view text) {
  if (!noreply) out->append(text);
}

// A classic command's handler. Only flush_all and the retrievals leave
// something in *leftover.
using Handler = TextStep (*)(ServerContext& context, const TextRequest& request, std::string* out,
                             ClassicLeftover* leftover);

// The reply to an item command's outcome; `done` is the success reply
// (STORED, TOUCHED, DELETED).
std::string_view OutcomeReply(mc::Result result, std::string_view done) {
  switch (result) {
    case mc::Result::kStored:
      return done;
    case mc::Result::kNotStored:
      return "NOT_STORED\r\n";
    case mc::Result::kExists:
      return "EXISTS\r\n";
    case mc::Result::kNotFound:
      return "NOT_FOUND\r\n";
    case mc::Result::kTooLarge:
      return kTooLarge;
    case mc::Result::kNonNumeric:
      return kNonNumeric;
    default:
      return kServerError;
  }
}

// ---- storage: set add replace append prepend cas ----

// <command> <key> <flags> <exptime> <bytes> [<cas unique>] [noreply] + data block
template <mc::StoreMode kMode>
TextStep Storage(ServerContext& context, const TextRequest& request, std::string* out,
                 ClassicLeftover*) {
  const Tokens& tokens = request.tokens;
  const bool noreply = tokens.NoReply();
  mc::StoreRequest store;
  store.mode = kMode;
  store.key = tokens[1];
  int64_t length = 0;
  if (!mc::IsValidKey(store.key, context.limits.max_key) || !ParseUint32(tokens[2], &store.flags) ||
      !ParseInt64(tokens[3], &store.exptime) || !ParseInt64(tokens[4], &length) ||
      (kMode == mc::StoreMode::kCas && !ParseUint64(tokens[5], &store.cas)) ||
      !IsValidDataLength(length)) {
    // The length is not trusted, so the data block cannot be skipped: it
    // will be read as a command line, as memcached does.
    Reply(out, noreply, kBadFormat);
    return TextStep::Done();
  }
  // `stats detail` counts a storage command once its line is understood,
  // whatever becomes of it (but not while it waits for its data block).
  auto count_set = [&] { context.memcache->prefix_stats().RecordSet(store.key); };
  if (mc::Forbidden(context, mc::CountedCommand(kMode))) {
    count_set();
    Reply(out, noreply, kForbidden);
    return TextStep::Swallow(length);
  }
  if (mc::TooLarge(context, store.key.size(), length)) {
    count_set();
    mc::RefuseTooLarge(context, kMode, store.key);
    Reply(out, noreply, kTooLarge);
    return TextStep::Swallow(length);
  }
  const BlockStatus block = TakeDataBlock(request.after, length, &store.value);
  if (block == BlockStatus::kNeedMore) return TextStep::NeedMore(length + 2);
  count_set();
  if (block == BlockStatus::kBad) {
    Reply(out, noreply, kBadDataChunk);
    return TextStep::Done(length + 2);
  }
  Reply(out, noreply, OutcomeReply(mc::Store(context, store), "STORED\r\n"));
  return TextStep::Done(length + 2);
}

// ---- retrieval: get gets gat gats ----

// Answers the keys at the front of *keys, one VALUE per hit, advancing *keys
// past each, until none is left (true) or out->size() has reached
// `batch_end` (false; at least one key is answered when below it).
bool AnswerKeys(ServerContext& context, const PendingRetrieval& retrieval, size_t batch_end,
                std::string* out, std::string_view* keys) {
  std::string_view word;
  mc::Item item;
  for (;;) {
    std::string_view rest = *keys;
    if (!NextWord(&rest, &word)) return true;
    if (out->size() >= batch_end) return false;
    *keys = rest;
    const mc::Result result = retrieval.touch ? mc::Touch(context, word, retrieval.exptime, &item)
                                              : mc::Get(context, word, &item);
    context.memcache->prefix_stats().RecordGet(word, result == mc::Result::kStored);
    if (result != mc::Result::kStored) continue;  // a miss, or a failure mc:: has logged
    out->append("VALUE ").append(word).push_back(' ');
    AppendDecimal(out, uint64_t{item.meta.flags});
    out->push_back(' ');
    AppendDecimal(out, uint64_t{item.value.size()});
    if (retrieval.with_cas) {
      out->push_back(' ');
      AppendDecimal(out, item.meta.Cas());
    }
    out->append("\r\n").append(item.value).append("\r\n");
  }
}

// get|gets <key>*, gat|gats <exptime> <key>*
template <bool kWithCas, bool kTouch>
TextStep Retrieval(ServerContext& context, const TextRequest& request, std::string* out,
                   ClassicLeftover* leftover) {
  std::string_view keys = request.line;
  std::string_view word;
  NextWord(&keys, &word);  // the command
  int64_t exptime = 0;
  if (kTouch && !(NextWord(&keys, &word) && ParseInt64(word, &exptime))) {
    out->append(kInvalidExptime);
    return TextStep::Done();
  }
  // memcached answers a bad key with an error alone, dropping the items
  // found before it: check every key first.
  for (std::string_view scan = keys; NextWord(&scan, &word);) {
    if (!mc::IsValidKey(word, context.limits.max_key)) {
      out->append(kBadFormat);
      return TextStep::Done();
    }
  }
  if (mc::Forbidden(context, kCmdGet) || (kTouch && mc::Forbidden(context, kCmdPut))) {
    out->append(kForbidden);
    return TextStep::Done();
  }
  // The keys are a suffix of the line, and `after` follows the line's ending.
  const size_t keys_at = request.line.size() - keys.size();
  const std::string_view rest_of_line(
      request.line.data() + keys_at,
      static_cast<size_t>(request.after.data() - request.line.data()) - keys_at);
  leftover->retrieval = PendingRetrieval{.with_cas = kWithCas,
                                         .touch = kTouch,
                                         .exptime = exptime,
                                         .keys_left = keys.size(),
                                         .line_left = rest_of_line.size()};
  const size_t used =
      ContinueRetrieval(context, rest_of_line, request.batch_end, out, &leftover->retrieval);
  if (!leftover->retrieval.has_value()) return TextStep::Done();
  return TextStep::Paused(keys_at + used);
}

// ---- the other item commands ----

// incr|decr <key> <delta> [noreply]
template <bool kIncr>
TextStep Arithmetic(ServerContext& context, const TextRequest& request, std::string* out,
                    ClassicLeftover*) {
  const Tokens& tokens = request.tokens;
  const bool noreply = tokens.NoReply();
  mc::DeltaRequest delta;
  delta.key = tokens[1];
  delta.incr = kIncr;
  if (!mc::IsValidKey(delta.key, context.limits.max_key)) {
    Reply(out, noreply, kBadFormat);
    return TextStep::Done();
  }
  if (!ParseUint64(tokens[2], &delta.delta)) {
    Reply(out, noreply, "CLIENT_ERROR invalid numeric delta argument\r\n");
    return TextStep::Done();
  }
  if (mc::Forbidden(context, kCmdAddInt)) {
    Reply(out, noreply, kForbidden);
    return TextStep::Done();
  }
  mc::DeltaResult result;
  const mc::Result outcome = mc::Delta(context, delta, &result);
  if (outcome != mc::Result::kStored) {
    Reply(out, noreply, OutcomeReply(outcome, ""));
  } else if (!noreply) {
    AppendDecimal(out, result.value);
    out->append("\r\n");
  }
  return TextStep::Done();
}

// touch <key> <exptime> [noreply]
TextStep Touch(ServerContext& context, const TextRequest& request, std::string* out,
               ClassicLeftover*) {
  const Tokens& tokens = request.tokens;
  const bool noreply = tokens.NoReply();
  int64_t exptime = 0;
  if (!mc::IsValidKey(tokens[1], context.limits.max_key)) {
    Reply(out, noreply, kBadFormat);
  } else if (!ParseInt64(tokens[2], &exptime)) {
    Reply(out, noreply, kInvalidExptime);
  } else if (mc::Forbidden(context, kCmdPut)) {
    Reply(out, noreply, kForbidden);
  } else {
    Reply(out, noreply, OutcomeReply(mc::Touch(context, tokens[1], exptime), "TOUCHED\r\n"));
  }
  return TextStep::Done();
}

// delete <key> [0] [noreply]: a hold time other than 0 was dropped from
// memcached long ago and is refused with a usage message.
TextStep Delete(ServerContext& context, const TextRequest& request, std::string* out,
                ClassicLeftover*) {
  const Tokens& tokens = request.tokens;
  const bool noreply = tokens.NoReply();
  if (tokens.ntokens() > 3) {
    const bool hold_is_zero = tokens[2] == "0";
    const bool valid = (tokens.ntokens() == 4 && (hold_is_zero || noreply)) ||
                       (tokens.ntokens() == 5 && hold_is_zero && noreply);
    if (!valid) {
      Reply(out, noreply,
            "CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]\r\n");
      return TextStep::Done();
    }
  }
  if (!mc::IsValidKey(tokens[1], context.limits.max_key)) {
    Reply(out, noreply, kBadFormat);
    return TextStep::Done();
  }
  context.memcache->prefix_stats().RecordDelete(tokens[1]);
  if (mc::Forbidden(context, kCmdOut)) {
    Reply(out, noreply, kForbidden);
  } else {
    Reply(out, noreply, OutcomeReply(mc::Delete(context, {.key = tokens[1]}), "DELETED\r\n"));
  }
  return TextStep::Done();
}

// ---- server commands ----

// flush_all [<delay>] [noreply]. Emptying the database may take long, so an
// immediate flush runs as deferred work, off the event loop.
TextStep FlushAll(ServerContext& context, const TextRequest& request, std::string* out,
                  ClassicLeftover* leftover) {
  const Tokens& tokens = request.tokens;
  const bool noreply = tokens.NoReply();
  int64_t exptime = 0;
  if (tokens.ntokens() != (noreply ? 3u : 2u) && !ParseInt64(tokens[1], &exptime)) {
    Reply(out, noreply, kInvalidExptime);
    return TextStep::Done();
  }
  if (mc::Forbidden(context, kCmdVanish)) {
    Reply(out, noreply, kForbidden);
    return TextStep::Done();
  }
  mc::FlushWork flush = mc::Flush(context, exptime);
  if (!flush) {  // scheduled for later
    Reply(out, noreply, "OK\r\n");
    return TextStep::Done();
  }
  leftover->deferred = [flush = std::move(flush), noreply]() -> std::string {
    const bool ok = flush() == mc::Result::kStored;
    if (noreply) return {};
    return std::string(ok ? "OK\r\n" : kServerError);
  };
  return TextStep::Deferred();
}

// stats [<group>], stats detail on|off|dump
TextStep StatsCommand(ServerContext& context, const TextRequest& request, std::string* out,
                      ClassicLeftover*) {
  if (mc::Forbidden(context, kCmdStat)) {
    out->append(kForbidden);
    return TextStep::Done();
  }
  const std::string_view group = request.tokens[1];
  if (group == "detail") {
    mc::PrefixStats& detail = context.memcache->prefix_stats();
    const std::string_view action = request.tokens[2];
    if (action == "on" || action == "off") {
      detail.SetEnabled(action == "on");
      out->append("OK\r\n");
    } else if (action == "dump") {
      out->append(detail.Dump());
    } else {
      out->append("CLIENT_ERROR usage: stats detail on|off|dump\r\n");
    }
    return TextStep::Done();
  }
  StatList stats;
  if (!MemcachedStats(context, group, &stats)) {
    out->append(kError);  // memcached's answer to a group it does not know
    return TextStep::Done();
  }
  if (group == "reset") {  // done: memcached confirms it in a word, not as a list
    out->append("RESET\r\n");
    return TextStep::Done();
  }
  for (const auto& [name, value] : stats) {
    out->append("STAT ").append(name).push_back(' ');
    out->append(value).append("\r\n");
  }
  out->append("END\r\n");
  return TextStep::Done();
}

// slabs automove <0|1|2> [noreply] | slabs reassign <src> <dst>. There are no
// slab classes here, so nothing to move: the replies are those of a memcached
// with its default classes and no spare pages, which is what clients of an
// idle cache see. Numbers are read as memcached reads them (a reassign's
// class ids as 32-bit ints, an automove level as a 32-bit unsigned).
TextStep Slabs(ServerContext&, const TextRequest& request, std::string* out, ClassicLeftover*) {
  // memcached 1.6's largest class id with its default -I 1m, -f 1.25 and -n
  // 48; 0 is its global page pool.
  constexpr int32_t kLargestSlabClass = 39;
  const Tokens& tokens = request.tokens;
  if (tokens[1] == "reassign" && tokens.ntokens() == 5) {
    int64_t src = 0, dst = 0;
    if (!ParseInt64(tokens[2], &src) || !ParseInt64(tokens[3], &dst)) {
      out->append(kBadFormat);
    } else if (static_cast<int32_t>(src) == static_cast<int32_t>(dst)) {
      out->append("SAME src and dst class are identical\r\n");
    } else if (static_cast<int32_t>(src) < 0 || static_cast<int32_t>(src) > kLargestSlabClass ||
               static_cast<int32_t>(dst) < 0 || static_cast<int32_t>(dst) > kLargestSlabClass) {
      out->append("BADCLASS invalid src or dst class id\r\n");
    } else {
      out->append("NOSPARE source class has no spare pages\r\n");
    }
    return TextStep::Done();
  }
  if (tokens[1] == "automove" && tokens.ntokens() >= 4) {
    const bool noreply = tokens.NoReply();
    uint64_t level = 0;
    int64_t negative_zero = 0;  // strtoul's reading of "-0"
    if (!ParseUint64(tokens[2], &level) &&
        !(ParseInt64(tokens[2], &negative_zero) && negative_zero == 0)) {
      Reply(out, noreply, kBadFormat);
    } else {
      Reply(out, noreply, static_cast<uint32_t>(level) <= 2 ? "OK\r\n" : kError);
    }
    return TextStep::Done();
  }
  out->append(kError);
  return TextStep::Done();
}

// version and quit ignore arguments, as memcached 1.6 does (and as clients
// such as memccapable expect from a server reporting 1.6).
TextStep Version(ServerContext&, const TextRequest&, std::string* out,
                 ClassicLeftover*) {
  out->append("VERSION ").append(mc::kMemcachedVersion).append("\r\n");
  return TextStep::Done();
}

// verbosity <level> [noreply]: accepted and answered; the server's log level
// is an option of its own.
TextStep Verbosity(ServerContext&, const TextRequest& request, std::string* out,
                   ClassicLeftover*) {
  const bool noreply = request.tokens.NoReply();
  uint32_t level = 0;
  Reply(out, noreply, ParseUint32(request.tokens[1], &level) ? "OK\r\n" : kBadFormat);
  return TextStep::Done();
}

TextStep Quit(ServerContext&, const TextRequest&, std::string*, ClassicLeftover*) {
  return TextStep::Close();
}

// The classic commands, with the token counts memcached requires (its
// `ntokens`, which counts a terminal marker: "set k 0 0 1" is 6). A count
// outside the range answers ERROR.
struct ClassicCommand {
  std::string_view name;
  size_t min_tokens;
  size_t max_tokens;
  Handler run;
};

constexpr size_t kAny = Tokens::kMaxTokens;

constexpr ClassicCommand kClassicCommands[] = {
    {"get", 3, kAny, Retrieval<false, false>},
    {"set", 6, 7, Storage<mc::StoreMode::kSet>},
    {"gets", 3, kAny, Retrieval<true, false>},
    {"delete", 3, 5, Delete},
    {"incr", 4, 5, Arithmetic<true>},
    {"decr", 4, 5, Arithmetic<false>},
    {"add", 6, 7, Storage<mc::StoreMode::kAdd>},
    {"replace", 6, 7, Storage<mc::StoreMode::kReplace>},
    {"append", 6, 7, Storage<mc::StoreMode::kAppend>},
    {"prepend", 6, 7, Storage<mc::StoreMode::kPrepend>},
    {"cas", 7, 8, Storage<mc::StoreMode::kCas>},
    {"touch", 4, 5, Touch},
    {"gat", 3, kAny, Retrieval<false, true>},
    {"gats", 3, kAny, Retrieval<true, true>},
    {"flush_all", 2, 4, FlushAll},
    {"stats", 2, kAny, StatsCommand},
    {"slabs", 3, kAny, Slabs},
    {"version", 2, kAny, Version},
    {"verbosity", 3, 4, Verbosity},
    {"quit", 2, kAny, Quit},
};

}  // namespace

TextStep RunClassicCommand(ServerContext& context, const TextRequest& request, std::string* out,
                           ClassicLeftover* leftover) {
  const Tokens& tokens = request.tokens;
  for (const ClassicCommand& command : kClassicCommands) {
    if (command.name != tokens[0]) continue;
    if (tokens.ntokens() < command.min_tokens || tokens.ntokens() > command.max_tokens) {
      out->append(kError);
      return TextStep::Done();
    }
    return command.run(context, request, out, leftover);
  }
  // memcached hangs up on what looks like an HTTP request line.
  if (tokens[tokens.count() - 1].starts_with("HTTP/")) {
    LogInfo("closing a memcached connection: an HTTP request line");
    return TextStep::Close();
  }
  out->append(kError);
  return TextStep::Done();
}

size_t ContinueRetrieval(ServerContext& context, std::string_view in, size_t batch_end,
                         std::string* out, std::optional<PendingRetrieval>* pending) {
  PendingRetrieval& retrieval = **pending;
  std::string_view keys = in.substr(0, retrieval.keys_left);
  if (AnswerKeys(context, retrieval, batch_end, out, &keys)) {
    out->append("END\r\n");
    const size_t used = retrieval.line_left;
    pending->reset();
    return used;
  }
  const size_t used = retrieval.keys_left - keys.size();
  retrieval.keys_left -= used;
  retrieval.line_left -= used;
  return used;
}

}  // namespace tt::mctext
