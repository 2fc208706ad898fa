// Size limits. The protocol constants are the original's hard limits; Limits
// holds the operator-tunable ones (ttserver --max-key, --max-value, ...).
#pragma once

#include <cstddef>
#include <cstdint>

namespace tt {

// Largest key/value/name/path/argument length the binary protocol accepts (inclusive).
constexpr uint32_t kProtocolMaxSize = 268435456;  // 256 MiB
// Largest mget key count and misc argument count.
constexpr uint32_t kProtocolMaxListCount = 1048576;
// ext and misc function names must be shorter than this.
constexpr uint32_t kProtocolMaxNameSize = 1024;

struct Limits {
  size_t max_key = 1 << 20;               // bytes; longer keys are refused
  size_t max_value = kProtocolMaxSize;    // bytes; longer values are refused
  // bytes of key plus value of a memcached item (memcached's -I, 1 MiB by
  // default): the memcached protocols refuse larger ones. At most max_value.
  size_t mc_item_max = 1 << 20;
  int max_conns = 10000;                  // open client connections; more are closed at accept
  double idle_timeout_s = 0;              // close connections idle this long; 0 = never
  double request_timeout_s = 0;           // -tout: a request must arrive whole within this; 0 = never
};

}  // namespace tt
