#include "ttserver/memcached_text_classic.h"

#include <ctime>

#include "common/commands.h"
#include "common/logging.h"
#include "ttserver/memcached_ops.h"
#include "ttserver/metrics.h"

namespace tt::mctext {

namespace {

constexpr std::string_view kInvalidExptime = "CLIENT_ERROR invalid exptime argument\r\n";

// Appends `text` unless the client asked for no reply. memcached's noreply
// silences errors found after the command was recognised too.
void Reply(std::string* out, bool noreply, std::string_view text) {
  if (!noreply) out->append(text);
}

// A classic command's handler. Only flush_all leaves work in *deferred.
using Handler = TextStep (*)(ServerContext& context, const TextRequest& request, std::string* out,
                             ProtocolSession::DeferredWork* deferred);

// ---- storage: set add replace append prepend cas ----

std::string_view StoreReply(mc::Result result) {
  switch (result) {
    case mc::Result::kStored:
      return "STORED\r\n";
    case mc::Result::kNotStored:
      return "NOT_STORED\r\n";
    case mc::Result::kExists:
      return "EXISTS\r\n";
    case mc::Result::kNotFound:
      return "NOT_FOUND\r\n";
    case mc::Result::kTooLarge:
      return kTooLarge;
    default:
      return kServerError;
  }
}

// <command> <key> <flags> <exptime> <bytes> [<cas unique>] [noreply] + data block
template <mc::StoreMode kMode>
TextStep Storage(ServerContext& context, const TextRequest& request, std::string* out,
                 ProtocolSession::DeferredWork*) {
  const Tokens& tokens = request.tokens;
  const bool noreply = tokens.NoReply();
  mc::StoreRequest store;
  store.mode = kMode;
  store.key = tokens[1];
  int64_t length = 0;
  if (!mc::IsValidKey(store.key) || !ParseUint32(tokens[2], &store.flags) ||
      !ParseInt64(tokens[3], &store.exptime) || !ParseInt64(tokens[4], &length) ||
      (kMode == mc::StoreMode::kCas && !ParseUint64(tokens[5], &store.cas)) ||
      !IsValidDataLength(length)) {
    // The length is not trusted, so the data block cannot be skipped: it
    // will be read as a command line, as memcached does.
    Reply(out, noreply, kBadFormat);
    return TextStep::Done();
  }
  if (Forbidden(context, StoreMaskCommand(kMode))) {
    Reply(out, noreply, kForbidden);
    return TextStep::Swallow(length);
  }
  if (mc::TooLarge(context, length)) {
    mc::RefuseTooLarge(context, kMode, store.key);
    Reply(out, noreply, kTooLarge);
    return TextStep::Swallow(length);
  }
  switch (TakeDataBlock(request.after, length, &store.value)) {
    case BlockStatus::kNeedMore:
      return TextStep::NeedMore(length + 2);
    case BlockStatus::kBad:
      Reply(out, noreply, kBadDataChunk);
      return TextStep::Done(length + 2);
    case BlockStatus::kGood:
      break;
  }
  Reply(out, noreply, StoreReply(mc::Store(context, store)));
  return TextStep::Done(length + 2);
}

// ---- retrieval: get gets gat gats ----

// get|gets <key>*, gat|gats <exptime> <key>*
template <bool kWithCas, bool kTouch>
TextStep Retrieval(ServerContext& context, const TextRequest& request, std::string* out,
                   ProtocolSession::DeferredWork*) {
  std::string_view rest = request.line;
  std::string_view word;
  NextWord(&rest, &word);  // the command
  int64_t exptime = 0;
  if (kTouch && !(NextWord(&rest, &word) && ParseInt64(word, &exptime))) {
    out->append(kInvalidExptime);
    return TextStep::Done();
  }
  // memcached answers a bad key with an error alone, dropping the items
  // found before it: check every key first.
  for (std::string_view scan = rest; NextWord(&scan, &word);) {
    if (!mc::IsValidKey(word)) {
      out->append(kBadFormat);
      return TextStep::Done();
    }
  }
  if (Forbidden(context, kCmdGet) || (kTouch && Forbidden(context, kCmdPut))) {
    out->append(kForbidden);
    return TextStep::Done();
  }
  mc::Item item;
  const size_t reply_start = out->size();
  while (NextWord(&rest, &word)) {
    const mc::Result result =
        kTouch ? mc::Touch(context, word, exptime, &item) : mc::Get(context, word, &item);
    if (result != mc::Result::kStored) continue;  // a miss, or a failure mc:: has logged
    // A short line naming one big item many times must not make a reply
    // without bound: past --max-value (which one item always fits), the
    // reply becomes memcached's error for a get it cannot answer.
    if (out->size() > reply_start &&
        out->size() - reply_start + item.value.size() > context.limits.max_value) {
      LogError("a memcached get reply reached the --max-value limit of one reply");
      out->resize(reply_start);
      out->append("SERVER_ERROR out of memory writing get response\r\n");
      return TextStep::Done();
    }
    out->append("VALUE ").append(word).push_back(' ');
    AppendDecimal(out, uint64_t{item.meta.flags});
    out->push_back(' ');
    AppendDecimal(out, uint64_t{item.value.size()});
    if (kWithCas) {
      out->push_back(' ');
      AppendDecimal(out, item.meta.Cas());
    }
    out->append("\r\n").append(item.value).append("\r\n");
  }
  out->append("END\r\n");
  return TextStep::Done();
}

// ---- the other item commands ----

// incr|decr <key> <delta> [noreply]
template <bool kIncr>
TextStep Arithmetic(ServerContext& context, const TextRequest& request, std::string* out,
                    ProtocolSession::DeferredWork*) {
  const Tokens& tokens = request.tokens;
  const bool noreply = tokens.NoReply();
  mc::DeltaRequest delta;
  delta.key = tokens[1];
  delta.incr = kIncr;
  if (!mc::IsValidKey(delta.key)) {
    Reply(out, noreply, kBadFormat);
    return TextStep::Done();
  }
  if (!ParseUint64(tokens[2], &delta.delta)) {
    Reply(out, noreply, "CLIENT_ERROR invalid numeric delta argument\r\n");
    return TextStep::Done();
  }
  if (Forbidden(context, kCmdAddInt)) {
    Reply(out, noreply, kForbidden);
    return TextStep::Done();
  }
  uint64_t value = 0;
  switch (mc::Delta(context, delta, &value)) {
    case mc::Result::kStored:
      if (!noreply) {
        AppendDecimal(out, value);
        out->append("\r\n");
      }
      break;
    case mc::Result::kNotFound:
      Reply(out, noreply, "NOT_FOUND\r\n");
      break;
    case mc::Result::kNonNumeric:
      Reply(out, noreply, kNonNumeric);
      break;
    default:
      Reply(out, noreply, kServerError);
      break;
  }
  return TextStep::Done();
}

// touch <key> <exptime> [noreply]
TextStep Touch(ServerContext& context, const TextRequest& request, std::string* out,
               ProtocolSession::DeferredWork*) {
  const Tokens& tokens = request.tokens;
  const bool noreply = tokens.NoReply();
  int64_t exptime = 0;
  if (!mc::IsValidKey(tokens[1])) {
    Reply(out, noreply, kBadFormat);
  } else if (!ParseInt64(tokens[2], &exptime)) {
    Reply(out, noreply, kInvalidExptime);
  } else if (Forbidden(context, kCmdPut)) {
    Reply(out, noreply, kForbidden);
  } else {
    switch (mc::Touch(context, tokens[1], exptime)) {
      case mc::Result::kStored:
        Reply(out, noreply, "TOUCHED\r\n");
        break;
      case mc::Result::kNotFound:
        Reply(out, noreply, "NOT_FOUND\r\n");
        break;
      default:
        Reply(out, noreply, kServerError);
        break;
    }
  }
  return TextStep::Done();
}

// delete <key> [0] [noreply]: a hold time other than 0 was dropped from
// memcached long ago and is refused with a usage message.
TextStep Delete(ServerContext& context, const TextRequest& request, std::string* out,
                ProtocolSession::DeferredWork*) {
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
  if (!mc::IsValidKey(tokens[1])) {
    Reply(out, noreply, kBadFormat);
  } else if (Forbidden(context, kCmdOut)) {
    Reply(out, noreply, kForbidden);
  } else {
    switch (mc::Delete(context, tokens[1])) {
      case mc::Result::kStored:
        Reply(out, noreply, "DELETED\r\n");
        break;
      case mc::Result::kNotFound:
        Reply(out, noreply, "NOT_FOUND\r\n");
        break;
      default:
        Reply(out, noreply, kServerError);
        break;
    }
  }
  return TextStep::Done();
}

// ---- server commands ----

// flush_all [<delay>] [noreply]. Emptying the database may take long, so an
// immediate flush runs as deferred work, off the event loop.
TextStep FlushAll(ServerContext& context, const TextRequest& request, std::string* out,
                  ProtocolSession::DeferredWork* deferred) {
  const Tokens& tokens = request.tokens;
  const bool noreply = tokens.NoReply();
  int64_t delay = 0;
  if (tokens.ntokens() != (noreply ? 3u : 2u) && !ParseInt64(tokens[1], &delay)) {
    Reply(out, noreply, kInvalidExptime);
    return TextStep::Done();
  }
  if (Forbidden(context, kCmdVanish)) {
    Reply(out, noreply, kForbidden);
    return TextStep::Done();
  }
  // The delay is an exptime: past 30 days it is a UNIX time.
  const int64_t now = static_cast<int64_t>(time(nullptr));
  const int64_t delay_s = delay > 0 ? mc::AbsoluteExpiry(delay, now) - now : 0;
  if (delay_s > 0) {
    Reply(out, noreply,
          mc::Flush(context, delay_s) == mc::Result::kStored ? "OK\r\n" : kServerError);
    return TextStep::Done();
  }
  *deferred = [context = &context, noreply]() -> std::string {
    const bool ok = mc::Flush(*context, 0) == mc::Result::kStored;
    if (noreply) return {};
    return std::string(ok ? "OK\r\n" : kServerError);
  };
  return TextStep::Deferred();
}

// stats [<group>]
TextStep StatsCommand(ServerContext& context, const TextRequest& request, std::string* out,
                      ProtocolSession::DeferredWork*) {
  if (Forbidden(context, kCmdStat)) {
    out->append(kForbidden);
    return TextStep::Done();
  }
  StatList stats;
  if (!MemcachedStats(context, request.tokens[1], &stats)) {
    out->append(kError);  // memcached's answer to a group it does not know
    return TextStep::Done();
  }
  for (const auto& [name, value] : stats) {
    out->append("STAT ").append(name).push_back(' ');
    out->append(value).append("\r\n");
  }
  out->append("END\r\n");
  return TextStep::Done();
}

// version and quit ignore arguments, as memcached 1.6 does (and as clients
// such as memccapable expect from a server reporting 1.6).
TextStep Version(ServerContext&, const TextRequest&, std::string* out,
                 ProtocolSession::DeferredWork*) {
  out->append("VERSION ").append(mc::kMemcachedVersion).append("\r\n");
  return TextStep::Done();
}

// verbosity <level> [noreply]: accepted and answered; the server's log level
// is an option of its own.
TextStep Verbosity(ServerContext&, const TextRequest& request, std::string* out,
                   ProtocolSession::DeferredWork*) {
  const bool noreply = request.tokens.NoReply();
  uint32_t level = 0;
  Reply(out, noreply, ParseUint32(request.tokens[1], &level) ? "OK\r\n" : kBadFormat);
  return TextStep::Done();
}

TextStep Quit(ServerContext&, const TextRequest&, std::string*, ProtocolSession::DeferredWork*) {
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
    {"version", 2, kAny, Version},
    {"verbosity", 3, 4, Verbosity},
    {"quit", 2, kAny, Quit},
};

}  // namespace

TextStep RunClassicCommand(ServerContext& context, const TextRequest& request, std::string* out,
                           ProtocolSession::DeferredWork* deferred) {
  const Tokens& tokens = request.tokens;
  for (const ClassicCommand& command : kClassicCommands) {
    if (command.name != tokens[0]) continue;
    if (tokens.ntokens() < command.min_tokens || tokens.ntokens() > command.max_tokens) {
      out->append(kError);
      return TextStep::Done();
    }
    return command.run(context, request, out, deferred);
  }
  // memcached hangs up on what looks like an HTTP request line.
  if (tokens[tokens.count() - 1].starts_with("HTTP/")) {
    LogInfo("closing a memcached connection: an HTTP request line");
    return TextStep::Close();
  }
  out->append(kError);
  return TextStep::Done();
}

}  // namespace tt::mctext
