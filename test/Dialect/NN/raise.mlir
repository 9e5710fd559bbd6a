// RUN: acc-opt %s -nn-raise -split-input-file | FileCheck %s

// Attention with heads folded into the batch (as nn.MultiheadAttention
// exports it): the scale on Q, Kᵀ from a transpose composed into one.
// CHECK-LABEL: func.func @mha
// CHECK-SAME: (%[[Q:.*]]: tensor<8x100x64xf32>, %[[K:.*]]: tensor<100x8x64xf32>, %[[V:.*]]: tensor<8x100x64xf32>)
// CHECK: %[[KT:.*]] = linalg.transpose ins(%[[K]] : tensor<100x8x64xf32>) outs(%{{.*}} : tensor<8x100x64xf32>) permutation = [1, 0, 2]
// CHECK: %[[Q4:.*]] = tensor.expand_shape %[[Q]] {{\[}}[0, 1], [2], [3]] output_shape [1, 8, 100, 64]
// CHECK: %[[K4:.*]] = tensor.expand_shape %[[KT]]
// CHECK: %[[V4:.*]] = tensor.expand_shape %[[V]]
// CHECK: %[[O:.*]] = nn.attention %[[Q4]], %[[K4]], %[[V4]] {scale = 1.250000e-01 : f32}
// CHECK: %[[R:.*]] = tensor.collapse_shape %[[O]] {{\[}}[0, 1], [2], [3]] : tensor<1x8x100x64xf32> into tensor<8x100x64xf32>
// CHECK: return %[[R]]
// CHECK-NOT: nn.softmax
func.func @mha(%q: tensor<8x100x64xf32>, %k: tensor<100x8x64xf32>,
               %v: tensor<8x100x64xf32>) -> tensor<8x100x64xf32> {
  %c8 = arith.constant dense<8.0> : tensor<f32>
  %qs = nn.div %q, %c8 : (tensor<8x100x64xf32>, tensor<f32>) -> tensor<8x100x64xf32>
  %e = tensor.empty() : tensor<8x64x100xf32>
  %kt = linalg.transpose ins(%k : tensor<100x8x64xf32>) outs(%e : tensor<8x64x100xf32>) permutation = [1, 2, 0]
  %s = nn.matmul %qs, %kt : (tensor<8x100x64xf32>, tensor<8x64x100xf32>) -> tensor<8x100x100xf32>
  %p = nn.softmax %s {axis = 2 : i64} : tensor<8x100x100xf32>
  %o = nn.matmul %p, %v : (tensor<8x100x100xf32>, tensor<8x100x64xf32>) -> tensor<8x100x64xf32>
  return %o : tensor<8x100x64xf32>
}

// -----

// Rank 4, the scale on the scores (as a mul), a causal -inf mask with
// Nq < Nk (queries aligned to the end of the keys).
// CHECK-LABEL: func.func @causal
// The two transposes of K compose to the identity: K is used as it is.
// CHECK-NOT: linalg.transpose
// CHECK: nn.attention %arg0, %arg1, %arg2 mask(causal) {scale = 5.000000e-01 : f32}
func.func @causal(%q: tensor<1x2x3x4xf32>, %k: tensor<1x2x6x4xf32>,
                  %v: tensor<1x2x6x4xf32>) -> tensor<1x2x3x4xf32> {
  %e = tensor.empty() : tensor<1x2x4x6xf32>
  %kt = linalg.transpose ins(%k : tensor<1x2x6x4xf32>) outs(%e : tensor<1x2x4x6xf32>) permutation = [0, 1, 3, 2]
  %s = nn.matmul %q, %kt : (tensor<1x2x3x4xf32>, tensor<1x2x4x6xf32>) -> tensor<1x2x3x6xf32>
  %half = arith.constant dense<0.5> : tensor<f32>
  %ss = nn.mul %s, %half : (tensor<1x2x3x6xf32>, tensor<f32>) -> tensor<1x2x3x6xf32>
  %ninf = arith.constant dense<[[0.0, 0.0, 0.0, 0.0, 0xFF800000, 0xFF800000],
                                [0.0, 0.0, 0.0, 0.0, 0.0, 0xFF800000],
                                [0.0, 0.0, 0.0, 0.0, 0.0, 0.0]]> : tensor<3x6xf32>
  %m = nn.add %ss, %ninf : (tensor<1x2x3x6xf32>, tensor<3x6xf32>) -> tensor<1x2x3x6xf32>
  %p = nn.softmax %m : tensor<1x2x3x6xf32>
  %o = nn.matmul %p, %v : (tensor<1x2x3x6xf32>, tensor<1x2x6x4xf32>) -> tensor<1x2x3x4xf32>
  return %o : tensor<1x2x3x4xf32>
}

