// The checks of the fuzz targets: a failed check prints what went wrong and
// aborts, which libFuzzer reports as a crash (keeping the input) and the
// replay test as a failure. Used for wrong behaviour that no sanitizer sees.
#pragma once

#include <cstdio>
#include <cstdlib>

// Aborts with the condition's text and place unless `condition` holds.
#define TT_FUZZ_CHECK(condition)                                                              \
  do {                                                                                        \
    if (!(condition)) {                                                                       \
      std::fprintf(stderr, "%s:%d: fuzz check failed: %s\n", __FILE__, __LINE__, #condition); \
      std::abort();                                                                           \
    }                                                                                         \
  } while (0)
