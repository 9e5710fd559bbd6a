/*===- acc_runtime.h - the run-time support of compiled models ------------===*
 *
 * Part of the acc project.
 *
 * What a model compiled by acc calls at run time, besides libc and libm: a
 * fixed pool of worker threads that runs the parallel loops of the model,
 * and a caching allocator for its intermediate buffers.
 * Link libacc_runtime.a and -lpthread with every object acc-compile emits
 * (shared libraries built with `acc-compile --shared` contain it already).
 *
 * Threads: ACC_NUM_THREADS in the environment when the first parallel loop
 * runs, else the CPUs this process may run on. Results do not depend on the
 * thread count: every iteration of a parallel loop computes the same values
 * whichever thread runs it, and no iteration reads what another writes.
 *
 *===----------------------------------------------------------------------===*/

#ifndef ACC_RUNTIME_H
#define ACC_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One chunk of a parallel loop: iterations [begin, end) with the loop's
 * captured values in `ctx`. */
typedef void (*acc_rt_body_fn)(void *ctx, int64_t begin, int64_t end);

/* Runs body(ctx, begin, end) over contiguous chunks that cover [0, n) once,
 * on up to acc_rt_num_threads() threads, and returns when all have finished.
 * A call made from inside a parallel loop, or while another thread holds the
 * pool, runs serially on the calling thread. */
void acc_rt_parallel_for(acc_rt_body_fn body, void *ctx, int64_t n);

/* The number of threads parallel loops use (at least 1). */
int acc_rt_num_threads(void);

/* Failure reporting for compiled code (an allocation that returned NULL):
 * acc_rt_fail() inside a parallel loop's body marks the loop failed, and
 * the thread that called acc_rt_parallel_for sees it; outside, it marks the
 * calling thread. acc_rt_take_failure() returns 1 when a failure was marked
 * for the calling thread since the last take, and clears it. */
void acc_rt_fail(void);
int acc_rt_take_failure(void);

/* Heap buffers of compiled models (their intermediates). Freed blocks of
 * 64 KiB or more are kept, up to 512 MiB in all, and handed out again for
 * the same size: a model called repeatedly reuses its buffers instead of
 * page-faulting fresh memory on every call. When the system refuses a
 * block, the kept ones are released and the request tried once more; NULL
 * after that. Thread safe. */
void *acc_rt_alloc(size_t size);
void *acc_rt_aligned_alloc(size_t alignment, size_t size);
void acc_rt_free(void *ptr);
/* Returns every kept block to the system. */
void acc_rt_release_memory(void);
/* Bytes of live buffers from acc_rt_alloc: the most since the last reset
 * (or the start), and now. For memory measurements. */
size_t acc_rt_peak_bytes(void);
size_t acc_rt_live_bytes(void);
void acc_rt_reset_peak_bytes(void);

#ifdef __cplusplus
}
#endif

#endif /* ACC_RUNTIME_H */
