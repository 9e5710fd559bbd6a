// RUN: acc-opt %s -nn-return-status | FileCheck %s

// After bufferization, a public function without results gets the C ABI's
// int status: 0 on every return.
// CHECK-LABEL: func.func @entry(%{{.+}}: memref<4xf32>, %{{.+}}: memref<4xf32>) -> i32
// CHECK: %[[OK:.+]] = arith.constant 0 : i32
// CHECK: return %[[OK]] : i32
func.func @entry(%in: memref<4xf32>, %out: memref<4xf32>) {
  memref.copy %in, %out : memref<4xf32> to memref<4xf32>
  return
}

// Private functions and functions that still return values are left alone.
// CHECK-LABEL: func.func private @helper(%{{.+}}: memref<4xf32>)
// CHECK-NEXT: return
// CHECK-LABEL: func.func @scalar(%{{.+}}: f32) -> f32
// CHECK-NEXT: return %{{.+}} : f32
func.func private @helper(%x: memref<4xf32>) {
  return
}
func.func @scalar(%x: f32) -> f32 {
  return %x : f32
}
