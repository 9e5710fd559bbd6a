// RUN: acc-opt %s -nn-cpu-tile-and-vectorize -split-input-file | FileCheck %s

// The mechanism alone: nn-cpu-tile-and-vectorize applies hand-written
// lowering configurations (nn-cpu-select-tile-sizes.mlir tests the CPU
// strategy that writes them), and drops them.

#id = affine_map<(d0, d1) -> (d0, d1)>

// Tiles of 2 x 16, as configured; each tile vectorized whole.
// CHECK-LABEL: func.func @configured
// CHECK: scf.forall (%{{.+}}, %{{.+}}) = (0, 0) to (8, 64) step (2, 16)
// CHECK: vector.transfer_read {{.*}} : tensor<2x16xf32>, vector<2x16xf32>
// CHECK: arith.addf {{.*}} : vector<2x16xf32>
// CHECK-NOT: nn.lowering_config
func.func @configured(%a: tensor<8x64xf32>, %b: tensor<8x64xf32>) -> tensor<8x64xf32> {
  %e = tensor.empty() : tensor<8x64xf32>
  %0 = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%a, %b : tensor<8x64xf32>, tensor<8x64xf32>) outs(%e : tensor<8x64xf32>)
      attrs = {nn.lowering_config = #nn.lowering_config<tile_sizes = [2, 16]>} {
  ^bb0(%x: f32, %y: f32, %o: f32):
    %s = arith.addf %x, %y : f32
    linalg.yield %s : f32
  } -> tensor<8x64xf32>
  return %0 : tensor<8x64xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>

// The interchange orders the tile loops: columns outermost.
// CHECK-LABEL: func.func @interchanged
// CHECK: scf.forall (%{{.+}}, %{{.+}}) = (0, 0) to (64, 8) step (16, 2)
func.func @interchanged(%a: tensor<8x64xf32>, %b: tensor<8x64xf32>) -> tensor<8x64xf32> {
  %e = tensor.empty() : tensor<8x64xf32>
  %0 = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%a, %b : tensor<8x64xf32>, tensor<8x64xf32>) outs(%e : tensor<8x64xf32>)
      attrs = {nn.lowering_config = #nn.lowering_config<tile_sizes = [2, 16], interchange = [1, 0]>} {
  ^bb0(%x: f32, %y: f32, %o: f32):
    %s = arith.addf %x, %y : f32
    linalg.yield %s : f32
  } -> tensor<8x64xf32>
  return %0 : tensor<8x64xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>

// A root without a configuration is not tiled (and, larger than a register
// block, not vectorized either).
// CHECK-LABEL: func.func @unconfigured
// CHECK-NOT: scf.forall
// CHECK: linalg.generic
// CHECK-NOT: scf.forall
// CHECK: return
func.func @unconfigured(%a: tensor<8x64xf32>, %b: tensor<8x64xf32>) -> tensor<8x64xf32> {
  %e = tensor.empty() : tensor<8x64xf32>
  %0 = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%a, %b : tensor<8x64xf32>, tensor<8x64xf32>) outs(%e : tensor<8x64xf32>) {
  ^bb0(%x: f32, %y: f32, %o: f32):
    %s = arith.addf %x, %y : f32
    linalg.yield %s : f32
  } -> tensor<8x64xf32>
  return %0 : tensor<8x64xf32>
}

// -----

// Empty tile sizes: a reduction to one value, split into 16 partial sums
// (an scf.forall of 16 chunks of 4096) and their merge.
// CHECK-LABEL: func.func @split
// CHECK: scf.forall (%{{.+}}) = (0) to (65536) step (4096)
// CHECK-NOT: nn.lowering_config
func.func @split(%a: tensor<65536xf32>) -> tensor<f32> {
  %c0 = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<f32>
  %i = linalg.fill ins(%c0 : f32) outs(%e : tensor<f32>) -> tensor<f32>
  %0 = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> ()>], iterator_types = ["reduction"]}
      ins(%a : tensor<65536xf32>) outs(%i : tensor<f32>)
      attrs = {nn.lowering_config = #nn.lowering_config<tile_sizes = []>} {
  ^bb0(%x: f32, %o: f32):
    %s = arith.addf %o, %x : f32
    linalg.yield %s : f32
  } -> tensor<f32>
  return %0 : tensor<f32>
}
