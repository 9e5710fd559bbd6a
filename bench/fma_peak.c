/* fma_peak: measures the machine's fp32 FMA throughput (GFLOP/s) with 1..T
 * threads: independent FMA chains in registers, nothing from memory.
 * usage: fma_peak THREADS   prints "threads gflops" per line for 1..THREADS.
 * Built by bench/run.py with -O2 -march=native. */
#include <immintrin.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#if defined(__AVX512F__)
typedef __m512 vec;
#define LANES 16
#define FMA(a, b, c) _mm512_fmadd_ps(a, b, c)
#define SET1(x) _mm512_set1_ps(x)
#define SUM(v) _mm512_reduce_add_ps(v)
#else
typedef __m256 vec;
#define LANES 8
#define FMA(a, b, c) _mm256_fmadd_ps(a, b, c)
#define SET1(x) _mm256_set1_ps(x)
static float SUM(__m256 v) {
  float t[8];
  _mm256_storeu_ps(t, v);
  return t[0] + t[1] + t[2] + t[3] + t[4] + t[5] + t[6] + t[7];
}
#endif

enum { CHAINS = 12 };
static const long ITER = 50000000;

static void *work(void *out) {
  vec a = SET1(0.999999f), b = SET1(1e-7f);
  vec c0 = SET1(0), c1 = SET1(1), c2 = SET1(2), c3 = SET1(3), c4 = SET1(4),
      c5 = SET1(5), c6 = SET1(6), c7 = SET1(7), c8 = SET1(8), c9 = SET1(9),
      c10 = SET1(10), c11 = SET1(11);
  for (long n = 0; n < ITER; ++n) {
    c0 = FMA(c0, a, b);
    c1 = FMA(c1, a, b);
    c2 = FMA(c2, a, b);
    c3 = FMA(c3, a, b);
    c4 = FMA(c4, a, b);
    c5 = FMA(c5, a, b);
    c6 = FMA(c6, a, b);
    c7 = FMA(c7, a, b);
    c8 = FMA(c8, a, b);
    c9 = FMA(c9, a, b);
    c10 = FMA(c10, a, b);
    c11 = FMA(c11, a, b);
  }
  *(float *)out = SUM(c0) + SUM(c1) + SUM(c2) + SUM(c3) + SUM(c4) + SUM(c5) +
                  SUM(c6) + SUM(c7) + SUM(c8) + SUM(c9) + SUM(c10) + SUM(c11);
  return NULL;
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + 1e-9 * t.tv_nsec;
}

int main(int argc, char **argv) {
  int maxThreads = argc > 1 ? atoi(argv[1]) : 1;
  for (int t = 1; t <= maxThreads; ++t) {
    pthread_t th[64];
    float sink[64];
    double t0 = now();
    for (int i = 0; i < t; ++i)
      pthread_create(&th[i], NULL, work, &sink[i]);
    for (int i = 0; i < t; ++i)
      pthread_join(th[i], NULL);
    double secs = now() - t0;
    double flops = 2.0 * LANES * CHAINS * (double)ITER * t;
    printf("%d %.1f\n", t, flops / secs / 1e9);
  }
  return 0;
}
