#include "tests/fuzz/session_driver.h"

#include <algorithm>
#include <memory>

#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/fuzz_world.h"

namespace tt::fuzz {

namespace {

constexpr uint8_t kByteByByte = 0xFF;
constexpr uint8_t kCutCountMask = 0x07;
constexpr uint8_t kOrderedBit = 0x08;
constexpr uint8_t kSmallLimitsBit = 0x10;

// Replies that are not bounded by the limits (stat texts and the like).
constexpr size_t kFixedReplyAllowance = 64 * 1024;

// The largest reply one request can produce under `limits` given `input_size`
// bytes of requests: a value or list of values (bounded by max_value, one
// element past it at most, and by what the input could have stored).
size_t LargestReply(const Limits& limits, size_t input_size) {
  const size_t by_limits = 2 * limits.max_value + limits.max_key;
  const size_t by_input = input_size * input_size;
  return kFixedReplyAllowance + std::min(by_limits, by_input);
}

}  // namespace

SessionPlan ParseSessionPlan(const uint8_t* data, size_t size) {
  SessionPlan plan;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  if (in.empty()) return plan;
  const auto bits = static_cast<uint8_t>(in[0]);
  in.remove_prefix(1);
  if (bits == kByteByByte) {
    plan.chunks.assign(in.size(), 1);
    plan.payload = in;
    return plan;
  }
  plan.ordered = (bits & kOrderedBit) != 0;
  plan.small_limits = (bits & kSmallLimitsBit) != 0;
  const size_t cuts = std::min<size_t>(bits & kCutCountMask, in.size());
  std::vector<size_t> chunks;
  for (size_t i = 0; i < cuts; ++i) chunks.push_back(static_cast<uint8_t>(in[i]) + size_t{1});
  in.remove_prefix(cuts);
  plan.payload = in;
  size_t left = in.size();
  for (size_t chunk : chunks) {
    const size_t taken = std::min(chunk, left);
    plan.chunks.push_back(taken);
    left -= taken;
  }
  plan.chunks.push_back(left);
  return plan;
}

SessionRun DriveSession(ProtocolSession& session, const SessionPlan& plan, const Limits& limits,
                        const std::function<void(std::string_view appended)>& check_call,
                        const std::function<bool(std::string_view rest)>& stops_before) {
  SessionRun run;
  const size_t call_limit = kReplyBatchBytes + LargestReply(limits, plan.payload.size());
  // Checks the bytes one call (or one deferred work) appended from `from` on.
  auto check_appended = [&](size_t from) {
    TT_FUZZ_CHECK(run.out.size() - from <= call_limit);
    if (check_call) check_call(std::string_view(run.out).substr(from));
  };
  // The bytes delivered and not consumed yet: payload[unconsumed_begin, delivered).
  size_t unconsumed_begin = 0;
  size_t delivered = 0;
  for (size_t chunk : plan.chunks) {
    delivered += chunk;
    // As Connection::ProcessInput and then Settle: call again while whole
    // requests wait behind a full batch of replies.
    bool after_job = false;
    while (!run.ended && (unconsumed_begin < delivered || after_job)) {
      // A buffer of exactly the bytes offered, so that ASan sees a read past them.
      const std::string_view offered =
          plan.payload.substr(unconsumed_begin, delivered - unconsumed_begin);
      const std::unique_ptr<char[]> buffer(new char[offered.size()]);
      std::copy(offered.begin(), offered.end(), buffer.get());
      const size_t out_before = run.out.size();
      size_t consumed = 0;
      const ProtocolSession::Result result =
          session.Process(std::string_view(buffer.get(), offered.size()), &consumed, &run.out);
      TT_FUZZ_CHECK(consumed <= offered.size());
      unconsumed_begin += consumed;
      const bool left = unconsumed_begin < delivered;
      check_appended(out_before);
      if (result == ProtocolSession::Result::kClose) {
        run.ended = true;
      } else if (result == ProtocolSession::Result::kHandOff) {
        TT_FUZZ_CHECK(session.TakeHandOff() != nullptr);
        run.ended = true;
      } else if (result == ProtocolSession::Result::kDeferred) {
        ProtocolSession::DeferredWork work = session.TakeDeferred();
        TT_FUZZ_CHECK(consumed > 0 && work != nullptr);
        const size_t work_out = run.out.size();
        run.out += work();
        check_appended(work_out);
        after_job = true;
      } else {
        // kContinue: bytes left unconsumed must be a request still arriving,
        // or one of another protocol, which another session would take.
        if (consumed == 0 && left && !session.MidRequest()) {
          TT_FUZZ_CHECK(stops_before && stops_before(plan.payload.substr(
                                            unconsumed_begin, delivered - unconsumed_begin)));
          run.ended = true;
          break;
        }
        if (consumed == 0 || session.MidRequest()) break;
        after_job = false;
      }
    }
    if (run.ended) break;
  }
  run.unconsumed = delivered - unconsumed_begin;
  return run;
}

void FuzzSessionInput(
    const uint8_t* data, size_t size,
    const std::function<std::unique_ptr<ProtocolSession>(ServerContext*)>& make_session,
    const std::function<void(std::string_view appended)>& check_call,
    const std::function<bool(std::string_view rest)>& stops_before) {
  QuietLogs();
  const SessionPlan plan = ParseSessionPlan(data, size);
  ServerContext* context = PrepareContext(plan.ordered, plan.small_limits);
  std::unique_ptr<ProtocolSession> session = make_session(context);
  DriveSession(*session, plan, context->limits, check_call, stops_before);
}

}  // namespace tt::fuzz