// -----

// Any other mask is the op's additive mask (a runtime one here).
// CHECK-LABEL: func.func @additive
// CHECK: nn.attention %{{.*}}, %{{.*}}, %{{.*}} additive_mask(%arg3) {scale = 1.000000e+00 : f32}
func.func @additive(%q: tensor<2x5x8xf32>, %kt: tensor<2x8x5xf32>,
                    %v: tensor<2x5x8xf32>, %bias: tensor<5x5xf32>) -> tensor<2x5x8xf32> {
  %s = nn.matmul %q, %kt : (tensor<2x5x8xf32>, tensor<2x8x5xf32>) -> tensor<2x5x5xf32>
  %m = nn.add %s, %bias : (tensor<2x5x5xf32>, tensor<5x5xf32>) -> tensor<2x5x5xf32>
  %p = nn.softmax %m : tensor<2x5x5xf32>
  %o = nn.matmul %p, %v : (tensor<2x5x5xf32>, tensor<2x5x8xf32>) -> tensor<2x5x8xf32>
  return %o : tensor<2x5x8xf32>
}

// -----

// Not attention: the scores have another user (the probabilities are
// returned), or the softmax runs over another axis.
// CHECK-LABEL: func.func @scores_used
// CHECK-NOT: nn.attention
// CHECK: nn.matmul
// CHECK: nn.softmax
// CHECK: nn.matmul
func.func @scores_used(%q: tensor<2x5x8xf32>, %kt: tensor<2x8x5xf32>,
                       %v: tensor<2x5x8xf32>) -> (tensor<2x5x8xf32>, tensor<2x5x5xf32>) {
  %s = nn.matmul %q, %kt : (tensor<2x5x8xf32>, tensor<2x8x5xf32>) -> tensor<2x5x5xf32>
  %p = nn.softmax %s : tensor<2x5x5xf32>
  %o = nn.matmul %p, %v : (tensor<2x5x5xf32>, tensor<2x5x8xf32>) -> tensor<2x5x8xf32>
  return %o, %p : tensor<2x5x8xf32>, tensor<2x5x5xf32>
}
// CHECK-LABEL: func.func @other_axis
// CHECK-NOT: nn.attention
func.func @other_axis(%q: tensor<2x5x8xf32>, %kt: tensor<2x8x5xf32>,
                      %v: tensor<2x5x8xf32>) -> tensor<2x5x8xf32> {
  %s = nn.matmul %q, %kt : (tensor<2x5x8xf32>, tensor<2x8x5xf32>) -> tensor<2x5x5xf32>
  %p = nn.softmax %s {axis = 1 : i64} : tensor<2x5x5xf32>
  %o = nn.matmul %p, %v : (tensor<2x5x5xf32>, tensor<2x5x8xf32>) -> tensor<2x5x8xf32>
  return %o : tensor<2x5x8xf32>
}

// -----

