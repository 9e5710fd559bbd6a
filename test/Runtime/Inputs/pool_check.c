/* Checks acc_rt_parallel_for: every iteration runs exactly once, for any n
 * and thread count; nested loops and concurrent callers complete and cover
 * their ranges; the thread count follows ACC_NUM_THREADS.
 * usage: pool_check EXPECTED_THREADS (0: any) */
#include "acc_runtime.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

static int failures;
#define CHECK(cond, ...)                                                       \
  do {                                                                         \
    if (!(cond)) {                                                             \
      printf("FAIL: " __VA_ARGS__);                                            \
      printf("\n");                                                            \
      ++failures;                                                              \
    }                                                                          \
  } while (0)

struct counts {
  atomic_int *hits;
  int64_t n;
  atomic_int badRange;
};

static void count(void *p, int64_t begin, int64_t end) {
  struct counts *c = p;
  if (begin < 0 || end > c->n || begin >= end)
    atomic_fetch_add(&c->badRange, 1);
  for (int64_t i = begin; i < end; ++i)
    atomic_fetch_add(&c->hits[i], 1);
}

static int cover(int64_t n) {
  struct counts c = {calloc(n ? n : 1, sizeof(atomic_int)), n, 0};
  acc_rt_parallel_for(count, &c, n);
  int ok = atomic_load(&c.badRange) == 0;
  for (int64_t i = 0; i < n; ++i)
    ok &= atomic_load(&c.hits[i]) == 1;
  free(c.hits);
  return ok;
}

static void nestedBody(void *p, int64_t begin, int64_t end) {
  atomic_int *ok = p;
  for (int64_t i = begin; i < end; ++i)
    if (!cover(37 + i))
      atomic_store(ok, 0);
}

static void *caller(void *p) {
  int *ok = p;
  for (int r = 0; r < 200; ++r)
    if (!cover(1 + (r * 7) % 300))
      *ok = 0;
  return NULL;
}

int main(int argc, char **argv) {
  int expected = argc > 1 ? atoi(argv[1]) : 0;
  int threads = acc_rt_num_threads();
  CHECK(threads >= 1, "acc_rt_num_threads() = %d", threads);
  if (expected)
    CHECK(threads == expected, "%d threads, expected %d", threads, expected);

  int64_t sizes[] = {0, 1, 2, 3, 5, 7, 64, 1000, 100003};
  for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); ++i)
    CHECK(cover(sizes[i]), "n = %lld not covered exactly once",
          (long long)sizes[i]);
  for (int r = 0; r < 2000; ++r) /* quick succession: spin/sleep paths */
    if (!cover(r % 17)) {
      CHECK(0, "repeated loop %d", r);
      break;
    }

  atomic_int nestedOk = 1;
  acc_rt_parallel_for(nestedBody, &nestedOk, 8);
  CHECK(atomic_load(&nestedOk), "nested parallel loops");

  pthread_t t[4];
  int ok[4] = {1, 1, 1, 1};
  for (int i = 0; i < 4; ++i)
    pthread_create(&t[i], NULL, caller, &ok[i]);
  for (int i = 0; i < 4; ++i) {
    pthread_join(t[i], NULL);
    CHECK(ok[i], "concurrent caller %d", i);
  }
  printf("%s: %d threads\n", failures ? "FAILED" : "OK", threads);
  return failures != 0;
}
