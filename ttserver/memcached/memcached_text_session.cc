#include "ttserver/memcached/memcached_text_session.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "common/logging.h"
#include "ttserver/wire_protocol.h"
#include "ttserver/memcached/memcached_meta.h"
#include "ttserver/memcached/memcached_text_classic.h"
#include "ttserver/memcached/memcached_text_command.h"
#include "ttserver/memcached/memcached_text_parser.h"

namespace tt {

using mctext::TextRequest;
using mctext::TextStep;
using mctext::Tokens;

struct MemcachedTextSession::State {
  State(ServerContext* context, int fd) : context(context), fd(fd) {}

  ServerContext* context;
  int fd;
  uint64_t swallow_left = 0;  // bytes of a refused data block still to discard
  size_t scanned = 0;         // bytes at the front of the input known to hold no newline
  size_t wait_for = 0;        // input size below which the front request cannot progress
  bool mid_request = false;
  // The slow request Process() stopped after, and a retrieval whose reply
  // went on past a batch of replies.
  mctext::ClassicLeftover leftover;

  // Runs one command line, classic or meta (meta commands are the two-letter
  // ones starting with 'm', as memcached tells them apart); see TextStep.
  TextStep Execute(const TextRequest& request, std::string* out) {
    const Tokens& tokens = request.tokens;
    // No command is shorter than two characters.
    if (tokens.count() == 0 || tokens[0].size() < 2) {
      out->append(mctext::kError);
      return TextStep::Done();
    }
    if (tokens[0].size() == 2 && tokens[0][0] == 'm') {
      return mctext::RunMetaCommand(*context, request, out);
    }
    return mctext::RunClassicCommand(*context, request, out, &leftover);
  }

  // Discards what has arrived of a refused data block, at in[*consumed...].
  void Swallow(std::string_view in, size_t* consumed) {
    const size_t skip =
        static_cast<size_t>(std::min<uint64_t>(swallow_left, in.size() - *consumed));
    swallow_left -= skip;
    *consumed += skip;
  }
};

MemcachedTextSession::MemcachedTextSession(ServerContext* context, int fd)
    : state_(std::make_unique<State>(context, fd)) {}

MemcachedTextSession::~MemcachedTextSession() = default;

ProtocolSession::Result MemcachedTextSession::Process(std::string_view in, size_t* consumed,
                                                      std::string* out) {
  State& state = *state_;
  *consumed = 0;
  // The bytes a previous call left are offered again, followed by new ones:
  // until enough arrived, there is nothing to redo.
  if (in.size() < state.wait_for) {
    state.mid_request = true;
    return Result::kContinue;
  }
  state.wait_for = 0;
  const size_t batch_end = out->size() + kReplyBatchBytes;
  // A block being discarded is taken as far as it has arrived, whether or
  // not the batch is full: MidRequest() is then true only while it needs
  // bytes still to come, and the caller calls again for the rest.
  state.Swallow(in, consumed);
  while (*consumed < in.size() && out->size() < batch_end) {
    std::string_view rest = in.substr(*consumed);
    if (state.leftover.retrieval.has_value()) {
      *consumed += mctext::ContinueRetrieval(*state.context, rest, batch_end, out,
                                             &state.leftover.retrieval);
      continue;
    }
    if (state.scanned == 0) {
      const std::optional<WireProtocol> protocol = RequestProtocol(rest);
      if (!protocol) {
        // An upper-case line, HTTP's or RESP's: its newline tells.
        state.mid_request = true;
        return Result::kContinue;
      }
      // Another protocol's request: the connection's ProtocolSwitch takes it on.
      if (*protocol != WireProtocol::kMemcachedText) break;
    }
    std::string_view line;
    size_t line_bytes = 0;
    switch (mctext::ScanCommandLine(rest, state.scanned, &line, &line_bytes)) {
      case mctext::LineScan::kNeedMore:
        state.scanned = rest.size();
        state.mid_request = true;
        return Result::kContinue;
      case mctext::LineScan::kTooLong:
        // memcached closes too: there is no telling where the next command starts.
        LogInfo("closing memcached connection fd ", state.fd, ": an overlong command line");
        return Result::kClose;
      case mctext::LineScan::kLine:
        break;
    }
    state.scanned = 0;
    const Tokens tokens(line);
    const TextStep step = state.Execute({line, tokens, rest.substr(line_bytes), batch_end}, out);
    if (step.kind == TextStep::Kind::kNeedMore) {
      state.wait_for = line_bytes + step.need;
      state.mid_request = true;
      return Result::kContinue;
    }
    if (step.kind == TextStep::Kind::kPaused) {
      *consumed += step.line_used;
      continue;
    }
    *consumed += line_bytes + step.data_used;
    if (step.kind == TextStep::Kind::kClose) return Result::kClose;
    if (step.kind == TextStep::Kind::kDeferred) {
      state.mid_request = false;
      return Result::kDeferred;
    }
    state.swallow_left = step.swallow;
    state.Swallow(in, consumed);
  }
  // Not mid-request while only the batch of replies is full: the rest of a
  // retrieval and the requests after it wait in the input for the next call.
  state.mid_request = state.swallow_left > 0;
  return Result::kContinue;
}

bool MemcachedTextSession::MidRequest() const { return state_->mid_request; }

ProtocolSession::DeferredWork MemcachedTextSession::TakeDeferred() {
  return std::exchange(state_->leftover.deferred, nullptr);
}

}  // namespace tt
