// KEEL_RAFT_CHECK: a broken invariant in the Raft core aborts loudly; an expected failure
// returns a Status instead.
#ifndef KEEL_CONTROLLER_RAFT_CHECK_H_
#define KEEL_CONTROLLER_RAFT_CHECK_H_

#include <cstdio>
#include <cstdlib>

#define KEEL_RAFT_CHECK(cond)                                                                  \
  do {                                                                                         \
    if (!(cond)) {                                                                             \
      std::fprintf(stderr, "%s:%d: raft invariant violated: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                            \
    }                                                                                          \
  } while (0)

#endif  // KEEL_CONTROLLER_RAFT_CHECK_H_
