// The binary protocol's encoding of a real number as two signed 64-bit
// integers (binary-protocol.md §3.11): integ = integral part truncated toward
// zero, fract = fractional part x 1e12 truncated toward zero, same sign.
// NaN = (INT64_MIN, INT64_MIN), +inf = (INT64_MAX, 0), -inf = (INT64_MIN, 0).
#pragma once

#include <cstdint>

namespace tt {

struct TtDouble {
  int64_t integ = 0;
  int64_t fract = 0;
};

TtDouble EncodeTtDouble(double x);
double DecodeTtDouble(TtDouble d);

}  // namespace tt
