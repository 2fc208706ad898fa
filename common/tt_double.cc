#include "common/tt_double.h"

#include <cmath>
#include <limits>

namespace tt {

namespace {
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
}  // namespace

TtDouble EncodeTtDouble(double x) {
  if (std::isnan(x)) return {kMin, kMin};
  if (std::isinf(x)) return x > 0 ? TtDouble{kMax, 0} : TtDouble{kMin, 0};
  double integral;
  double fraction = std::modf(x, &integral);
  // Out-of-range integral parts are undefined in the original (x86 gives INT64_MIN).
  if (integral >= 9.2233720368547758e18 || integral < -9.2233720368547758e18) {
    return {kMin, static_cast<int64_t>(fraction * 1e12)};
  }
  return {static_cast<int64_t>(integral), static_cast<int64_t>(fraction * 1e12)};
}

double DecodeTtDouble(TtDouble d) {
  if (d.integ == kMin && d.fract == kMin) return std::numeric_limits<double>::quiet_NaN();
  if (d.integ == kMax) return std::numeric_limits<double>::infinity();
  if (d.integ == kMin) return -std::numeric_limits<double>::infinity();
  return static_cast<double>(d.integ) + static_cast<double>(d.fract) / 1e12;
}

}  // namespace tt
