// KEEL_STORAGE_CHECK: a broken invariant of the storage layer aborts loudly; an expected
// failure (I/O error, corruption, bad argument) returns a Status instead.
#ifndef KEEL_STORAGE_CHECK_H_
#define KEEL_STORAGE_CHECK_H_

#include <cstdio>
#include <cstdlib>

#define KEEL_STORAGE_CHECK(cond)                                                                  \
  do {                                                                                            \
    if (!(cond)) {                                                                                \
      std::fprintf(stderr, "%s:%d: storage invariant violated: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                               \
    }                                                                                             \
  } while (0)

#endif  // KEEL_STORAGE_CHECK_H_
