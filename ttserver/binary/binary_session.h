// The Tokyo Tyrant binary protocol on one connection: parses each request
// (binary_request.h), runs it against the Engine, encodes the reply byte for
// byte as the original does (binary-protocol.md §2–3). sync, optimize,
// vanish, copy, restore and the misc functions sync, optimize, vanish, defrag,
// regex and range may take long: unless masked, they are deferred
// (net/protocol_session.h) and run off the event loop.
#pragma once

#include <string>
#include <utility>

#include "engine/misc.h"
#include "ttserver/binary/binary_request.h"
#include "ttserver/net/protocol_session.h"
#include "ttserver/server_context.h"

namespace tt {

class BinarySession : public ProtocolSession {
 public:
  // `fd` is the connection's socket (reported by stat). `context` must outlive the session.
  BinarySession(ServerContext* context, int fd) : context_(context), fd_(fd) {}

  Result Process(std::string_view in, size_t* consumed, std::string* out) override;
  bool MidRequest() const override { return mid_request_; }
  DeferredWork TakeDeferred() override { return std::exchange(deferred_, nullptr); }
  HandOff TakeHandOff() override { return std::exchange(hand_off_, nullptr); }

 private:
  // Runs one parsed request, appending its reply. Returns kHandOff (or
  // kClose) for repl, and kDeferred, with the work in deferred_, for a slow
  // request.
  Result Execute(const BinaryRequest& request, std::string* out);
  Result ExecuteMisc(const BinaryRequest& request, std::string* out);
  // repl: refuses (kClose, no reply) or replies with our server id and
  // hands the socket to the feeder (kHandOff, the receiver in hand_off_);
  // without an update log, replies with the id and closes.
  Result StartRepl(const BinaryRequest& request, bool forbidden, std::string* out);
  // A masked slow command is answered with failure at once (kContinue);
  // otherwise `work` becomes deferred_ (kDeferred).
  Result DeferUnlessForbidden(bool forbidden, std::string* out, DeferredWork work);

  ServerContext* context_;
  int fd_;
  bool mid_request_ = false;
  IteratorState iterator_;
  DeferredWork deferred_;  // the slow request Process() stopped after
  HandOff hand_off_;       // the receiver of the socket after repl
};

}  // namespace tt
