// The text of the binary `stat` command (binary-protocol.md §3.18): the
// original's fields in its order, then ours.
#pragma once

#include <string>

#include "ttserver/server_context.h"

namespace tt {

// `fd` is the asking connection's socket. With `counters_only` (stat masked)
// only the cnt_* lines are produced, as the original does.
std::string BuildStatReport(ServerContext& context, int fd, bool counters_only);

}  // namespace tt
