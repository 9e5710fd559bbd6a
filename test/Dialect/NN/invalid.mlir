// RUN: acc-opt %s -split-input-file -verify-diagnostics

// One case for every error the nn verifiers emit.

//===----------------------------------------------------------------------===//
// Shared checks
//===----------------------------------------------------------------------===//

func.func @mixed_element_types(%a: tensor<4xf32>, %b: tensor<4xf16>) {
  // expected-error @+1 {{'nn.add' op operand #1 has element type 'f16' but operand #0 has 'f32'; all tensors of the op must agree}}
  %0 = nn.add %a, %b : (tensor<4xf32>, tensor<4xf16>) -> tensor<4xf32>
  return
}

// -----

func.func @integer_tensor(%a: tensor<4xi32>) {
  // expected-error @+1 {{'nn.relu' op operand #0 must be ranked tensor of 16-bit float or bfloat16 type or 32-bit float values}}
  %0 = nn.relu %a : tensor<4xi32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// conv2d
//===----------------------------------------------------------------------===//

func.func @conv_result(%x: tensor<1x3x224x224xf32>, %w: tensor<64x3x7x7xf32>) {
  // expected-error @+1 {{'nn.conv2d' op result has shape [1, 64, 224, 224] but the expected shape is [1, 64, 109, 109]}}
  %0 = nn.conv2d %x, %w layout(nchw) {strides = array<i64: 2, 2>}
       : (tensor<1x3x224x224xf32>, tensor<64x3x7x7xf32>) -> tensor<1x64x224x224xf32>
  return
}

// -----

func.func @conv_filter_channels(%x: tensor<1x4x8x8xf32>, %w: tensor<8x3x3x3xf32>) {
  // expected-error @+1 {{'nn.conv2d' op 'filter' dimension 1 (input channels per group) is 3 but 4 was expected (shape [8, 3, 3, 3])}}
  %0 = nn.conv2d %x, %w layout(nchw) : (tensor<1x4x8x8xf32>, tensor<8x3x3x3xf32>) -> tensor<1x8x6x6xf32>
  return
}

// -----

func.func @conv_nhwc_filter_channels(%x: tensor<1x8x8x4xf32>, %w: tensor<3x3x4x8xf32>) {
  // expected-error @+1 {{'nn.conv2d' op 'filter' dimension 2 (input channels per group) is 4 but 2 was expected (shape [3, 3, 4, 8])}}
  %0 = nn.conv2d %x, %w layout(nhwc) {groups = 2} : (tensor<1x8x8x4xf32>, tensor<3x3x4x8xf32>) -> tensor<1x6x6x8xf32>
  return
}

// -----

func.func @conv_groups_input(%x: tensor<1x6x8x8xf32>, %w: tensor<8x1x3x3xf32>) {
  // expected-error @+1 {{'nn.conv2d' op input channels 6 are not a multiple of groups 4}}
  %0 = nn.conv2d %x, %w layout(nchw) {groups = 4} : (tensor<1x6x8x8xf32>, tensor<8x1x3x3xf32>) -> tensor<1x8x6x6xf32>
  return
}

// -----

func.func @conv_groups_output(%x: tensor<1x4x8x8xf32>, %w: tensor<6x1x3x3xf32>) {
  // expected-error @+1 {{'nn.conv2d' op filter output channels 6 are not a multiple of groups 4}}
  %0 = nn.conv2d %x, %w layout(nchw) {groups = 4} : (tensor<1x4x8x8xf32>, tensor<6x1x3x3xf32>) -> tensor<1x6x6x6xf32>
  return
}

// -----

func.func @conv_groups_zero(%x: tensor<1x4x8x8xf32>, %w: tensor<8x4x3x3xf32>) {
  // expected-error @+1 {{'nn.conv2d' op attribute 'groups' failed to satisfy constraint: 64-bit signless integer attribute whose value is positive}}
  %0 = nn.conv2d %x, %w layout(nchw) {groups = 0} : (tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>) -> tensor<1x8x6x6xf32>
  return
}

// -----

func.func @conv_bias(%x: tensor<1x4x8x8xf32>, %w: tensor<8x4x3x3xf32>, %b: tensor<4xf32>) {
  // expected-error @+1 {{'nn.conv2d' op 'bias' dimension 0 (output channels) is 4 but 8 was expected (shape [4])}}
  %0 = nn.conv2d %x, %w bias(%b) layout(nchw) : (tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>, tensor<4xf32>) -> tensor<1x8x6x6xf32>
  return
}

// -----

func.func @conv_stride_zero(%x: tensor<1x4x8x8xf32>, %w: tensor<8x4x3x3xf32>) {
  // expected-error @+1 {{'nn.conv2d' op 'strides' must be positive, got [0, 1]}}
  %0 = nn.conv2d %x, %w layout(nchw) {strides = array<i64: 0, 1>} : (tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>) -> tensor<1x8x6x6xf32>
  return
}

// -----

func.func @conv_dilation_zero(%x: tensor<1x4x8x8xf32>, %w: tensor<8x4x3x3xf32>) {
  // expected-error @+1 {{'nn.conv2d' op 'dilations' must be positive, got [1, 0]}}
  %0 = nn.conv2d %x, %w layout(nchw) {dilations = array<i64: 1, 0>} : (tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>) -> tensor<1x8x6x6xf32>
  return
}

// -----

func.func @conv_negative_padding(%x: tensor<1x4x8x8xf32>, %w: tensor<8x4x3x3xf32>) {
  // expected-error @+1 {{'nn.conv2d' op 'padding' must be non-negative, got [0, -1, 0, 0]}}
  %0 = nn.conv2d %x, %w layout(nchw) {padding = array<i64: 0, -1, 0, 0>} : (tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>) -> tensor<1x8x6x6xf32>
  return
}

// -----

func.func @conv_padding_count(%x: tensor<1x4x8x8xf32>, %w: tensor<8x4x3x3xf32>) {
  // expected-error @+1 {{'nn.conv2d' op attribute 'padding' failed to satisfy constraint: i64 dense array attribute with exactly 4 elements}}
  %0 = nn.conv2d %x, %w layout(nchw) {padding = array<i64: 1, 1>} : (tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>) -> tensor<1x8x8x8xf32>
  return
}

// -----

func.func @conv_window_too_large(%x: tensor<1x4x2x8xf32>, %w: tensor<8x4x3x3xf32>) {
  // expected-error @+1 {{'nn.conv2d' op padded input height 2 is smaller than the dilated window 3}}
  %0 = nn.conv2d %x, %w layout(nchw) : (tensor<1x4x2x8xf32>, tensor<8x4x3x3xf32>) -> tensor<1x8x1x6xf32>
  return
}

// -----

func.func @conv_rank(%x: tensor<4x8x8xf32>, %w: tensor<8x4x3x3xf32>) {
  // expected-error @+1 {{'nn.conv2d' op operand #0 must be 4D tensor of 16-bit float or bfloat16 type or 32-bit float values}}
  %0 = nn.conv2d %x, %w layout(nchw) : (tensor<4x8x8xf32>, tensor<8x4x3x3xf32>) -> tensor<1x8x6x6xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// attention
//===----------------------------------------------------------------------===//

func.func @attn_key_batch(%q: tensor<2x8x16x64xf32>, %k: tensor<3x8x16x64xf32>, %v: tensor<2x8x16x64xf32>) {
  // expected-error @+1 {{'nn.attention' op 'key' dimension 0 (batch) is 3 but 2 was expected (shape [3, 8, 16, 64])}}
  %0 = nn.attention %q, %k, %v : (tensor<2x8x16x64xf32>, tensor<3x8x16x64xf32>, tensor<2x8x16x64xf32>) -> tensor<2x8x16x64xf32>
  return
}

// -----

func.func @attn_value_batch(%q: tensor<2x8x16x64xf32>, %k: tensor<2x8x16x64xf32>, %v: tensor<1x8x16x64xf32>) {
  // expected-error @+1 {{'nn.attention' op 'value' dimension 0 (batch) is 1 but 2 was expected (shape [1, 8, 16, 64])}}
  %0 = nn.attention %q, %k, %v : (tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32>, tensor<1x8x16x64xf32>) -> tensor<2x8x16x64xf32>
  return
}

// -----

func.func @attn_head_dim(%q: tensor<1x8x16x64xf32>, %k: tensor<1x8x16x32xf32>, %v: tensor<1x8x16x64xf32>) {
  // expected-error @+1 {{'nn.attention' op 'key' dimension 3 (head dim D) is 32 but 64 was expected (shape [1, 8, 16, 32])}}
  %0 = nn.attention %q, %k, %v : (tensor<1x8x16x64xf32>, tensor<1x8x16x32xf32>, tensor<1x8x16x64xf32>) -> tensor<1x8x16x64xf32>
  return
}

// -----

func.func @attn_value_heads(%q: tensor<1x8x16x64xf32>, %k: tensor<1x2x16x64xf32>, %v: tensor<1x4x16x64xf32>) {
  // expected-error @+1 {{'nn.attention' op 'value' dimension 1 (kv heads) is 4 but 2 was expected (shape [1, 4, 16, 64])}}
  %0 = nn.attention %q, %k, %v : (tensor<1x8x16x64xf32>, tensor<1x2x16x64xf32>, tensor<1x4x16x64xf32>) -> tensor<1x8x16x64xf32>
  return
}

// -----

func.func @attn_value_length(%q: tensor<1x8x16x64xf32>, %k: tensor<1x8x32x64xf32>, %v: tensor<1x8x16x64xf32>) {
  // expected-error @+1 {{'nn.attention' op 'value' dimension 2 (key length Nk) is 16 but 32 was expected (shape [1, 8, 16, 64])}}
  %0 = nn.attention %q, %k, %v : (tensor<1x8x16x64xf32>, tensor<1x8x32x64xf32>, tensor<1x8x16x64xf32>) -> tensor<1x8x16x64xf32>
  return
}

// -----

func.func @attn_gqa(%q: tensor<1x6x16x64xf32>, %k: tensor<1x4x16x64xf32>, %v: tensor<1x4x16x64xf32>) {
  // expected-error @+1 {{'nn.attention' op query heads 6 are not a multiple of key/value heads 4}}
  %0 = nn.attention %q, %k, %v : (tensor<1x6x16x64xf32>, tensor<1x4x16x64xf32>, tensor<1x4x16x64xf32>) -> tensor<1x6x16x64xf32>
  return
}

// -----

func.func @attn_dynamic_d(%q: tensor<1x8x16x?xf32>, %k: tensor<1x8x16x?xf32>, %v: tensor<1x8x16x64xf32>) {
  // expected-error @+1 {{'nn.attention' op a dynamic head dim needs an explicit 'scale'}}
  %0 = nn.attention %q, %k, %v : (tensor<1x8x16x?xf32>, tensor<1x8x16x?xf32>, tensor<1x8x16x64xf32>) -> tensor<1x8x16x64xf32>
  return
}

// -----

func.func @attn_window_missing(%q: tensor<1x8x16x64xf32>) {
  // expected-error @+1 {{'nn.attention' op mask(sliding_window) requires a 'window' size}}
  %0 = nn.attention %q, %q, %q mask(sliding_window) : (tensor<1x8x16x64xf32>, tensor<1x8x16x64xf32>, tensor<1x8x16x64xf32>) -> tensor<1x8x16x64xf32>
  return
}

// -----

func.func @attn_window_unexpected(%q: tensor<1x8x16x64xf32>) {
  // expected-error @+1 {{'nn.attention' op 'window' is only allowed with mask(sliding_window)}}
  %0 = nn.attention %q, %q, %q mask(causal) {window = 4} : (tensor<1x8x16x64xf32>, tensor<1x8x16x64xf32>, tensor<1x8x16x64xf32>) -> tensor<1x8x16x64xf32>
  return
}

// -----

func.func @attn_window_zero(%q: tensor<1x8x16x64xf32>) {
  // expected-error @+1 {{'nn.attention' op attribute 'window' failed to satisfy constraint: 64-bit signless integer attribute whose value is positive}}
  %0 = nn.attention %q, %q, %q mask(sliding_window) {window = 0} : (tensor<1x8x16x64xf32>, tensor<1x8x16x64xf32>, tensor<1x8x16x64xf32>) -> tensor<1x8x16x64xf32>
  return
}

// -----

func.func @attn_mask_rank(%q: tensor<1x8x16x64xf32>, %m: tensor<16xf32>) {
  // expected-error @+1 {{'nn.attention' op 'additive_mask' must have rank 2 to 4, got 1}}
  %0 = nn.attention %q, %q, %q additive_mask(%m) : (tensor<1x8x16x64xf32>, tensor<1x8x16x64xf32>, tensor<1x8x16x64xf32>, tensor<16xf32>) -> tensor<1x8x16x64xf32>
  return
}

// -----

func.func @attn_mask_rank5(%q: tensor<1x8x16x64xf32>, %m: tensor<1x1x1x16x16xf32>) {
  // expected-error @+1 {{'nn.attention' op 'additive_mask' must have rank 2 to 4, got 5}}
  %0 = nn.attention %q, %q, %q additive_mask(%m) : (tensor<1x8x16x64xf32>, tensor<1x8x16x64xf32>, tensor<1x8x16x64xf32>, tensor<1x1x1x16x16xf32>) -> tensor<1x8x16x64xf32>
  return
}

// -----

func.func @attn_mask_shape(%q: tensor<1x8x16x64xf32>, %k: tensor<1x8x32x64xf32>, %m: tensor<16x16xf32>) {
  // expected-error @+1 {{'nn.attention' op 'additive_mask' shape [16, 16] does not broadcast to [B, Hq, Nq, Nk] = [1, 8, 16, 32]}}
  %0 = nn.attention %q, %k, %k additive_mask(%m) : (tensor<1x8x16x64xf32>, tensor<1x8x32x64xf32>, tensor<1x8x32x64xf32>, tensor<16x16xf32>) -> tensor<1x8x16x64xf32>
  return
}

// -----

func.func @attn_result(%q: tensor<1x8x16x64xf32>, %v: tensor<1x8x16x32xf32>) {
  // expected-error @+1 {{'nn.attention' op result has shape [1, 8, 16, 64] but the expected shape is [1, 8, 16, 32]}}
  %0 = nn.attention %q, %q, %v : (tensor<1x8x16x64xf32>, tensor<1x8x16x64xf32>, tensor<1x8x16x32xf32>) -> tensor<1x8x16x64xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// linear, matmul
//===----------------------------------------------------------------------===//

func.func @linear_scalar(%x: tensor<f32>, %w: tensor<4x4xf32>) {
  // expected-error @+1 {{'nn.linear' op 'input' must have rank 1 or more}}
  %0 = nn.linear %x, %w : (tensor<f32>, tensor<4x4xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @linear_k(%x: tensor<2x8xf32>, %w: tensor<4x6xf32>) {
  // expected-error @+1 {{'nn.linear' op 'weight' dimension 1 (input features K) is 6 but 8 was expected (shape [4, 6])}}
  %0 = nn.linear %x, %w : (tensor<2x8xf32>, tensor<4x6xf32>) -> tensor<2x4xf32>
  return
}

// -----

func.func @linear_bias(%x: tensor<2x8xf32>, %w: tensor<4x8xf32>, %b: tensor<8xf32>) {
  // expected-error @+1 {{'nn.linear' op 'bias' dimension 0 (output features N) is 8 but 4 was expected (shape [8])}}
  %0 = nn.linear %x, %w bias(%b) : (tensor<2x8xf32>, tensor<4x8xf32>, tensor<8xf32>) -> tensor<2x4xf32>
  return
}

// -----

func.func @linear_result(%x: tensor<2x8xf32>, %w: tensor<4x8xf32>) {
  // expected-error @+1 {{'nn.linear' op result has shape [2, 8] but the expected shape is [2, 4]}}
  %0 = nn.linear %x, %w : (tensor<2x8xf32>, tensor<4x8xf32>) -> tensor<2x8xf32>
  return
}

// -----

func.func @matmul_rank(%a: tensor<8xf32>, %b: tensor<8x4xf32>) {
  // expected-error @+1 {{'nn.matmul' op operands must have rank 2 or more, got 'lhs' [8] and 'rhs' [8, 4]}}
  %0 = nn.matmul %a, %b : (tensor<8xf32>, tensor<8x4xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @matmul_k(%a: tensor<2x8xf32>, %b: tensor<6x4xf32>) {
  // expected-error @+1 {{'nn.matmul' op 'rhs' dimension 0 (contraction K) is 6 but 8 was expected (shape [6, 4])}}
  %0 = nn.matmul %a, %b : (tensor<2x8xf32>, tensor<6x4xf32>) -> tensor<2x4xf32>
  return
}

// -----

func.func @matmul_batch(%a: tensor<3x2x8xf32>, %b: tensor<5x8x4xf32>) {
  // expected-error @+1 {{'nn.matmul' op 'lhs batch' shape [3] and 'rhs batch' shape [5] do not broadcast: dimension 0 is 3 versus 5}}
  %0 = nn.matmul %a, %b : (tensor<3x2x8xf32>, tensor<5x8x4xf32>) -> tensor<3x2x4xf32>
  return
}

// -----

func.func @matmul_result(%a: tensor<3x2x8xf32>, %b: tensor<8x4xf32>) {
  // expected-error @+1 {{'nn.matmul' op result has shape [2, 4] but the expected shape is [3, 2, 4]}}
  %0 = nn.matmul %a, %b : (tensor<3x2x8xf32>, tensor<8x4xf32>) -> tensor<2x4xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// layer_norm, batch_norm, softmax
//===----------------------------------------------------------------------===//

func.func @ln_axis(%x: tensor<2x8xf32>) {
  // expected-error @+1 {{'nn.layer_norm' op 'axis' 2 is out of range for rank 2}}
  %0 = nn.layer_norm %x {axis = 2} : (tensor<2x8xf32>) -> tensor<2x8xf32>
  return
}

// -----

func.func @ln_epsilon(%x: tensor<2x8xf32>) {
  // expected-error @+1 {{'nn.layer_norm' op 'epsilon' must be non-negative}}
  %0 = nn.layer_norm %x {epsilon = -1.0 : f32} : (tensor<2x8xf32>) -> tensor<2x8xf32>
  return
}

// -----

func.func @ln_bias_without_weight(%x: tensor<2x8xf32>, %b: tensor<8xf32>) {
  // expected-error @+1 {{'nn.layer_norm' op a 'bias' requires a 'weight'}}
  %0 = nn.layer_norm %x bias(%b) : (tensor<2x8xf32>, tensor<8xf32>) -> tensor<2x8xf32>
  return
}

// -----

func.func @ln_weight(%x: tensor<2x8xf32>, %g: tensor<2x8xf32>) {
  // expected-error @+1 {{'nn.layer_norm' op 'weight' has shape [2, 8] but the expected shape is [8]}}
  %0 = nn.layer_norm %x weight(%g) : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  return
}

// -----

func.func @ln_bias(%x: tensor<2x8xf32>, %g: tensor<8xf32>, %b: tensor<4xf32>) {
  // expected-error @+1 {{'nn.layer_norm' op 'bias' has shape [4] but the expected shape is [8]}}
  %0 = nn.layer_norm %x weight(%g) bias(%b) : (tensor<2x8xf32>, tensor<8xf32>, tensor<4xf32>) -> tensor<2x8xf32>
  return
}

// -----

func.func @ln_result(%x: tensor<2x8xf32>) {
  // expected-error @+1 {{'nn.layer_norm' op result has shape [8, 2] but the expected shape is [2, 8]}}
  %0 = nn.layer_norm %x : (tensor<2x8xf32>) -> tensor<8x2xf32>
  return
}

// -----

func.func @bn_rank(%x: tensor<8xf32>, %c: tensor<8xf32>) {
  // expected-error @+1 {{'nn.batch_norm' op 'input' must have rank 2 or more}}
  %0 = nn.batch_norm %x, %c, %c, %c, %c layout(nhwc) : (tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  return
}

// -----

func.func @bn_epsilon(%x: tensor<1x8x4x4xf32>, %c: tensor<8xf32>) {
  // expected-error @+1 {{'nn.batch_norm' op 'epsilon' must be non-negative}}
  %0 = nn.batch_norm %x, %c, %c, %c, %c layout(nchw) {epsilon = -1.0 : f32} : (tensor<1x8x4x4xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<1x8x4x4xf32>
  return
}

// -----

func.func @bn_params(%x: tensor<1x8x4x4xf32>, %c: tensor<8xf32>, %d: tensor<4xf32>) {
  // expected-error @+1 {{'nn.batch_norm' op 'variance' dimension 0 (channels) is 4 but 8 was expected (shape [4])}}
  %0 = nn.batch_norm %x, %c, %c, %c, %d layout(nchw) : (tensor<1x8x4x4xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<4xf32>) -> tensor<1x8x4x4xf32>
  return
}

// -----

func.func @bn_layout(%x: tensor<1x8x4x4xf32>, %c: tensor<8xf32>) {
  // The channel axis of nhwc is the last one (4 here).
  // expected-error @+1 {{'nn.batch_norm' op 'scale' dimension 0 (channels) is 8 but 4 was expected (shape [8])}}
  %0 = nn.batch_norm %x, %c, %c, %c, %c layout(nhwc) : (tensor<1x8x4x4xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<1x8x4x4xf32>
  return
}

// -----

func.func @bn_result(%x: tensor<1x8x4x4xf32>, %c: tensor<8xf32>) {
  // expected-error @+1 {{'nn.batch_norm' op result has shape [1, 8, 4, 5] but the expected shape is [1, 8, 4, 4]}}
  %0 = nn.batch_norm %x, %c, %c, %c, %c layout(nchw) : (tensor<1x8x4x4xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<1x8x4x5xf32>
  return
}

// -----

func.func @softmax_axis(%x: tensor<2x8xf32>) {
  // expected-error @+1 {{'nn.softmax' op 'axis' -3 is out of range for rank 2}}
  %0 = nn.softmax %x {axis = -3} : tensor<2x8xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

func.func @broadcast(%a: tensor<2x3xf32>, %b: tensor<4x3xf32>) {
  // expected-error @+1 {{'nn.mul' op 'lhs' shape [2, 3] and 'rhs' shape [4, 3] do not broadcast: dimension 0 is 2 versus 4}}
  %0 = nn.mul %a, %b : (tensor<2x3xf32>, tensor<4x3xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @broadcast_result(%a: tensor<2x1xf32>, %b: tensor<3xf32>) {
  // expected-error @+1 {{'nn.sub' op result has shape [2, 1] but the expected shape is [2, 3]}}
  %0 = nn.sub %a, %b : (tensor<2x1xf32>, tensor<3xf32>) -> tensor<2x1xf32>
  return
}

// -----

func.func @unary_result(%a: tensor<2x3xf32>) {
  // expected-error @+1 {{'nn.gelu' op requires the same type for all operands and results}}
  %0 = "nn.gelu"(%a) : (tensor<2x3xf32>) -> tensor<3x2xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// Pooling
//===----------------------------------------------------------------------===//

func.func @pool_kernel(%x: tensor<1x4x8x8xf32>) {
  // expected-error @+1 {{'nn.max_pool2d' op 'kernel_size' must be positive, got [0, 2]}}
  %0 = nn.max_pool2d %x layout(nchw) {kernel_size = array<i64: 0, 2>} : tensor<1x4x8x8xf32> -> tensor<1x4x8x7xf32>
  return
}

// -----

func.func @pool_stride(%x: tensor<1x4x8x8xf32>) {
  // expected-error @+1 {{'nn.avg_pool2d' op 'strides' must be positive, got [-1, 2]}}
  %0 = nn.avg_pool2d %x layout(nchw) {kernel_size = array<i64: 2, 2>, strides = array<i64: -1, 2>} : tensor<1x4x8x8xf32> -> tensor<1x4x4x4xf32>
  return
}

// -----

func.func @pool_padding_negative(%x: tensor<1x4x8x8xf32>) {
  // expected-error @+1 {{'nn.avg_pool2d' op 'padding' must be non-negative, got [-1, 0, 0, 0]}}
  %0 = nn.avg_pool2d %x layout(nchw) {kernel_size = array<i64: 2, 2>, padding = array<i64: -1, 0, 0, 0>} : tensor<1x4x8x8xf32> -> tensor<1x4x6x7xf32>
  return
}

// -----

func.func @pool_padding(%x: tensor<1x4x8x8xf32>) {
  // expected-error @+1 {{'nn.max_pool2d' op 'padding' [2, 2, 2, 2] must be smaller than 'kernel_size' [2, 2]}}
  %0 = nn.max_pool2d %x layout(nchw) {kernel_size = array<i64: 2, 2>, padding = array<i64: 2, 2, 2, 2>} : tensor<1x4x8x8xf32> -> tensor<1x4x11x11xf32>
  return
}

// -----

func.func @pool_window(%x: tensor<1x4x8x2xf32>) {
  // expected-error @+1 {{'nn.max_pool2d' op padded input width 2 is smaller than the dilated window 3}}
  %0 = nn.max_pool2d %x layout(nchw) {kernel_size = array<i64: 3, 3>} : tensor<1x4x8x2xf32> -> tensor<1x4x6x1xf32>
  return
}

// -----

func.func @pool_result(%x: tensor<1x8x8x4xf32>) {
  // expected-error @+1 {{'nn.max_pool2d' op result has shape [1, 4, 4, 8] but the expected shape is [1, 4, 4, 4]}}
  %0 = nn.max_pool2d %x layout(nhwc) {kernel_size = array<i64: 2, 2>, strides = array<i64: 2, 2>} : tensor<1x8x8x4xf32> -> tensor<1x4x4x8xf32>
  return
}

// -----

func.func @global_pool_result(%x: tensor<1x8x8x4xf32>) {
  // expected-error @+1 {{'nn.global_avg_pool2d' op result #0 must be 4D tensor of 16-bit float or bfloat16 type or 32-bit float values, but got 'tensor<1x4xf32>'}}
  %0 = "nn.global_avg_pool2d"(%x) <{layout = 1 : i32}> : (tensor<1x8x8x4xf32>) -> tensor<1x4xf32>
  return
}

// -----

func.func @global_pool_result4(%x: tensor<1x8x8x4xf32>) {
  // expected-error @+1 {{'nn.global_avg_pool2d' op result has shape [1, 8, 1, 1] but the expected shape is [1, 1, 1, 4]}}
  %0 = nn.global_avg_pool2d %x layout(nhwc) : tensor<1x8x8x4xf32> -> tensor<1x8x1x1xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// Reshapes
//===----------------------------------------------------------------------===//

func.func @image_to_tokens(%x: tensor<1x8x4x4xf32>) {
  // expected-error @+1 {{'nn.image_to_tokens' op result has shape [1, 16, 4] but the expected shape is [1, 16, 8]}}
  %0 = nn.image_to_tokens %x layout(nchw) : tensor<1x8x4x4xf32> -> tensor<1x16x4xf32>
  return
}

// -----

func.func @tokens_to_image(%x: tensor<1x15x8xf32>) {
  // expected-error @+1 {{'nn.tokens_to_image' op 'input' dimension 1 (tokens = height * width) is 15 but 16 was expected (shape [1, 15, 8])}}
  %0 = nn.tokens_to_image %x layout(nchw) {height = 4, width = 4} : tensor<1x15x8xf32> -> tensor<1x8x4x4xf32>
  return
}

// -----

func.func @tokens_to_image_result(%x: tensor<1x16x8xf32>) {
  // expected-error @+1 {{'nn.tokens_to_image' op result has shape [1, 8, 4, 4] but the expected shape is [1, 4, 4, 8]}}
  %0 = nn.tokens_to_image %x layout(nhwc) {height = 4, width = 4} : tensor<1x16x8xf32> -> tensor<1x8x4x4xf32>
  return
}

// -----

func.func @patch_dynamic(%x: tensor<1x3x32x32xf32>, %w: tensor<8x3x?x4xf32>) {
  // expected-error @+1 {{'nn.patch_embed' op the patch size (filter spatial dims) must be static, got filter shape [8, 3, ?, 4]}}
  %0 = nn.patch_embed %x, %w layout(nchw) : (tensor<1x3x32x32xf32>, tensor<8x3x?x4xf32>) -> tensor<1x64x8xf32>
  return
}

// -----

func.func @patch_multiple(%x: tensor<1x3x30x32xf32>, %w: tensor<8x3x4x4xf32>) {
  // expected-error @+1 {{'nn.patch_embed' op image size 30x32 is not a multiple of the patch size 4x4}}
  %0 = nn.patch_embed %x, %w layout(nchw) : (tensor<1x3x30x32xf32>, tensor<8x3x4x4xf32>) -> tensor<1x56x8xf32>
  return
}

// -----

func.func @patch_channels(%x: tensor<1x32x32x3xf32>, %w: tensor<4x4x2x8xf32>) {
  // expected-error @+1 {{'nn.patch_embed' op 'filter' dimension 2 (input channels per group) is 2 but 3 was expected (shape [4, 4, 2, 8])}}
  %0 = nn.patch_embed %x, %w layout(nhwc) : (tensor<1x32x32x3xf32>, tensor<4x4x2x8xf32>) -> tensor<1x64x8xf32>
  return
}

// -----

func.func @patch_result(%x: tensor<1x3x32x32xf32>, %w: tensor<8x3x4x4xf32>) {
  // expected-error @+1 {{'nn.patch_embed' op result has shape [1, 64, 3] but the expected shape is [1, 64, 8]}}
  %0 = nn.patch_embed %x, %w layout(nchw) : (tensor<1x3x32x32xf32>, tensor<8x3x4x4xf32>) -> tensor<1x64x3xf32>
  return
}

// -----

func.func @window_partition_size(%x: tensor<1x8x8x4xf32>) {
  // expected-error @+1 {{'nn.window_partition' op 'window_size' must be positive, got [0, 4]}}
  %0 = nn.window_partition %x {window_size = array<i64: 0, 4>} : tensor<1x8x8x4xf32> -> tensor<4x16x4xf32>
  return
}

// -----

func.func @window_partition_multiple(%x: tensor<1x8x10x4xf32>) {
  // expected-error @+1 {{'nn.window_partition' op image size 8x10 is not a multiple of the window size 4x4}}
  %0 = nn.window_partition %x {window_size = array<i64: 4, 4>} : tensor<1x8x10x4xf32> -> tensor<4x16x4xf32>
  return
}

// -----

func.func @window_partition_result(%x: tensor<2x8x8x4xf32>) {
  // expected-error @+1 {{'nn.window_partition' op result has shape [4, 16, 4] but the expected shape is [8, 16, 4]}}
  %0 = nn.window_partition %x {window_size = array<i64: 4, 4>} : tensor<2x8x8x4xf32> -> tensor<4x16x4xf32>
  return
}

// -----

func.func @window_merge_size(%x: tensor<4x16x4xf32>) {
  // expected-error @+1 {{'nn.window_merge' op 'window_size' must be positive, got [4, -4]}}
  %0 = nn.window_merge %x {window_size = array<i64: 4, -4>, height = 8, width = 8} : tensor<4x16x4xf32> -> tensor<1x8x8x4xf32>
  return
}

// -----

func.func @window_merge_multiple(%x: tensor<4x16x4xf32>) {
  // expected-error @+1 {{'nn.window_merge' op image size 8x6 is not a multiple of the window size 4x4}}
  %0 = nn.window_merge %x {window_size = array<i64: 4, 4>, height = 8, width = 6} : tensor<4x16x4xf32> -> tensor<1x8x6x4xf32>
  return
}

// -----

func.func @window_merge_tokens(%x: tensor<4x15x4xf32>) {
  // expected-error @+1 {{'nn.window_merge' op 'input' dimension 1 (tokens per window) is 15 but 16 was expected (shape [4, 15, 4])}}
  %0 = nn.window_merge %x {window_size = array<i64: 4, 4>, height = 8, width = 8} : tensor<4x15x4xf32> -> tensor<1x8x8x4xf32>
  return
}

// -----

func.func @window_merge_windows(%x: tensor<6x16x4xf32>) {
  // expected-error @+1 {{'nn.window_merge' op 'input' dimension 0 (6) is not a multiple of the 4 windows per image}}
  %0 = nn.window_merge %x {window_size = array<i64: 4, 4>, height = 8, width = 8} : tensor<6x16x4xf32> -> tensor<1x8x8x4xf32>
  return
}

// -----

func.func @window_merge_result(%x: tensor<8x16x4xf32>) {
  // expected-error @+1 {{'nn.window_merge' op result has shape [1, 8, 8, 4] but the expected shape is [2, 8, 8, 4]}}
  %0 = nn.window_merge %x {window_size = array<i64: 4, 4>, height = 8, width = 8} : tensor<8x16x4xf32> -> tensor<1x8x8x4xf32>
  return
}

// -----

func.func @split_heads_multiple(%x: tensor<1x16x30xf32>) {
  // expected-error @+1 {{'nn.split_heads' op channels 30 are not a multiple of num_heads 4}}
  %0 = nn.split_heads %x {num_heads = 4} : tensor<1x16x30xf32> -> tensor<1x4x16x7xf32>
  return
}

// -----

func.func @split_heads_result(%x: tensor<1x16x32xf32>) {
  // expected-error @+1 {{'nn.split_heads' op result has shape [1, 16, 4, 8] but the expected shape is [1, 4, 16, 8]}}
  %0 = nn.split_heads %x {num_heads = 4} : tensor<1x16x32xf32> -> tensor<1x16x4x8xf32>
  return
}

// -----

func.func @merge_heads_result(%x: tensor<1x4x16x8xf32>) {
  // expected-error @+1 {{'nn.merge_heads' op result has shape [1, 4, 128] but the expected shape is [1, 16, 32]}}
  %0 = nn.merge_heads %x : tensor<1x4x16x8xf32> -> tensor<1x4x128xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// block
//===----------------------------------------------------------------------===//

func.func @block_name(%x: tensor<4xf32>) {
  // expected-error @+1 {{'nn.block' op 'name' must not be empty}}
  %0 = nn.block "" kind(convolution) -> tensor<4xf32> {
    nn.yield %x : tensor<4xf32>
  }
  return
}

// -----

func.func @block_arguments(%x: tensor<4xf32>) {
  // expected-error @+1 {{'nn.block' op the body must have no arguments, got 1}}
  %0 = "nn.block"() <{name = "b", kind = 0 : i32}> ({
  ^bb0(%a: tensor<4xf32>):
    "nn.yield"(%a) : (tensor<4xf32>) -> ()
  }) : () -> tensor<4xf32>
  return
}

// -----

func.func @block_yield(%x: tensor<4xf32>) {
  // expected-error @+1 {{'nn.block' op yields 1 value(s) of types 'tensor<4xf32>' but the block has 1 result(s) of types 'tensor<8xf32>'}}
  %0 = nn.block "b" kind(hybrid) -> tensor<8xf32> {
    nn.yield %x : tensor<4xf32>
  }
  return
}

// -----

func.func @yield_parent(%x: tensor<4xf32>) {
  // expected-error @+1 {{'nn.yield' op expects parent op 'nn.block'}}
  nn.yield %x : tensor<4xf32>
}

// -----

func.func @clamp_bounds(%x: tensor<4xf32>) {
  // expected-error @+1 {{'nn.clamp' op min 6.000000e+00 exceeds max 0.000000e+00}}
  %0 = nn.clamp %x {min = 6.0 : f32, max = 0.0 : f32} : tensor<4xf32>
  return
}
