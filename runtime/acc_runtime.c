/*===- acc_runtime.c - thread pool for compiled models --------------------===*
 *
 * Part of the acc project.
 *
 * A fixed pool of worker threads, started on the first parallel loop. The
 * caller publishes a job and bumps a generation counter; workers spin on it
 * for a short while (parallel loops come in quick succession in a model) and
 * then sleep on a condition variable. Chunk i of T covers iterations
 * [n*i/T, n*(i+1)/T): a static partition, so the work a thread does is fixed
 * by n and T alone.
 *
 *===----------------------------------------------------------------------===*/

#define _GNU_SOURCE
#include "acc_runtime.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { kMaxThreads = 256, kSpinIterations = 1 << 16 };

static struct {
  pthread_once_t once;
  int threads; /* including the caller */
  /* Serialises callers: one parallel loop in flight at a time. */
  pthread_mutex_t call;
  pthread_mutex_t mu;
  pthread_cond_t work, done;
  atomic_ulong generation;
  atomic_int pending; /* workers yet to finish the current job */
  atomic_int failed;  /* a chunk of the current job called acc_rt_fail */
  /* The current job, written before `generation` is bumped. */
  acc_rt_body_fn body;
  void *ctx;
  int64_t n;
} pool = {.once = PTHREAD_ONCE_INIT,
          .call = PTHREAD_MUTEX_INITIALIZER,
          .mu = PTHREAD_MUTEX_INITIALIZER,
          .work = PTHREAD_COND_INITIALIZER,
          .done = PTHREAD_COND_INITIALIZER};

/* Set while a thread runs a chunk: nested loops run serially. */
static _Thread_local int inParallelLoop;
/* Set while a thread runs a chunk of a pool job (not a serial fallback). */
static _Thread_local int inPoolJob;
/* A failure reported (acc_rt_fail) by code that ran for this thread's
 * call, and not yet taken (acc_rt_take_failure). */
static _Thread_local int callFailed;

static inline void relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

static void runChunk(int id) {
  int64_t n = pool.n, t = pool.threads;
  int64_t begin = n * id / t, end = n * (id + 1) / t;
  inPoolJob = 1;
  if (begin < end)
    pool.body(pool.ctx, begin, end);
  inPoolJob = 0;
}

void acc_rt_fail(void) {
  if (inPoolJob)
    atomic_store_explicit(&pool.failed, 1, memory_order_relaxed);
  else
    callFailed = 1;
}

int acc_rt_take_failure(void) {
  int failed = callFailed;
  callFailed = 0;
  return failed;
}

static void *worker(void *arg) {
  int id = (int)(intptr_t)arg;
  unsigned long seen = 0;
  inParallelLoop = 1;
  for (;;) {
    unsigned long g;
    int spins = 0;
    while ((g = atomic_load_explicit(&pool.generation, memory_order_acquire)) ==
           seen) {
      if (++spins < kSpinIterations) {
        relax();
        continue;
      }
      pthread_mutex_lock(&pool.mu);
      while ((g = atomic_load_explicit(&pool.generation,
                                       memory_order_acquire)) == seen)
        pthread_cond_wait(&pool.work, &pool.mu);
      pthread_mutex_unlock(&pool.mu);
      break;
    }
    seen = g;
    runChunk(id);
    if (atomic_fetch_sub_explicit(&pool.pending, 1, memory_order_acq_rel) ==
        1) {
      pthread_mutex_lock(&pool.mu);
      pthread_cond_signal(&pool.done);
      pthread_mutex_unlock(&pool.mu);
    }
  }
  return NULL;
}

static int defaultThreads(void) {
  const char *env = getenv("ACC_NUM_THREADS");
  if (env && *env) {
    char *end;
    long v = strtol(env, &end, 10);
    if (*end == '\0' && v >= 1)
      return v > kMaxThreads ? kMaxThreads : (int)v;
  }
#ifdef CPU_COUNT
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0)
    return CPU_COUNT(&set) > kMaxThreads ? kMaxThreads : CPU_COUNT(&set);
#endif
  long online = sysconf(_SC_NPROCESSORS_ONLN);
  if (online < 1)
    return 1;
  return online > kMaxThreads ? kMaxThreads : (int)online;
}

static void start(void) {
  int threads = defaultThreads();
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  /* Tiles live on the workers' stacks. */
  pthread_attr_setstacksize(&attr, 8u << 20);
  int started = 1;
  for (int i = 1; i < threads; ++i) {
    pthread_t t;
    if (pthread_create(&t, &attr, worker, (void *)(intptr_t)i) != 0)
      break; /* run with the threads we have */
    ++started;
  }
  pthread_attr_destroy(&attr);
  pool.threads = started;
}

int acc_rt_num_threads(void) {
  pthread_once(&pool.once, start);
  return pool.threads;
}

void acc_rt_parallel_for(acc_rt_body_fn body, void *ctx, int64_t n) {
  if (n <= 0)
    return;
  if (n == 1 || inParallelLoop || acc_rt_num_threads() == 1 ||
      pthread_mutex_trylock(&pool.call) != 0) {
    body(ctx, 0, n);
    return;
  }
  pool.body = body;
  pool.ctx = ctx;
  pool.n = n;
  atomic_store_explicit(&pool.failed, 0, memory_order_relaxed);
  atomic_store_explicit(&pool.pending, pool.threads - 1, memory_order_relaxed);
  pthread_mutex_lock(&pool.mu);
  atomic_fetch_add_explicit(&pool.generation, 1, memory_order_release);
  pthread_cond_broadcast(&pool.work);
  pthread_mutex_unlock(&pool.mu);

  inParallelLoop = 1;
  runChunk(0);
  inParallelLoop = 0;

  int spins = 0;
  while (atomic_load_explicit(&pool.pending, memory_order_acquire) != 0) {
    if (++spins < kSpinIterations) {
      relax();
      continue;
    }
    pthread_mutex_lock(&pool.mu);
    while (atomic_load_explicit(&pool.pending, memory_order_acquire) != 0)
      pthread_cond_wait(&pool.done, &pool.mu);
    pthread_mutex_unlock(&pool.mu);
    break;
  }
  /* The workers' writes are visible (pending was read with acquire). */
  if (atomic_load_explicit(&pool.failed, memory_order_relaxed))
    callFailed = 1;
  pthread_mutex_unlock(&pool.call);
}

