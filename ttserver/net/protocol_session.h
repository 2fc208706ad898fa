// The seam between a connection (bytes in, bytes out, owned by one worker
// thread) and a protocol (bytes ⇄ requests ⇄ Engine). A connection creates its
// session from the first byte it receives and then feeds it every byte that
// arrives, in order.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace tt {

// Reply bytes one ProtocolSession::Process() call produces before it stops
// taking further requests.
constexpr size_t kReplyBatchBytes = 4u << 20;

class ProtocolSession {
 public:
  enum class Result {
    kContinue,  // keep the connection; call again when more bytes arrive
    kClose,     // send what is in `out`, then close the connection
    kDeferred,  // the last request consumed is slow: run TakeDeferred()'s work
    kHandOff,   // the socket leaves the connection: give it to TakeHandOff()'s receiver
  };
  // The work of a slow request: runs on a thread other than the connection's
  // and returns the request's reply bytes. A work that throws closes the
  // connection (its reply is lost).
  using DeferredWork = std::function<std::string()>;
  // The new owner of a connection's socket (a replication stream, which must
  // not hold a worker thread for its lifetime): called once, on the
  // connection's thread, with the socket — its ownership included —, the
  // reply bytes not yet sent, which it must send first, and the client's
  // "host:port" (the socket's own peer is a socket pair for TLS clients).
  using HandOff = std::function<void(int fd, std::string unsent, std::string peer)>;

  virtual ~ProtocolSession() = default;

  // Handles the whole requests at the front of `in`, appending the replies
  // to `out` in request order, and sets *consumed to the bytes used (a partial
  // request at the end is left unconsumed). Never blocks on the network.
  // Stops early, leaving whole requests unconsumed, once this call has
  // appended kReplyBatchBytes: a peer that pipelines requests without reading
  // the replies then costs bounded memory, and the caller calls again (with
  // MidRequest() false and input left) once its output has drained. The
  // caller also stops calling when a call consumes nothing, so a session that
  // stops inside one long request (a many-key get) must consume the part it
  // has answered.
  //
  // A request that may take long (a full scan, optimize, copy, ...) must not
  // run here: it would stall every other connection of the worker thread
  // (design.md "Rules that keep this shape"). Instead Process() stops right
  // after it and returns kDeferred, with `out` holding the replies of the
  // requests before it and *consumed counting the slow request too. The
  // caller then calls TakeDeferred() once, runs the work off the event loop,
  // and appends the work's result to the output; only then does it call
  // Process() again, with the input that followed — even when there is none,
  // so that a session can end the connection (kClose) after that reply. So replies stay in request
  // order, and the session is never called concurrently with its own work.
  // The bytes of `in` may be reused once consumed: the work must own copies
  // of everything it reads from the request, and must not touch the session
  // (which is, however, kept alive until the work has returned).
  virtual Result Process(std::string_view in, size_t* consumed, std::string* out) = 0;

  // The work of the request that made Process() return kDeferred, handed
  // over exactly once (nullptr if there is none).
  virtual DeferredWork TakeDeferred() { return nullptr; }

  // The receiver of the socket after Process() returned kHandOff, handed
  // over exactly once (nullptr if there is none). Process() returns kHandOff
  // right after the request that asks for it, with its reply in `out`; input
  // that followed it is discarded.
  virtual HandOff TakeHandOff() { return nullptr; }

  // True while a request is partly received (for the -tout request deadline,
  // as opposed to the idle timeout between requests).
  virtual bool MidRequest() const = 0;
};

}  // namespace tt
