#include "ttserver/resp/resp_session.h"

#include <algorithm>
#include <utility>

#include "common/logging.h"
#include "common/peer_address.h"
#include "ttserver/resp/resp_call.h"
#include "ttserver/wire_protocol.h"

namespace tt {

namespace {

// The longest bulk a request may hold: the longest key or value accepted,
// so a peer announcing more is refused before anything is allocated for it
// (and at least enough for any command name or option).
size_t MaxBulk(const Limits& limits) {
  constexpr size_t kAtLeast = 4096;
  return std::min(resp::kMaxBulkLength, std::max({limits.max_key, limits.max_value, kAtLeast}));
}

}  // namespace

RespSession::RespSession(ServerContext* context, int fd)
    : context_(context), fd_(fd), parser_(MaxBulk(context->limits)) {
  client_.id = resp::NextClientId();
  client_.fd = fd;
  client_.addr = PeerAddress(fd);
  client_.laddr = LocalAddress(fd);
  client_.created_ms = resp::NowMs();
}

ProtocolSession::Result RespSession::Process(std::string_view in, size_t* consumed,
                                             std::string* out) {
  *consumed = 0;
  mid_request_ = false;
  if (deferred_writes_) {
    // The deferred write has returned: its records are all at or before the newest.
    client_.last_write_ts = std::max(client_.last_write_ts, context_->engine->LastTimestamp());
    deferred_writes_ = false;
  }
  const size_t out_at_entry = out->size();
  while (*consumed < in.size() && out->size() - out_at_entry < kReplyBatchBytes) {
    const std::string_view rest = in.substr(*consumed);
    if (!parser_.MidRequest()) {
      // Blank lines between requests are ours: Redis ignores them.
      if (rest[0] == '\n' || rest.starts_with("\r\n")) {
        *consumed += rest[0] == '\n' ? 1 : 2;
        continue;
      }
      if (rest == "\r") {
        mid_request_ = true;
        return Result::kContinue;
      }
      // Another protocol's request: the connection's ProtocolSwitch takes it on.
      const std::optional<WireProtocol> protocol = RequestProtocol(rest);
      if (!protocol) {
        mid_request_ = true;  // an upper-case line, RESP's or HTTP's: its newline tells
        return Result::kContinue;
      }
      if (*protocol != WireProtocol::kResp) break;
    }
    size_t used = 0;
    switch (parser_.Parse(rest, &used)) {
      case resp::RequestParser::Step::kNeedMore:
        mid_request_ = true;
        return Result::kContinue;
      case resp::RequestParser::Step::kError:
        // As Redis: the error, then the connection closes (the stream
        // cannot be resynchronised).
        out->append(parser_.error());
        LogInfo("closing RESP connection fd ", fd_, ": ",
                std::string_view(parser_.error()).substr(1, parser_.error().size() - 3));
        return Result::kClose;
      case resp::RequestParser::Step::kComplete:
        break;
    }
    *consumed += used;
    if (parser_.args().empty()) continue;  // "*0", "*-1" or a blank inline line: nothing to run
    // CLIENT REPLY: a command's reply is dropped after SKIP or while OFF.
    const bool skip = std::exchange(client_.skip_next_reply, false);
    const size_t reply_at = out->size();
    resp::Outcome outcome = resp::RunCommand(*context_, client_, parser_.args(), out);
    const bool silent = skip || client_.reply_off;
    if (silent) out->resize(reply_at);
    if (outcome.kind == resp::Outcome::Kind::kClose) return Result::kClose;
    if (outcome.kind == resp::Outcome::Kind::kDeferred) {
      if (silent) {
        outcome.work = [work = std::move(outcome.work)] {
          work();
          return std::string();
        };
      }
      deferred_ = std::move(outcome.work);
      deferred_writes_ = outcome.writes;
      return Result::kDeferred;
    }
  }
  return Result::kContinue;
}

ProtocolSession::DeferredWork RespSession::TakeDeferred() {
  return std::exchange(deferred_, nullptr);
}

}  // namespace tt
