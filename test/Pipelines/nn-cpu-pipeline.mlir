// RUN: acc-opt %s --nn-cpu-pipeline | FileCheck %s
// RUN: acc-opt %s --nn-cpu-pipeline=stop-after=buffers | FileCheck %s --check-prefix=BUF
// RUN: acc-opt %s --nn-cpu-pipeline=parallel=false | FileCheck %s --check-prefix=SERIAL

// The whole CPU pipeline: static shapes give the bare-pointer ABI, results
// become trailing output pointers, the entry returns an int status (0), and
// nothing calls into MLIR's runtime.
// CHECK-LABEL: llvm.func @block(%arg0: !llvm.ptr, %arg1: !llvm.ptr, %arg2: !llvm.ptr, %arg3: !llvm.ptr, %arg4: !llvm.ptr) -> i32
// CHECK-NOT: memrefCopy
// CHECK-NOT: dealloc_helper
// CHECK-NOT: nn.
// CHECK-NOT: func.func
// The tile loops run on acc's thread pool through outlined bodies:
// CHECK: llvm.call @acc_rt_parallel_for
// CHECK: llvm.func @block_par(%{{.+}}: !llvm.ptr, %{{.+}}: i64, %{{.+}}: i64)
// CHECK: llvm.func @acc_rt_parallel_for(!llvm.ptr, !llvm.ptr, i64)
// Single-threaded code calls nothing:
// SERIAL-LABEL: llvm.func @block
// SERIAL-NOT: acc_rt
// SERIAL-NOT: _par

// BUF-LABEL: func.func @block(%arg0: memref<1x8x6x6xf32>, %arg1: memref<8x8x3x3xf32>, %arg2: memref<1x4x9x16xf32>, %arg3: memref<1x4x9x16xf32>, %arg4: memref<1x4x9x16xf32>)
// BUF-NOT: tensor<
// BUF: return
func.func @block(%x: tensor<1x8x6x6xf32>, %w: tensor<8x8x3x3xf32>, %q: tensor<1x4x9x16xf32>, %k: tensor<1x4x9x16xf32>)
    -> tensor<1x4x9x16xf32> {
  %0 = nn.block "b" kind(hybrid) -> tensor<1x4x9x16xf32> {
    %c = nn.conv2d %x, %w layout(nchw) {padding = array<i64: 1, 1, 1, 1>} : (tensor<1x8x6x6xf32>, tensor<8x8x3x3xf32>) -> tensor<1x8x6x6xf32>
    %a = nn.attention %q, %k, %k mask(causal) : (tensor<1x4x9x16xf32>, tensor<1x4x9x16xf32>, tensor<1x4x9x16xf32>) -> tensor<1x4x9x16xf32>
    nn.yield %a : tensor<1x4x9x16xf32>
  }
  return %0 : tensor<1x4x9x16xf32>
}
