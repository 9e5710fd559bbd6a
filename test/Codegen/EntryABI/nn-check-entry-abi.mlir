// RUN: acc-opt %s -nn-check-entry-abi -split-input-file -verify-diagnostics | FileCheck %s

// Static and dynamic boundaries pass (dynamic ones get the dims-taking
// entry later, nn-dynamic-entry); private functions are not entries.
// Entry arguments are read-only for bufferization (the ABI's inputs are
// never written); the number of inputs is recorded; the model's names for
// inputs and outputs are dropped (the ABI is positional).
// CHECK-LABEL: func.func @ok(%{{.+}}: tensor<4x8xf32> {bufferization.writable = false}) -> tensor<4x8xf32> attributes {nn.abi_inputs = 1 : i64}
// CHECK-LABEL: func.func @dynamic(%{{.+}}: tensor<?x8xf32> {bufferization.writable = false}, %{{.+}}: tensor<8xf32> {bufferization.writable = false}) -> tensor<?x8xf32> attributes {nn.abi_inputs = 2 : i64}
// CHECK-LABEL: func.func private @helper(%{{.+}}: tensor<?x8xf32>) -> tensor<?x8xf32> {
func.func @ok(%x: tensor<4x8xf32> {nn.name = "image"}) -> (tensor<4x8xf32> {nn.name = "logits"}) {
  %d = tensor.cast %x : tensor<4x8xf32> to tensor<?x8xf32>
  %r = nn.relu %d : tensor<?x8xf32>
  %s = tensor.cast %r : tensor<?x8xf32> to tensor<4x8xf32>
  return %s : tensor<4x8xf32>
}
func.func @dynamic(%x: tensor<?x8xf32>, %b: tensor<8xf32>) -> tensor<?x8xf32> {
  %r = nn.add %x, %b : (tensor<?x8xf32>, tensor<8xf32>) -> tensor<?x8xf32>
  return %r : tensor<?x8xf32>
}
func.func private @helper(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  return %x : tensor<?x8xf32>
}

// -----

// expected-error @+1 {{cannot compile @unranked for the CPU: argument #1 ('tensor<*xf32>') has no C ABI; entries take ranked tensors of f32, f64, f16, bf16, i8, i32 or i64}}
func.func @unranked(%w: tensor<8x8xf32>, %x: tensor<*xf32>) -> tensor<8x8xf32> {
  return %w : tensor<8x8xf32>
}

// -----

// expected-error @+1 {{cannot compile @scalar for the CPU: result #0 ('index') has no C ABI}}
func.func @scalar(%x: tensor<4xf32>) -> index {
  %c = arith.constant 4 : index
  return %c : index
}
