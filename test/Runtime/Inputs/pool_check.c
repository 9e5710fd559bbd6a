/* Checks acc_rt_parallel_for: every iteration runs exactly once, for any n
 * and thread count; nested loops and concurrent callers complete and cover
 * their ranges; the thread count follows ACC_NUM_THREADS; the caching
 * allocator aligns, reuses and keeps blocks apart.
 * usage: pool_check EXPECTED_THREADS (0: any) */
#include "acc_runtime.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* Reports a failure from the chunk that holds iteration `*(int64_t *)p`. */
static void failAt(void *p, int64_t begin, int64_t end) {
  int64_t at = *(int64_t *)p;
  if (begin <= at && at < end)
    acc_rt_fail();
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
  /* The caching allocator: alignment, reuse of a freed large block, no
   * overlap between live blocks, contents intact. */
  for (size_t align = 16; align <= 4096; align *= 4) {
    char *p = acc_rt_aligned_alloc(align, 1000);
    CHECK(p && ((uintptr_t)p % align) == 0, "alignment %zu", align);
    memset(p, 1, 1000);
    acc_rt_free(p);
  }
  char *big = acc_rt_alloc(1 << 20);
  CHECK(((uintptr_t)big % 64) == 0, "default alignment");
  memset(big, 7, 1 << 20);
  acc_rt_free(big);
  char *again = acc_rt_alloc(1 << 20);
  CHECK(again == big, "a freed 1 MiB block is reused");
  char *other = acc_rt_alloc(1 << 20);
  CHECK(other != again, "live blocks are distinct");
  memset(other, 3, 1 << 20);
  int intact = 1;
  for (int i = 0; i < (1 << 20); ++i)
    intact &= other[i] == 3;
  CHECK(intact, "block contents");
  acc_rt_free(again);
  acc_rt_free(other);
  acc_rt_free(NULL);
  for (int r = 0; r < 200; ++r) { /* more than the cache holds */
    char *x = acc_rt_alloc((size_t)(64 + r) << 10);
    x[0] = 1;
    acc_rt_free(x);
  }
  acc_rt_release_memory();

  /* Live and peak byte counts. */
  size_t live0 = acc_rt_live_bytes();
  acc_rt_reset_peak_bytes();
  char *a = acc_rt_alloc(3 << 20), *b2 = acc_rt_alloc(1 << 20);
  CHECK(acc_rt_live_bytes() == live0 + (4 << 20), "live bytes %zu",
        acc_rt_live_bytes());
  acc_rt_free(a);
  acc_rt_free(b2);
  CHECK(acc_rt_live_bytes() == live0, "live bytes after free");
  CHECK(acc_rt_peak_bytes() == live0 + (4 << 20), "peak bytes %zu",
        acc_rt_peak_bytes());

  /* Failures: reported from any chunk of a loop, seen once by the caller;
   * outside loops, by the thread itself; a clean loop reports none. */
  CHECK(acc_rt_take_failure() == 0, "no failure at first");
  for (int64_t at = 0; at < 64; at += 21) {
    acc_rt_parallel_for(failAt, &at, 64);
    CHECK(acc_rt_take_failure() == 1, "failure at %lld not seen",
          (long long)at);
    CHECK(acc_rt_take_failure() == 0, "failure seen twice");
  }
  int64_t never = -1;
  acc_rt_parallel_for(failAt, &never, 64);
  CHECK(acc_rt_take_failure() == 0, "a clean loop reported a failure");
  acc_rt_fail();
  CHECK(acc_rt_take_failure() == 1, "failure outside a loop not seen");

  printf("%s: %d threads\n", failures ? "FAILED" : "OK", threads);
  return failures != 0;
}
