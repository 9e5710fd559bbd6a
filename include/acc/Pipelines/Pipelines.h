//===- Pipelines.h - acc's registered compilation pipelines -----*- C++ -*-===//
//
// Part of the acc project.
//
// Every pipeline is a registered C++ pipeline with options: acc-compile
// builds the same pipelines that acc-opt exposes, so any compile can be
// reproduced as one acc-opt command on an IR file.
//
//===----------------------------------------------------------------------===//

#ifndef ACC_PIPELINES_PIPELINES_H
#define ACC_PIPELINES_PIPELINES_H

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"

namespace acc {

/// The stop points of the CPU pipeline: every `acc-compile -emit=` level
/// past `nn` is one of them.
enum class CPUPipelineStop { Linalg, Buffers, LLVM };

struct CPUPipelineOptions
    : public mlir::PassPipelineOptions<CPUPipelineOptions> {
  Option<int64_t> queryBlock{*this, "query-block",
                             llvm::cl::desc("Query rows per attention tile"),
                             llvm::cl::init(64)};
  Option<int64_t> keyBlock{*this, "key-block",
                           llvm::cl::desc("Keys per attention tile"),
                           llvm::cl::init(64)};
  Option<int64_t> winogradMaxFilterBytes{
      *this, "winograd-max-filter-bytes",
      llvm::cl::desc("3x3 stride-1 convolutions with constant f32 filters "
                     "run as Winograd F(4x4,3x3) / F(2x2,3x3) when the "
                     "transformed filter takes at most this many bytes, "
                     "or 64 KiB per output tile (0: never; "
                     "nn-lower-to-linalg)"),
      llvm::cl::init(4 << 20)};
  Option<bool> vectorize{
      *this, "vectorize",
      llvm::cl::desc("Tile for registers and vectorize (nn-cpu-tile-and-"
                     "vectorize); off gives plain loops"),
      llvm::cl::init(true)};
  Option<int64_t> vectorWidth{
      *this, "vector-width",
      llvm::cl::desc("f32 lanes per vector: 16 (AVX-512) or 8 (AVX2)"),
      llvm::cl::init(16)};
  Option<bool> sinkTransposes{
      *this, "sink-transposes",
      llvm::cl::desc("Run nn-sink-transposes: NCHW layout transposes moved "
                     "below elementwise ops and cancelled between layers"),
      llvm::cl::init(true)};
  Option<bool> parallel{
      *this, "parallel",
      llvm::cl::desc("Run the outermost tile loops on acc's thread pool "
                     "(nn-cpu-parallelize; needs libacc_runtime at link time); "
                     "off gives single-threaded code"),
      llvm::cl::init(true)};
  Option<CPUPipelineStop> stopAfter{
      *this, "stop-after", llvm::cl::desc("Where the pipeline stops"),
      llvm::cl::init(CPUPipelineStop::LLVM),
      llvm::cl::values(
          clEnumValN(CPUPipelineStop::Linalg, "linalg",
                     "after the lowering to linalg on tensors (acc-compile "
                     "-emit=linalg)"),
          clEnumValN(CPUPipelineStop::Buffers, "buffers",
                     "after bufferization, on memrefs and loops"),
          clEnumValN(CPUPipelineStop::LLVM, "llvm",
                     "in the LLVM dialect, the whole pipeline (acc-compile "
                     "-emit=llvm-dialect and below)"))};
};

/// nn on tensors -> linalg -> bufferized loops -> LLVM dialect, with the
/// bare-pointer calling convention for memref arguments: a function with
/// static shapes becomes `int f(const float *in0, ..., float *out0, ...)`,
/// returning 0 on success (docs/ABI.md); one with dynamic dims takes them in
/// a trailing `const int64_t *dims`. With
/// `parallel`, the outermost tile loops call `acc_rt_parallel_for` from
/// acc's runtime (runtime/acc_runtime.h).
void buildCPUPipeline(mlir::OpPassManager &pm,
                      const CPUPipelineOptions &options);

/// Registers `nn-cpu-pipeline` for acc-opt.
void registerPipelines();

} // namespace acc

#endif // ACC_PIPELINES_PIPELINES_H
