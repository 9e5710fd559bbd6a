// RUN: acc-opt %s -nn-winograd-conv -nn-lower-to-linalg -split-input-file -verify-diagnostics

func.func @block_not_inlined(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{nn.block must be inlined before lowering (run nn-inline-blocks first)}}
  %0 = nn.block "b" kind(convolution) -> tensor<4xf32> {
    %1 = nn.relu %x : tensor<4xf32>
    nn.yield %1 : tensor<4xf32>
  }
  return %0 : tensor<4xf32>
}

// -----

func.func @dynamic_filter(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x?x3xf32>) -> tensor<1x4x?x6xf32> {
  // expected-error @+1 {{cannot lower nn.conv2d yet: the filter shape must be static}}
  %0 = nn.conv2d %x, %w layout(nchw) : (tensor<1x3x8x8xf32>, tensor<4x3x?x3xf32>) -> tensor<1x4x?x6xf32>
  return %0 : tensor<1x4x?x6xf32>
}

// -----

func.func @ceil_dynamic(%x: tensor<1x3x?x8xf32>) -> tensor<1x3x?x4xf32> {
  // expected-error @+1 {{cannot lower nn.max_pool2d yet: ceil_mode with dynamic sizes}}
  %0 = nn.max_pool2d %x layout(nchw) {kernel_size = array<i64: 2, 2>, strides = array<i64: 2, 2>, ceil_mode = true} : tensor<1x3x?x8xf32> -> tensor<1x3x?x4xf32>
  return %0 : tensor<1x3x?x4xf32>
}

// -----

func.func @ceil_dynamic_avg(%x: tensor<1x3x?x8xf32>) -> tensor<1x3x?x4xf32> {
  // expected-error @+1 {{cannot lower nn.avg_pool2d yet: ceil_mode with dynamic sizes}}
  %0 = nn.avg_pool2d %x layout(nchw) {kernel_size = array<i64: 2, 2>, strides = array<i64: 2, 2>, ceil_mode = true} : tensor<1x3x?x8xf32> -> tensor<1x3x?x4xf32>
  return %0 : tensor<1x3x?x4xf32>
}

// -----

// Static extents of 0 are refused before any tiling divides by them (a
// dynamic extent that is 0 at run time is fine: test/Integration/empty.test).
func.func @zero_sized_operand(%x: tensor<4x0xf32>) -> tensor<4x0xf32> {
  // expected-error @+1 {{cannot lower nn.relu yet: operand #0 ('tensor<4x0xf32>') has no elements (a dimension of size 0)}}
  %0 = nn.relu %x : tensor<4x0xf32>
  return %0 : tensor<4x0xf32>
}

// -----

func.func @zero_length_attention(%q: tensor<1x1x0x4xf32>) -> tensor<1x1x0x4xf32> {
  // expected-error @+1 {{cannot lower nn.attention yet: operand #0 ('tensor<1x1x0x4xf32>') has no elements (a dimension of size 0)}}
  %0 = nn.attention %q, %q, %q mask(causal) : (tensor<1x1x0x4xf32>, tensor<1x1x0x4xf32>, tensor<1x1x0x4xf32>) -> tensor<1x1x0x4xf32>
  return %0 : tensor<1x1x0x4xf32>
}

// -----

// More bytes than a process addresses: padding the length to attention's
// blocks overflowed index arithmetic (a negative size) before this check.
func.func @unaddressable(%q: tensor<1x1x9223372036854775807x4xf32>) -> tensor<1x1x9223372036854775807x4xf32> {
  // expected-error @+1 {{cannot lower nn.attention: 'tensor<1x1x9223372036854775807x4xf32>' holds more bytes than a process can address (2^47)}}
  %0 = nn.attention %q, %q, %q : (tensor<1x1x9223372036854775807x4xf32>, tensor<1x1x9223372036854775807x4xf32>, tensor<1x1x9223372036854775807x4xf32>) -> tensor<1x1x9223372036854775807x4xf32>
  return %0 : tensor<1x1x9223372036854775807x4xf32>
}
