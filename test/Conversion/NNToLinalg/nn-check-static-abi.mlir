// RUN: acc-opt %s -nn-check-static-abi -split-input-file -verify-diagnostics | FileCheck %s

// Static boundaries pass; dynamic dims inside are fine; private functions
// are not entries. Entry arguments are read-only for bufferization (the
// ABI's inputs are never written).
// CHECK-LABEL: func.func @ok(%{{.+}}: tensor<4x8xf32> {bufferization.writable = false})
// CHECK-LABEL: func.func private @helper(%{{.+}}: tensor<?x8xf32>)
func.func @ok(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %d = tensor.cast %x : tensor<4x8xf32> to tensor<?x8xf32>
  %r = nn.relu %d : tensor<?x8xf32>
  %s = tensor.cast %r : tensor<?x8xf32> to tensor<4x8xf32>
  return %s : tensor<4x8xf32>
}
func.func private @helper(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  return %x : tensor<?x8xf32>
}

// -----

// expected-error @+1 {{cannot compile @dyn_arg for the CPU yet: argument #1 has dynamic dimensions ('tensor<?x8xf32>'); the compiled entry takes static shapes only so far}}
func.func @dyn_arg(%w: tensor<8x8xf32>, %x: tensor<?x8xf32>) -> tensor<8x8xf32> {
  return %w : tensor<8x8xf32>
}

// -----

// expected-error @+1 {{cannot compile @dyn_result for the CPU yet: result #0 has dynamic dimensions ('tensor<?xf32>'); the compiled entry takes static shapes only so far}}
func.func @dyn_result(%x: tensor<4xf32>) -> tensor<?xf32> {
  %d = tensor.cast %x : tensor<4xf32> to tensor<?xf32>
  return %d : tensor<?xf32>
}
