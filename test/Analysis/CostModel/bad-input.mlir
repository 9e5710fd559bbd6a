// RUN: acc-opt %s --nn-cost-report -verify-diagnostics -o /dev/null | FileCheck %s
// RUN: acc-opt %s --nn-cost-report=format=json -verify-diagnostics -o /dev/null | %python -c "import json, sys; r = json.load(sys.stdin); print(len(r['functions']), [f['name'] for f in r['functions']])" | FileCheck %s --check-prefix=JSON

// An op the model does not know is reported as unknown cost, with a warning
// naming it; it is never silently counted as zero.
// CHECK-LABEL: nn cost report for @unknown_op
// CHECK: nn.add {{.*}} 4 0 48 48 0 constant
// CHECK: math.exp {{.*}} unknown unknown unknown unknown - -
// CHECK: warning: some ops are not modelled (unknown cost); the totals leave them out
func.func @unknown_op(%x: tensor<4xf32>) -> tensor<4xf32> {
  %e = tensor.empty() : tensor<4xf32>
  %0 = nn.add %x, %e : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  // expected-warning @+1 {{unknown cost: 'math.exp' is not modelled by the nn cost model; its FLOPs and bytes are not counted}}
  %1 = math.exp %0 : tensor<4xf32>
  return %1 : tensor<4xf32>
}

// A function without nn ops gives an empty, valid report.
// CHECK-LABEL: nn cost report for @no_nn_ops
// CHECK: total 0 0 0 0 0 constant
// CHECK: totals: 0 FLOP, 0 MAC, 0 B moved (0 B unfused), 0 params (0 B)
func.func @no_nn_ops() {
  return
}

// Figures beyond 128-bit integers are reported as overflow with a warning,
// never wrapped.
// CHECK-LABEL: nn cost report for @huge
// CHECK: nn.matmul {{.*}} overflow overflow overflow overflow 0 constant
// CHECK: roofline estimate: not available (the figures overflowed)
func.func @huge(%a: tensor<4611686018427387904x4611686018427387904xf32>) {
  // expected-warning @+1 {{cost figures exceed 128-bit integers; they are reported as 'overflow'}}
  %0 = nn.matmul %a, %a : (tensor<4611686018427387904x4611686018427387904xf32>, tensor<4611686018427387904x4611686018427387904xf32>) -> tensor<4611686018427387904x4611686018427387904xf32>
  return
}

// Large but representable: exact.
// CHECK-LABEL: nn cost report for @large
// CHECK: nn.matmul {{.*}} 2475880078570760549798248448 1237940039285380274899124224
func.func @large(%a: tensor<1073741824x1073741824xf32>) {
  %0 = nn.matmul %a, %a : (tensor<1073741824x1073741824xf32>, tensor<1073741824x1073741824xf32>) -> tensor<1073741824x1073741824xf32>
  return
}

// Declarations have no body and no report.
// CHECK-NOT: @external
func.func private @external(tensor<4xf32>)

// JSON: 4 ['unknown_op', 'no_nn_ops', 'huge', 'large']
