// RUN: acc-opt %s --nn-cost-report=format=json -o /dev/null | FileCheck %s
// RUN: acc-opt %s --nn-cost-report=format=json -o /dev/null | %python %S/Inputs/check_schema.py | FileCheck %s --check-prefix=SCHEMA

// The JSON report is a contract (docs/CostModel.md). Figures are integers
// when static and strings when symbolic.

// SCHEMA: static: 2 ops, 1 blocks, figures bytes=int,bytes_unfused=int,flops=int,macs=int,params=int, scaling {}
// SCHEMA: dynamic: 1 ops, 0 blocks, figures bytes=poly,bytes_unfused=poly,flops=poly,macs=poly,params=int, scaling {"B": "linear", "N": "quadratic"}
// SCHEMA: schema ok

// CHECK:      "functions": [
// CHECK:          "blocks": [
// CHECK:              "bytes": 168,
// CHECK:              "flops": 56,
// CHECK:              "kind": "convolution",
// CHECK:              "macs": 24,
// CHECK:              "name": "b0",
// CHECK:              "params": 6,
// CHECK:          "flops": 56,
// CHECK:          "macs": 24,
// CHECK:          "name": "static",
// CHECK:          "ops": [
// CHECK:              "flops": 48,
// CHECK:              "loc": "json.mlir:{{[0-9]+}}:{{[0-9]+}}",
// CHECK:              "op": "nn.linear",
// CHECK:              "op": "nn.relu",
func.func @static(%x: tensor<4x3xf32>, %w: tensor<2x3xf32>) -> tensor<4x2xf32> {
  %0 = nn.block "b0" kind(convolution) -> tensor<4x2xf32> {
    %1 = nn.linear %x, %w : (tensor<4x3xf32>, tensor<2x3xf32>) -> tensor<4x2xf32>
    %2 = nn.relu %1 : tensor<4x2xf32>
    nn.yield %2 : tensor<4x2xf32>
  }
  return %0 : tensor<4x2xf32>
}

// CHECK:          "flops": "2088*B*N^2 + 512*B*N",
// CHECK:          "macs": "1024*B*N^2",
// CHECK:          "name": "dynamic",
// CHECK:          "scaling": {
// CHECK-NEXT:       "B": "linear",
// CHECK-NEXT:       "N": "quadratic"
// CHECK:          "symbols": {
// CHECK-NEXT:       "B": "%arg0 dim 0 (derived)",
// CHECK-NEXT:       "N": "%arg0 dim 2 (derived)"
func.func @dynamic(%q: tensor<?x8x?x64xf32>) -> tensor<?x8x?x64xf32> {
  %0 = nn.attention %q, %q, %q : (tensor<?x8x?x64xf32>, tensor<?x8x?x64xf32>, tensor<?x8x?x64xf32>) -> tensor<?x8x?x64xf32>
  return %0 : tensor<?x8x?x64xf32>
}
