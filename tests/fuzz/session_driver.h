// How a fuzz input drives a protocol session: the way a connection
// (ttserver/net/connection.cc) does. The plan also picks the store and the
// limits of the session's context (fuzz_world.h PrepareContext).
//
//   input := plan payload
//   plan  := 0xFF                     the payload arrives one byte at a time
//                                     (hash store, default limits)
//          | bits:u8 cut:u8*(bits & 7)  the payload arrives in (bits & 7) + 1
//                                     chunks: chunk i holds cut_i + 1 bytes,
//                                     the last one the rest
//   bits & 0x08: a tree store (ordered) instead of a hash store
//   bits & 0x10: small limits (keys of 16 bytes, values of 64), so the
//                refusals of long keys and values are reached by short inputs
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ttserver/net/protocol_session.h"
#include "ttserver/server_context.h"

namespace tt::fuzz {

struct SessionPlan {
  std::vector<size_t> chunks;  // sizes of the chunks the payload arrives in, in order
  bool ordered = false;
  bool small_limits = false;
  std::string_view payload;
};

// Splits a fuzz input into its plan and payload (any input is a valid plan).
SessionPlan ParseSessionPlan(const uint8_t* data, size_t size);

// What DriveSession saw.
struct SessionRun {
  std::string out;        // every reply byte
  bool ended = false;     // kClose or kHandOff, or stopped before another protocol's request
  size_t unconsumed = 0;  // payload bytes left in the buffer at the end
};

// Delivers plan.payload to `session` in the plan's chunks: bytes a call does
// not consume stay in front of the next chunk, a deferred request's work runs
// inline, and nothing is delivered after kClose or kHandOff. Checks (aborting
// on failure) that the session keeps the ProtocolSession contract: no call
// consumes more than it is given; a call that consumes nothing of a
// non-empty input is mid-request (otherwise the connection would wait
// forever with a request in its buffer), or stops before a request of
// another protocol (`stops_before` of the bytes from there on is true), which ends
// the run, as the connection's ProtocolSwitch would take that request to
// another session; kDeferred consumes its request and
// comes with work, kHandOff with a receiver; one call appends at most
// kReplyBatchBytes plus the largest reply one request can have under
// `limits` (or with what the payload can store). `check_call` (may be
// empty) is given the bytes each call, or deferred work, appended.
// `stops_before` empty: the session takes every request (a ProtocolSwitch).
SessionRun DriveSession(ProtocolSession& session, const SessionPlan& plan, const Limits& limits,
                        const std::function<void(std::string_view appended)>& check_call,
                        const std::function<bool(std::string_view rest)>& stops_before = nullptr);

// One fuzz input of a session target: its plan picks the context
// (PrepareContext), `make_session` makes the session over it, and
// DriveSession delivers the payload, with `check_call` and `stops_before`.
void FuzzSessionInput(
    const uint8_t* data, size_t size,
    const std::function<std::unique_ptr<ProtocolSession>(ServerContext*)>& make_session,
    const std::function<void(std::string_view appended)>& check_call,
    const std::function<bool(std::string_view rest)>& stops_before = nullptr);

}  // namespace tt::fuzz
