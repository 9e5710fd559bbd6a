/* run_model: runs a model compiled by acc-compile on inputs read from files.
 *
 *   acc-compile model.mlir -o model.o --header model.h
 *   cc -I. -DACC_MODEL_HEADER='"model.h"' run_model.c model.o \
 *      build/lib/libacc_runtime.a -lm -lpthread -o run_model
 *   ./run_model in0.bin ... out0.bin ...
 *
 * Every file holds one dense row-major float32 buffer (native byte order)
 * with exactly the element count the header states. Inputs are read, the
 * entry runs once (or --repeat N times, reporting the median time), and the
 * outputs are written. Exit status 0 on success; a located message and 1 on
 * any error. */
#include ACC_MODEL_HEADER

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int readBuffer(const char *path, float *buf, long elements) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "run_model: cannot open input '%s'\n", path);
    return 1;
  }
  size_t got = fread(buf, sizeof(float), (size_t)elements, f);
  int extra = fgetc(f) != EOF;
  fclose(f);
  if ((long)got != elements || extra) {
    fprintf(stderr,
            "run_model: input '%s' must hold exactly %ld float32 values\n",
            path, elements);
    return 1;
  }
  return 0;
}

static int writeBuffer(const char *path, const float *buf, long elements) {
  FILE *f = fopen(path, "wb");
  if (!f ||
      fwrite(buf, sizeof(float), (size_t)elements, f) != (size_t)elements) {
    fprintf(stderr, "run_model: cannot write output '%s'\n", path);
    if (f)
      fclose(f);
    return 1;
  }
  return fclose(f) != 0;
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + 1e-9 * t.tv_nsec;
}

static int compareDouble(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  const long inElems[] = ACC_INPUT_ELEMENTS;
  const long outElems[] = ACC_OUTPUT_ELEMENTS;
  int repeat = 1, first = 1;
  if (argc > 2 && strcmp(argv[1], "--repeat") == 0) {
    repeat = atoi(argv[2]);
    first = 3;
  }
  if (repeat < 1 || argc - first != ACC_NUM_INPUTS + ACC_NUM_OUTPUTS) {
    fprintf(stderr,
            "usage: %s [--repeat N] <%d input files> <%d output files> "
            "(model %s)\n",
            argv[0], ACC_NUM_INPUTS, ACC_NUM_OUTPUTS, ACC_MODEL_NAME);
    return 1;
  }
  float *in[ACC_NUM_INPUTS], *out[ACC_NUM_OUTPUTS];
  for (int i = 0; i < ACC_NUM_INPUTS; ++i) {
    in[i] = malloc(sizeof(float) * inElems[i]);
    if (!in[i] || readBuffer(argv[first + i], in[i], inElems[i]))
      return 1;
  }
  for (int i = 0; i < ACC_NUM_OUTPUTS; ++i)
    if (!(out[i] = malloc(sizeof(float) * outElems[i])))
      return 1;
  double *times = malloc(sizeof(double) * repeat);
  for (int r = 0; r < repeat; ++r) {
    double t0 = now();
    int status = acc_run((const float *const *)in, out);
    times[r] = now() - t0;
    if (status != 0) {
      fprintf(stderr, "run_model: %s returned %d\n", ACC_MODEL_NAME, status);
      return 1;
    }
  }
  for (int i = 0; i < ACC_NUM_OUTPUTS; ++i)
    if (writeBuffer(argv[first + ACC_NUM_INPUTS + i], out[i], outElems[i]))
      return 1;
  qsort(times, repeat, sizeof(double), compareDouble);
  printf("%s: ok, %d run(s), median %.3f ms\n", ACC_MODEL_NAME, repeat,
         1e3 * times[repeat / 2]);
  return 0;
}
