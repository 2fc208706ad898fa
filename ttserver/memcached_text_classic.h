// The classic memcached text commands (protocol.txt "Commands"): storage
// (set add replace append prepend cas), retrieval (get gets gat gats),
// delete, incr, decr, touch, flush_all, stats, version, verbosity and quit,
// replied byte for byte as memcached 1.6 replies, over mc:: operations
// (memcached_ops.h).
#pragma once

#include <string>

#include "ttserver/memcached_text_command.h"
#include "ttserver/protocol_session.h"
#include "ttserver/server_context.h"

namespace tt::mctext {

// Runs the classic command of `request` and appends its reply to `out`. An
// unknown command or a wrong token count answers ERROR; a line that ends in
// an HTTP version closes the connection, as in memcached. flush_all without
// a delay empties the database, which may take long: it leaves that work in
// *deferred and returns kDeferred.
TextStep RunClassicCommand(ServerContext& context, const TextRequest& request, std::string* out,
                           ProtocolSession::DeferredWork* deferred);

}  // namespace tt::mctext
