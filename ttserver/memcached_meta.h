// The memcached meta commands (protocol.txt "Meta Commands"): mg, ms, md,
// ma, mn and me, replied as memcached 1.6 replies (HD/VA/EN/NF/NS/EX/MN/ME
// with the return flags in request order). Item semantics come from mc::
// (memcached_ops.h); the only logic of their own here is the recache token
// of mg (N vivify, R, and the W/Z/X reply flags), kept in the item's
// envelope state (partition/envelope.h).
#pragma once

#include <string>

#include "ttserver/memcached_text_command.h"
#include "ttserver/server_context.h"

namespace tt::mctext {

// Runs the meta command of `request` (its first token is two characters
// starting with 'm') and appends its reply to `out`. An unknown one
// answers ERROR, as memcached does. Counted in Stats::meta_cmds.
TextStep RunMetaCommand(ServerContext& context, const TextRequest& request, std::string* out);

}  // namespace tt::mctext
