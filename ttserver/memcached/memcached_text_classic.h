// The classic memcached text commands (protocol.txt "Commands"): storage
// (set add replace append prepend cas), retrieval (get gets gat gats),
// delete, incr, decr, touch, flush_all, stats, slabs, version, verbosity and quit,
// replied byte for byte as memcached 1.6 replies, over mc:: operations
// (memcached_ops.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "ttserver/memcached/memcached_text_command.h"
#include "ttserver/net/protocol_session.h"
#include "ttserver/server_context.h"

namespace tt::mctext {

// A get, gets, gat or gats whose reply stopped when the batch of replies of
// a Process() call was full (kReplyBatchBytes): a short line naming a big
// item many times must not make a reply of unbounded size in one call. The
// rest of the line stays in the input; the counts below are from its front.
struct PendingRetrieval {
  bool with_cas = false;  // gets, gats
  bool touch = false;     // gat, gats
  int64_t exptime = 0;    // gat, gats
  size_t keys_left = 0;   // bytes holding the keys not answered yet
  size_t line_left = 0;   // bytes up to the end of the line, its line ending included
};

// What a classic command leaves to the session besides its reply.
struct ClassicLeftover {
  ProtocolSession::DeferredWork deferred;     // kDeferred: the slow work (flush_all)
  std::optional<PendingRetrieval> retrieval;  // kPaused: the rest of a retrieval
};

// Runs the classic command of `request` and appends its reply to `out`. An
// unknown command or a wrong token count answers ERROR; a line that ends in
// an HTTP version closes the connection, as in memcached. flush_all without
// a delay empties the database, which may take long: it leaves that work in
// leftover->deferred and returns kDeferred. A retrieval whose reply reaches
// request.batch_end before its last key leaves the rest in
// leftover->retrieval and returns kPaused.
TextStep RunClassicCommand(ServerContext& context, const TextRequest& request, std::string* out,
                           ClassicLeftover* leftover);

// Goes on with *pending, whose rest of line is at the front of `in`:
// answers its keys until they are all answered (then appends END and resets
// *pending) or out->size() reaches `batch_end`. Returns the bytes of `in`
// used. The reply is the same as if the retrieval had run in one piece.
size_t ContinueRetrieval(ServerContext& context, std::string_view in, size_t batch_end,
                         std::string* out, std::optional<PendingRetrieval>* pending);

}  // namespace tt::mctext
