#include "ttserver/memcached/memcached_meta.h"

#include <array>
#include <ctime>

#include "common/base64.h"
#include "common/clock.h"
#include "common/commands.h"
#include "ttserver/memcached/memcached_meta_flags.h"

namespace tt::mctext {

namespace {

// Where the flags start: after the key, or after ms's data length.
constexpr size_t kFlagsAfterKey = 2;
constexpr size_t kFlagsAfterLength = 3;

constexpr std::string_view kTooManyFlags = "CLIENT_ERROR options flags too long\r\n";

int64_t NowSeconds() { return static_cast<int64_t>(time(nullptr)); }

// The t flag: seconds the item has left, -1 when it never expires.
int64_t RemainingTtl(const ValueMeta& meta) {
  return meta.expires_at == 0 ? -1 : meta.expires_at - NowSeconds();
}

// Whole seconds from `since_us` to now (0 if the clock says otherwise).
uint64_t SecondsSince(uint64_t since_us) {
  const uint64_t now_us = NowMicros();
  return now_us > since_us ? (now_us - since_us) / 1000000 : 0;
}

// Appends the return flags that need no item (O, k), in request order.
void AppendEchoFlags(std::string* out, const Tokens& tokens, size_t first, const MetaFlags& flags) {
  for (size_t i = first; i < tokens.count(); ++i) {
    if (tokens[i][0] == 'O') out->append(" ").append(tokens[i]);
    if (tokens[i][0] == 'k') AppendMetaKey(out, flags);
  }
}

// A reply made of a status code and the O and k flags; `quiet` drops it.
void AppendStatus(std::string* out, std::string_view code, bool quiet, const Tokens& tokens,
                  size_t first, const MetaFlags& flags) {
  if (quiet) return;
  out->append(code);
  AppendEchoFlags(out, tokens, first, flags);
  out->append("\r\n");
}

// Parses the flags of mg, md or ma and checks the key, in memcached's order.
// Returns "" or the error reply. memcached words a flag error precisely for
// mg only (`precise_flag_errors`).
std::string_view ParseKeyAndFlags(const Tokens& tokens, bool precise_flag_errors, size_t max_key,
                                  MetaFlags* flags) {
  if (tokens[1].size() > mc::kMaxKeyLength) return kBadFormat;
  if (tokens.ntokens() > kMaxMetaTokens) {
    return precise_flag_errors ? "CLIENT_ERROR options flags are too long\r\n" : kTooManyFlags;
  }
  std::string_view error = ParseMetaFlags(tokens, kFlagsAfterKey, flags);
  if (!error.empty()) {
    return precise_flag_errors ? error : "CLIENT_ERROR invalid or duplicate flag\r\n";
  }
  if (HasLongOpaque(tokens, kFlagsAfterKey)) return "CLIENT_ERROR opaque token too long\r\n";
  return MetaKeyError(*flags, max_key);
}

// ---- mg: the recache token ----
//
// A client that "wins" (W) is the one asked to recompute an item: the first
// to miss with N (which leaves an empty stub), the first to see a stale item,
// or, with R, the first to see the TTL drop below R. Later clients see Z. The
// "sent" bit lives in the envelope state (mc::Vivify, mc::ClaimRecacheToken),
// so it holds across connections and survives replication.

TextStep MetaGet(ServerContext& context, const TextRequest& request, std::string* out) {
  const Tokens& tokens = request.tokens;
  MetaFlags flags;
  std::string_view error =
      ParseKeyAndFlags(tokens, /*precise_flag_errors=*/true, context.limits.max_key, &flags);
  const bool writes = flags.has_ttl || flags.has_vivify;
  if (error.empty() &&
      (mc::Forbidden(context, kCmdGet) || (writes && mc::Forbidden(context, kCmdPut)))) {
    error = kForbidden;
  }
  if (!error.empty()) {
    out->append(error);
    return TextStep::Done();
  }
  mc::Item item;
  const bool mark_fetched = !flags.no_bump;
  mc::Result result = flags.has_ttl ? mc::Touch(context, flags.key, flags.ttl, &item, mark_fetched)
                                    : mc::Get(context, flags.key, &item, mark_fetched);
  bool won = false;
  if (result == mc::Result::kNotFound && flags.has_vivify) {
    result = mc::Vivify(context, flags.key, flags.vivify_ttl, flags.new_cas, &item);
    won = result == mc::Result::kStored;
    // Another writer created the item first: it is a hit without the token.
    if (result == mc::Result::kNotFound) result = mc::Result::kStored;
  }
  if (result == mc::Result::kError) {
    out->append(kServerError);
    return TextStep::Done();
  }
  if (result != mc::Result::kStored) {
    AppendStatus(out, "EN", flags.quiet, tokens, kFlagsAfterKey, flags);
    return TextStep::Done();
  }
  const bool stale = (item.meta.state & kValueStale) != 0;
  bool token_sent = !won && (item.meta.state & kValueWinTokenSent) != 0;
  if (!won && !token_sent && mc::RecacheDue(item, flags.has_recache, flags.recache_ttl)) {
    won = mc::ClaimRecacheToken(context, flags.key, item.meta.Cas());
    token_sent = !won;
  }

  if (flags.value) {
    out->append("VA ");
    AppendDecimal(out, uint64_t{item.value.size()});
  } else {
    out->append("HD");
  }
  for (size_t i = kFlagsAfterKey; i < tokens.count(); ++i) {
    switch (tokens[i][0]) {
      case 's':
        out->append(" s");
        AppendDecimal(out, uint64_t{item.value.size()});
        break;
      case 't':
        out->append(" t");
        AppendDecimal(out, RemainingTtl(item.meta));
        break;
      case 'c':
        out->append(" c");
        AppendDecimal(out, item.meta.Cas());
        break;
      case 'f':
        out->append(" f");
        AppendDecimal(out, uint64_t{item.meta.flags});
        break;
      case 'l':
        out->append(" l");
        AppendDecimal(
            out, SecondsSince(item.last_fetch_us != 0 ? item.last_fetch_us : item.meta.version));
        break;
      case 'h':
        out->append(item.last_fetch_us != 0 ? " h1" : " h0");
        break;
      case 'O':
        out->append(" ").append(tokens[i]);
        break;
      case 'k':
        AppendMetaKey(out, flags);
        break;
    }
  }
  // memcached's order: Z before X, and W last.
  if (token_sent) out->append(" Z");
  if (stale) out->append(" X");
  if (won) out->append(" W");
  out->append("\r\n");
  if (flags.value) out->append(item.value).append("\r\n");
  return TextStep::Done();
}

// ---- ms ----

// The store mode of ms's M flag and C token, as memcached maps them: a
// CAS turns set and replace into cas; add ignores it. False for an unknown mode.
bool StoreModeOf(const MetaFlags& flags, mc::StoreMode* mode) {
  switch (flags.mode) {
    case 0:
    case 'S':
      *mode = mc::StoreMode::kSet;
      break;
    case 'E':
      *mode = mc::StoreMode::kAdd;
      break;
    case 'A':
      *mode = mc::StoreMode::kAppend;
      break;
    case 'P':
      *mode = mc::StoreMode::kPrepend;
      break;
    case 'R':
      *mode = mc::StoreMode::kReplace;
      break;
    default:
      return false;
  }
  if (flags.has_cas && (*mode == mc::StoreMode::kSet || *mode == mc::StoreMode::kReplace)) {
    *mode = mc::StoreMode::kCas;
  }
  return true;
}

TextStep MetaSet(ServerContext& context, const TextRequest& request, std::string* out) {
  const Tokens& tokens = request.tokens;
  int64_t length = 0;
  if (tokens[1].size() > mc::kMaxKeyLength || tokens.ntokens() == 3) {
    out->append(kBadFormat);
    return TextStep::Done();
  }
  if (tokens.ntokens() > kMaxMetaTokens) {
    out->append(kTooManyFlags);
    return TextStep::Done();
  }
  if (!ParseInt64(tokens[2], &length) || !IsValidDataLength(length)) {
    out->append(kBadFormat);
    return TextStep::Done();
  }
  // The data block's length is known from here on: a refused request
  // swallows it rather than read it as commands.
  MetaFlags flags;
  mc::StoreMode mode = mc::StoreMode::kSet;
  std::string_view error = ParseMetaFlags(tokens, kFlagsAfterLength, &flags);
  if (error.empty() && HasLongOpaque(tokens, kFlagsAfterLength)) {
    error = "CLIENT_ERROR opaque token too long\r\n";
  }
  if (error.empty() && !StoreModeOf(flags, &mode)) {
    error = "CLIENT_ERROR invalid mode for ms M token\r\n";
  }
  if (error.empty()) error = MetaKeyError(flags, context.limits.max_key);
  if (error.empty() && mc::Forbidden(context, mc::CountedCommand(mode))) error = kForbidden;
  if (!error.empty()) {
    out->append(error);
    return TextStep::Swallow(length);
  }
  if (mc::TooLarge(context, flags.key.size(), length)) {
    // memcached drops the item whatever the mode: it never keeps data that a
    // refused write meant to change.
    mc::RefuseTooLarge(context, mc::StoreMode::kSet, flags.key);
    out->append(kTooLarge);
    return TextStep::Swallow(length);
  }
  std::string_view data;
  switch (TakeDataBlock(request.after, length, &data)) {
    case BlockStatus::kNeedMore:
      return TextStep::NeedMore(length + 2);
    case BlockStatus::kBad:
      out->append(kBadDataChunk);
      return TextStep::Done(length + 2);
    case BlockStatus::kGood:
      break;
  }
  mc::StoreRequest store{.mode = mode,
                         .key = flags.key,
                         .value = data,
                         .flags = flags.client_flags,
                         .exptime = flags.has_ttl ? flags.ttl : 0,
                         .cas = mode == mc::StoreMode::kAdd ? 0 : flags.cas,
                         .new_cas = flags.new_cas,
                         .invalidate = flags.invalidate && mode == mc::StoreMode::kCas};
  uint64_t cas = 0;
  const mc::Result result = mc::Store(context, store, &cas);
  std::string_view code;
  switch (result) {
    case mc::Result::kStored:
      code = "HD";
      break;
    case mc::Result::kNotStored:
      code = "NS";
      break;
    case mc::Result::kExists:
      code = "EX";
      break;
    case mc::Result::kNotFound:
      code = "NF";
      break;
    case mc::Result::kTooLarge:
      out->append(kTooLarge);
      return TextStep::Done(length + 2);
    default:
      out->append(kServerError);
      return TextStep::Done(length + 2);
  }
  if (result == mc::Result::kStored && flags.quiet) return TextStep::Done(length + 2);
  out->append(code);
  for (size_t i = kFlagsAfterLength; i < tokens.count(); ++i) {
    switch (tokens[i][0]) {
      case 'O':
        out->append(" ").append(tokens[i]);
        break;
      case 'k':
        AppendMetaKey(out, flags);
        break;
      case 'c':
        // memcached answers c0 when nothing was stored.
        out->append(" c");
        AppendDecimal(out, result == mc::Result::kStored ? cas : uint64_t{0});
        break;
    }
  }
  out->append("\r\n");
  return TextStep::Done(length + 2);
}

// ---- md ----

TextStep MetaDelete(ServerContext& context, const TextRequest& request, std::string* out) {
  const Tokens& tokens = request.tokens;
  MetaFlags flags;
  std::string_view error =
      ParseKeyAndFlags(tokens, /*precise_flag_errors=*/false, context.limits.max_key, &flags);
  if (error.empty() && mc::Forbidden(context, kCmdOut)) error = kForbidden;
  if (!error.empty()) {
    out->append(error);
    return TextStep::Done();
  }
  const mc::Result result = mc::Delete(context, {.key = flags.key,
                                                 .cas = flags.has_cas ? flags.cas : 0,
                                                 .invalidate = flags.invalidate,
                                                 .touch = flags.has_ttl,
                                                 .exptime = flags.ttl});
  switch (result) {
    case mc::Result::kStored:
      AppendStatus(out, "HD", flags.quiet, tokens, kFlagsAfterKey, flags);
      break;
    case mc::Result::kNotFound:
      AppendStatus(out, "NF", false, tokens, kFlagsAfterKey, flags);
      break;
    case mc::Result::kExists:
      AppendStatus(out, "EX", false, tokens, kFlagsAfterKey, flags);
      break;
    default:
      out->append(kServerError);
      break;
  }
  return TextStep::Done();
}

// ---- ma ----

TextStep MetaArithmetic(ServerContext& context, const TextRequest& request, std::string* out) {
  const Tokens& tokens = request.tokens;
  MetaFlags flags;
  std::string_view error =
      ParseKeyAndFlags(tokens, /*precise_flag_errors=*/false, context.limits.max_key, &flags);
  bool incr = true;
  if (error.empty()) {
    switch (flags.mode) {
      case 0:
      case 'I':
      case '+':
        incr = true;
        break;
      case 'D':
      case '-':
        incr = false;
        break;
      default:
        error = "CLIENT_ERROR invalid mode for ma M token\r\n";
    }
  }
  if (error.empty() && mc::Forbidden(context, kCmdAddInt)) error = kForbidden;
  if (!error.empty()) {
    out->append(error);
    return TextStep::Done();
  }
  mc::DeltaRequest delta{.key = flags.key,
                         .incr = incr,
                         .delta = flags.delta,
                         .cas = flags.has_cas ? flags.cas : 0,
                         .vivify = flags.has_vivify,
                         .initial = flags.initial,
                         .exptime = flags.vivify_ttl,
                         .flags = 0,
                         .new_cas = flags.new_cas,
                         .touch = flags.has_ttl,
                         .touch_exptime = flags.ttl};
  mc::DeltaResult result;
  switch (mc::Delta(context, delta, &result)) {
    case mc::Result::kStored:
      break;
    case mc::Result::kNotFound:
      AppendStatus(out, "NF", false, tokens, kFlagsAfterKey, flags);
      return TextStep::Done();
    case mc::Result::kExists:
      AppendStatus(out, "EX", false, tokens, kFlagsAfterKey, flags);
      return TextStep::Done();
    case mc::Result::kNonNumeric:
      out->append(kNonNumeric);
      return TextStep::Done();
    default:
      out->append(kServerError);
      return TextStep::Done();
  }
  // memcached's q hides the reply to an item it changed, not to one it created.
  if (flags.quiet && !result.created) return TextStep::Done();
  std::string digits;
  AppendDecimal(&digits, result.value);
  if (flags.value) {
    out->append("VA ");
    AppendDecimal(out, uint64_t{digits.size()});
  } else {
    out->append("HD");
  }
  for (size_t i = kFlagsAfterKey; i < tokens.count(); ++i) {
    switch (tokens[i][0]) {
      case 'c':
        out->append(" c");
        AppendDecimal(out, result.meta.Cas());
        break;
      case 't':
        out->append(" t");
        AppendDecimal(out, RemainingTtl(result.meta));
        break;
      case 'O':
        out->append(" ").append(tokens[i]);
        break;
      case 'k':
        AppendMetaKey(out, flags);
        break;
    }
  }
  out->append("\r\n");
  if (flags.value) out->append(digits).append("\r\n");
  return TextStep::Done();
}

// ---- me ----

// memcached's debug dump of an item: "ME <key> exp= la= cas= fetch= size=".
// There is no slab class here, so no cls field; size is key plus value.
TextStep MetaDebug(ServerContext& context, const TextRequest& request, std::string* out) {
  const Tokens& tokens = request.tokens;
  if (tokens.ntokens() < 3 || tokens[1].size() > mc::kMaxKeyLength) {
    out->append(kBadFormat);
    return TextStep::Done();
  }
  std::array<char, mc::kMaxKeyLength> buffer;
  std::string_view key = tokens[1];
  const bool binary = tokens.ntokens() >= 4 && tokens[2] == "b";
  if (binary) {
    size_t size = 0;
    if (!Base64Decode(tokens[1], buffer, &size)) {
      out->append(kBadFormat);
      return TextStep::Done();
    }
    key = std::string_view(buffer.data(), size);
  }
  if (!mc::IsValidKey(key, context.limits.max_key)) {
    out->append(kBadFormat);
    return TextStep::Done();
  }
  if (mc::Forbidden(context, kCmdGet)) {
    out->append(kForbidden);
    return TextStep::Done();
  }
  mc::Item item;
  switch (mc::Peek(context, key, &item)) {
    case mc::Result::kStored:
      break;
    case mc::Result::kNotFound:
      out->append("EN\r\n");
      return TextStep::Done();
    default:
      out->append(kServerError);
      return TextStep::Done();
  }
  const ValueMeta& meta = item.meta;
  const uint64_t fetched_us = item.last_fetch_us;
  out->append("ME ");
  if (binary) {
    Base64Append(out, key);
  } else {
    out->append(key);
  }
  // memcached prints the time since expiry: negative while the item lives.
  out->append(" exp=");
  AppendDecimal(out, meta.expires_at == 0 ? int64_t{-1} : NowSeconds() - meta.expires_at);
  out->append(" la=");
  AppendDecimal(out, SecondsSince(fetched_us != 0 ? fetched_us : meta.version));
  out->append(" cas=");
  AppendDecimal(out, meta.Cas());
  out->append(fetched_us != 0 ? " fetch=yes" : " fetch=no");
  out->append(" size=");
  AppendDecimal(out, uint64_t{key.size() + item.value.size()});
  out->append("\r\n");
  return TextStep::Done();
}

}  // namespace

TextStep RunMetaCommand(ServerContext& context, const TextRequest& request, std::string* out) {
  const char code = request.tokens[0][1];
  if (code == 'n') {
    context.stats->meta_cmds.fetch_add(1, std::memory_order_relaxed);
    out->append("MN\r\n");
    return TextStep::Done();
  }
  if (code == 'e') {
    context.stats->meta_cmds.fetch_add(1, std::memory_order_relaxed);
    return MetaDebug(context, request, out);
  }
  TextStep (*run)(ServerContext&, const TextRequest&, std::string*) = nullptr;
  switch (code) {
    case 'g':
      run = MetaGet;
      break;
    case 's':
      run = MetaSet;
      break;
    case 'd':
      run = MetaDelete;
      break;
    case 'a':
      run = MetaArithmetic;
      break;
    default:
      out->append(kError);
      return TextStep::Done();
  }
  // Every one of them needs a key.
  if (request.tokens.ntokens() < 3) {
    out->append(kError);
    return TextStep::Done();
  }
  TextStep step = run(context, request, out);
  // A request waiting for its data block is counted once, when it runs.
  if (step.kind != TextStep::Kind::kNeedMore) {
    context.stats->meta_cmds.fetch_add(1, std::memory_order_relaxed);
  }
  return step;
}

}  // namespace tt::mctext