// The erf GELU in PyTorch's association order, and with x * 0.5 first.
// CHECK-LABEL: func.func @gelu
// CHECK: %[[G1:.*]] = nn.gelu %arg0 : tensor<4x16xf32>
// CHECK: %[[G2:.*]] = nn.gelu %arg1 : tensor<4x16xf32>
// CHECK: return %[[G1]], %[[G2]]
// CHECK-NOT: linalg.erf
func.func @gelu(%x: tensor<4x16xf32>, %y: tensor<4x16xf32>) -> (tensor<4x16xf32>, tensor<4x16xf32>) {
  %sqrt2 = arith.constant dense<1.41421354> : tensor<f32>
  %one = arith.constant dense<1.0> : tensor<f32>
  %half = arith.constant dense<0.5> : tensor<f32>
  %d = nn.div %x, %sqrt2 : (tensor<4x16xf32>, tensor<f32>) -> tensor<4x16xf32>
  %e0 = tensor.empty() : tensor<4x16xf32>
  %e = linalg.erf ins(%d : tensor<4x16xf32>) outs(%e0 : tensor<4x16xf32>) -> tensor<4x16xf32>
  %a = nn.add %e, %one : (tensor<4x16xf32>, tensor<f32>) -> tensor<4x16xf32>
  %m = nn.mul %x, %a : (tensor<4x16xf32>, tensor<4x16xf32>) -> tensor<4x16xf32>
  %g = nn.mul %m, %half : (tensor<4x16xf32>, tensor<f32>) -> tensor<4x16xf32>
  %inv = arith.constant dense<0.707106769> : tensor<f32>
  %d2 = nn.mul %y, %inv : (tensor<4x16xf32>, tensor<f32>) -> tensor<4x16xf32>
  %f0 = tensor.empty() : tensor<4x16xf32>
  %f = linalg.erf ins(%d2 : tensor<4x16xf32>) outs(%f0 : tensor<4x16xf32>) -> tensor<4x16xf32>
  %b = nn.add %one, %f : (tensor<f32>, tensor<4x16xf32>) -> tensor<4x16xf32>
  %yh = nn.mul %y, %half : (tensor<4x16xf32>, tensor<f32>) -> tensor<4x16xf32>
  %h = nn.mul %yh, %b : (tensor<4x16xf32>, tensor<4x16xf32>) -> tensor<4x16xf32>
  return %g, %h : tensor<4x16xf32>, tensor<4x16xf32>
}

// -----

// Not GELU: the divisor is not sqrt(2).
// CHECK-LABEL: func.func @not_gelu
// CHECK-NOT: nn.gelu
// CHECK: linalg.erf
func.func @not_gelu(%x: tensor<4x16xf32>) -> tensor<4x16xf32> {
  %c = arith.constant dense<2.0> : tensor<f32>
  %one = arith.constant dense<1.0> : tensor<f32>
  %half = arith.constant dense<0.5> : tensor<f32>
  %d = nn.div %x, %c : (tensor<4x16xf32>, tensor<f32>) -> tensor<4x16xf32>
  %e0 = tensor.empty() : tensor<4x16xf32>
  %e = linalg.erf ins(%d : tensor<4x16xf32>) outs(%e0 : tensor<4x16xf32>) -> tensor<4x16xf32>
  %a = nn.add %e, %one : (tensor<4x16xf32>, tensor<f32>) -> tensor<4x16xf32>
  %m = nn.mul %x, %a : (tensor<4x16xf32>, tensor<4x16xf32>) -> tensor<4x16xf32>
  %g = nn.mul %m, %half : (tensor<4x16xf32>, tensor<f32>) -> tensor<4x16xf32>
  return %g : tensor<4x16xf32>
}

// -----

// A bias add after a linear layer, 1-D or [1, N] (reshaped), either side.
// CHECK-LABEL: func.func @bias
// CHECK: %[[B:.*]] = arith.constant dense<{{.*}}> : tensor<3xf32>
// CHECK: %[[Y:.*]] = nn.linear %arg0, %arg1 bias(%arg2) : (tensor<5x4xf32>, tensor<3x4xf32>, tensor<3xf32>) -> tensor<5x3xf32>
// CHECK: %[[Z:.*]] = nn.linear %arg0, %arg1 bias(%[[B]])
// CHECK: return %[[Y]], %[[Z]]
func.func @bias(%x: tensor<5x4xf32>, %w: tensor<3x4xf32>, %b: tensor<3xf32>) -> (tensor<5x3xf32>, tensor<5x3xf32>) {
  %l = nn.linear %x, %w : (tensor<5x4xf32>, tensor<3x4xf32>) -> tensor<5x3xf32>
  %y = nn.add %b, %l : (tensor<3xf32>, tensor<5x3xf32>) -> tensor<5x3xf32>
  %c = arith.constant dense<[[1.0, 2.0, 3.0]]> : tensor<1x3xf32>
  %l2 = nn.linear %x, %w : (tensor<5x4xf32>, tensor<3x4xf32>) -> tensor<5x3xf32>
  %z = nn.add %l2, %c : (tensor<5x3xf32>, tensor<1x3xf32>) -> tensor<5x3xf32>
  return %y, %z : tensor<5x3xf32>, tensor<5x3xf32>
}

