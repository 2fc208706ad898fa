// The memcached meta commands (protocol.txt "Meta Commands"): mg, ms, md,
// ma, mn and me, replied as memcached 1.6 replies (HD/VA/EN/NF/NS/EX/MN/ME
// with the return flags in request order). Item semantics come from mc::
// (memcached_ops.h), the recache token's stub (mg N) and hand-out included;
// mg still chooses when to ask for the token (a stale item, or a TTL below
// R) and reports it in its W/Z/X flags.
#pragma once

#include <string>

#include "ttserver/memcached/memcached_text_command.h"
#include "ttserver/server_context.h"

namespace tt::mctext {

// Runs the meta command of `request` (its first token is two characters
// starting with 'm') and appends its reply to `out`. An unknown one
// answers ERROR, as memcached does. Counted in Stats::meta_cmds.
TextStep RunMetaCommand(ServerContext& context, const TextRequest& request, std::string* out);

}  // namespace tt::mctext