/*===----------------------------------------------------------------------===*
 * Caching allocator
 *
 * Every block carries a header of `kAlign` bytes (or the requested alignment,
 * if larger) before the user pointer; its last 16 bytes hold the block's
 * size class and the header size.
 *===----------------------------------------------------------------------===*/

enum {
  kAlign = 64,
  kCacheMin = 64 << 10,
  kCacheSlots = 64,
};
static const size_t kCacheBytes = (size_t)512 << 20;

static struct {
  pthread_mutex_t mu;
  struct {
    void *base;
    size_t size;
  } slot[kCacheSlots];
  int used;
  size_t bytes;
  size_t live, peak; /* payload bytes handed out and not yet freed */
} cache = {.mu = PTHREAD_MUTEX_INITIALIZER};

static void countAlloc(size_t size) {
  pthread_mutex_lock(&cache.mu);
  cache.live += size;
  if (cache.live > cache.peak)
    cache.peak = cache.live;
  pthread_mutex_unlock(&cache.mu);
}

typedef struct {
  size_t size;   /* rounded payload size */
  size_t header; /* bytes from the block's base to the user pointer */
} BlockInfo;

static size_t roundSize(size_t size) {
  if (size < kCacheMin)
    return (size + kAlign - 1) & ~(size_t)(kAlign - 1);
  return (size + 4095) & ~(size_t)4095;
}

static void *userPointer(void *base, size_t size, size_t header) {
  char *p = (char *)base + header;
  BlockInfo info = {size, header};
  memcpy(p - sizeof(BlockInfo), &info, sizeof(BlockInfo));
  return p;
}

void *acc_rt_aligned_alloc(size_t alignment, size_t size) {
  size_t header = alignment > kAlign ? alignment : kAlign;
  size_t rounded = roundSize(size ? size : 1);
  if (header == kAlign && rounded >= kCacheMin) {
    pthread_mutex_lock(&cache.mu);
    for (int i = 0; i < cache.used; ++i)
      if (cache.slot[i].size == rounded) {
        void *base = cache.slot[i].base;
        cache.slot[i] = cache.slot[--cache.used];
        cache.bytes -= rounded;
        cache.live += rounded;
        if (cache.live > cache.peak)
          cache.peak = cache.live;
        pthread_mutex_unlock(&cache.mu);
        return userPointer(base, rounded, header);
      }
    pthread_mutex_unlock(&cache.mu);
  }
  void *base = NULL;
  if (posix_memalign(&base, header, rounded + header) != 0) {
    /* Out of memory: give the kept blocks back and try once more. */
    acc_rt_release_memory();
    if (posix_memalign(&base, header, rounded + header) != 0)
      return NULL;
  }
  countAlloc(rounded);
  return userPointer(base, rounded, header);
}

void *acc_rt_alloc(size_t size) { return acc_rt_aligned_alloc(kAlign, size); }

void acc_rt_free(void *ptr) {
  if (!ptr)
    return;
  BlockInfo info;
  memcpy(&info, (char *)ptr - sizeof(BlockInfo), sizeof(BlockInfo));
  void *base = (char *)ptr - info.header;
  pthread_mutex_lock(&cache.mu);
  cache.live -= info.size;
  pthread_mutex_unlock(&cache.mu);
  if (info.header == kAlign && info.size >= kCacheMin &&
      info.size <= kCacheBytes) {
    pthread_mutex_lock(&cache.mu);
    /* Make room: evict the oldest blocks. */
    while (cache.used > 0 && (cache.used == kCacheSlots ||
                              cache.bytes + info.size > kCacheBytes)) {
      free(cache.slot[0].base);
      cache.bytes -= cache.slot[0].size;
      memmove(&cache.slot[0], &cache.slot[1],
              (size_t)(cache.used - 1) * sizeof(cache.slot[0]));
      --cache.used;
    }
    cache.slot[cache.used].base = base;
    cache.slot[cache.used].size = info.size;
    ++cache.used;
    cache.bytes += info.size;
    pthread_mutex_unlock(&cache.mu);
    return;
  }
  free(base);
}

void acc_rt_release_memory(void) {
  pthread_mutex_lock(&cache.mu);
  for (int i = 0; i < cache.used; ++i)
    free(cache.slot[i].base);
  cache.used = 0;
  cache.bytes = 0;
  pthread_mutex_unlock(&cache.mu);
}

size_t acc_rt_peak_bytes(void) {
  pthread_mutex_lock(&cache.mu);
  size_t p = cache.peak;
  pthread_mutex_unlock(&cache.mu);
  return p;
}

size_t acc_rt_live_bytes(void) {
  pthread_mutex_lock(&cache.mu);
  size_t l = cache.live;
  pthread_mutex_unlock(&cache.mu);
  return l;
}

void acc_rt_reset_peak_bytes(void) {
  pthread_mutex_lock(&cache.mu);
  cache.peak = cache.live;
  pthread_mutex_unlock(&cache.mu);
}