// -----

// Not a bias: the add broadcasts over rows, or the linear has other users.
// CHECK-LABEL: func.func @not_bias
// CHECK: nn.linear %arg0, %arg1 : (tensor<5x4xf32>, tensor<3x4xf32>) -> tensor<5x3xf32>
// CHECK: nn.add
// CHECK: nn.linear %arg0, %arg1 : (tensor<5x4xf32>, tensor<3x4xf32>) -> tensor<5x3xf32>
// CHECK: nn.add
func.func @not_bias(%x: tensor<5x4xf32>, %w: tensor<3x4xf32>, %r: tensor<5x1xf32>,
                    %b: tensor<3xf32>) -> (tensor<5x3xf32>, tensor<5x3xf32>, tensor<5x3xf32>) {
  %l = nn.linear %x, %w : (tensor<5x4xf32>, tensor<3x4xf32>) -> tensor<5x3xf32>
  %y = nn.add %l, %r : (tensor<5x3xf32>, tensor<5x1xf32>) -> tensor<5x3xf32>
  %l2 = nn.linear %x, %w : (tensor<5x4xf32>, tensor<3x4xf32>) -> tensor<5x3xf32>
  %z = nn.add %l2, %b : (tensor<5x3xf32>, tensor<3xf32>) -> tensor<5x3xf32>
  return %y, %z, %l2 : tensor<5x3xf32>, tensor<5x3xf32>, tensor<5x3xf32>
}

// -----

// PyTorch's layer norm before opset 17, as the importer translates it: the
// statistics as reductions scaled by 1/n, then (x - mean) / sqrt(var + eps),
// then the affine parameters.
// CHECK-LABEL: func.func @layer_norm
// CHECK: %[[LN:.+]] = nn.layer_norm %arg0 weight(%{{.+}}) bias(%{{.+}}) {axis = 1 : i64} : (tensor<3x4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<3x4xf32>
// CHECK: return %[[LN]]
// CHECK-NOT: linalg.reduce
func.func @layer_norm(%x: tensor<3x4xf32>) -> tensor<3x4xf32> {
  %zero = arith.constant 0.0 : f32
  %quarter = arith.constant dense<0.25> : tensor<f32>
  %eps = arith.constant dense<1.0e-5> : tensor<f32>
  %g = arith.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  %b = arith.constant dense<[[0.5, 0.5, 0.5, 0.5]]> : tensor<1x4xf32>
  %e0 = tensor.empty() : tensor<3xf32>
  %f0 = linalg.fill ins(%zero : f32) outs(%e0 : tensor<3xf32>) -> tensor<3xf32>
  %s0 = linalg.reduce ins(%x : tensor<3x4xf32>) outs(%f0 : tensor<3xf32>) dimensions = [1]
    (%in: f32, %acc: f32) {
      %a = arith.addf %in, %acc : f32
      linalg.yield %a : f32
    }
  %m0 = nn.mul %s0, %quarter : (tensor<3xf32>, tensor<f32>) -> tensor<3xf32>
  %mean = tensor.expand_shape %m0 [[0, 1]] output_shape [3, 1] : tensor<3xf32> into tensor<3x1xf32>
  %d = nn.sub %x, %mean : (tensor<3x4xf32>, tensor<3x1xf32>) -> tensor<3x4xf32>
  %sq = nn.mul %d, %d : (tensor<3x4xf32>, tensor<3x4xf32>) -> tensor<3x4xf32>
  %e1 = tensor.empty() : tensor<3xf32>
  %f1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<3xf32>) -> tensor<3xf32>
  %s1 = linalg.reduce ins(%sq : tensor<3x4xf32>) outs(%f1 : tensor<3xf32>) dimensions = [1]
    (%in: f32, %acc: f32) {
      %a = arith.addf %in, %acc : f32
      linalg.yield %a : f32
    }
  %m1 = nn.mul %s1, %quarter : (tensor<3xf32>, tensor<f32>) -> tensor<3xf32>
  %var = tensor.expand_shape %m1 [[0, 1]] output_shape [3, 1] : tensor<3xf32> into tensor<3x1xf32>
  %ve = nn.add %var, %eps : (tensor<3x1xf32>, tensor<f32>) -> tensor<3x1xf32>
  %e2 = tensor.empty() : tensor<3x1xf32>
  %sd = linalg.sqrt ins(%ve : tensor<3x1xf32>) outs(%e2 : tensor<3x1xf32>) -> tensor<3x1xf32>
  %n = nn.div %d, %sd : (tensor<3x4xf32>, tensor<3x1xf32>) -> tensor<3x4xf32>
  %w = nn.mul %n, %g : (tensor<3x4xf32>, tensor<4xf32>) -> tensor<3x4xf32>
  %y = nn.add %w, %b : (tensor<3x4xf32>, tensor<1x4xf32>) -> tensor<3x4xf32>
  return %y : tensor<3x4xf32>
}

