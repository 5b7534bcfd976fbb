// KEEL_CHECK: a broken invariant aborts loudly, naming the file, line and condition; an
// expected failure (I/O error, corruption, bad input) returns a Status instead.
//
// A leaf with no dependencies, so every room (storage and the Raft core included) uses this
// one header.
#ifndef KEEL_COMMON_CHECK_H_
#define KEEL_COMMON_CHECK_H_

#include <cstdio>
#include <cstdlib>

#define KEEL_CHECK(cond)                                                                  \
  do {                                                                                    \
    if (!(cond)) {                                                                        \
      std::fprintf(stderr, "%s:%d: invariant violated: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                       \
    }                                                                                     \
  } while (0)

#endif  // KEEL_COMMON_CHECK_H_
