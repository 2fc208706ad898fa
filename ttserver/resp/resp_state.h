// What the Redis protocol's connections of one server share beyond the
// ServerContext: the scans in progress (resp_scan.h).
#pragma once

#include <cstddef>

#include "ttserver/resp/resp_scan.h"

namespace tt::resp {

// The most scans kept at once, server-wide: each on a hash database holds
// an open Kyoto Cabinet cursor, which every write that frees space visits.
constexpr size_t kMaxScans = 256;

struct RespState {
  ScanTable scans{kMaxScans};
};

}  // namespace tt::resp