// -----

// Not a layer norm: the mean is scaled by 1/3 over 4 elements.
// CHECK-LABEL: func.func @not_layer_norm
// CHECK-NOT: nn.layer_norm
// CHECK: nn.div
func.func @not_layer_norm(%x: tensor<3x4xf32>) -> tensor<3x4xf32> {
  %zero = arith.constant 0.0 : f32
  %third = arith.constant dense<0.333333343> : tensor<f32>
  %eps = arith.constant dense<1.0e-5> : tensor<f32>
  %e0 = tensor.empty() : tensor<3xf32>
  %f0 = linalg.fill ins(%zero : f32) outs(%e0 : tensor<3xf32>) -> tensor<3xf32>
  %s0 = linalg.reduce ins(%x : tensor<3x4xf32>) outs(%f0 : tensor<3xf32>) dimensions = [1]
    (%in: f32, %acc: f32) {
      %a = arith.addf %in, %acc : f32
      linalg.yield %a : f32
    }
  %m0 = nn.mul %s0, %third : (tensor<3xf32>, tensor<f32>) -> tensor<3xf32>
  %mean = tensor.expand_shape %m0 [[0, 1]] output_shape [3, 1] : tensor<3xf32> into tensor<3x1xf32>
  %d = nn.sub %x, %mean : (tensor<3x4xf32>, tensor<3x1xf32>) -> tensor<3x4xf32>
  %sq = nn.mul %d, %d : (tensor<3x4xf32>, tensor<3x4xf32>) -> tensor<3x4xf32>
  %e1 = tensor.empty() : tensor<3xf32>
  %f1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<3xf32>) -> tensor<3xf32>
  %s1 = linalg.reduce ins(%sq : tensor<3x4xf32>) outs(%f1 : tensor<3xf32>) dimensions = [1]
    (%in: f32, %acc: f32) {
      %a = arith.addf %in, %acc : f32
      linalg.yield %a : f32
    }
  %m1 = nn.mul %s1, %third : (tensor<3xf32>, tensor<f32>) -> tensor<3xf32>
  %var = tensor.expand_shape %m1 [[0, 1]] output_shape [3, 1] : tensor<3xf32> into tensor<3x1xf32>
  %ve = nn.add %var, %eps : (tensor<3x1xf32>, tensor<f32>) -> tensor<3x1xf32>
  %e2 = tensor.empty() : tensor<3x1xf32>
  %sd = linalg.sqrt ins(%ve : tensor<3x1xf32>) outs(%e2 : tensor<3x1xf32>) -> tensor<3x1xf32>
  %n = nn.div %d, %sd : (tensor<3x4xf32>, tensor<3x1xf32>) -> tensor<3x4xf32>
  return %n : tensor<3x4xf32>
}
