// RUN: acc-opt %s -nn-copy-to-linalg | FileCheck %s

// CHECK-LABEL: func.func @copy
// CHECK-NOT: memref.copy
// CHECK: linalg.copy ins(%arg0 : memref<4x4xf32>) outs(%{{.+}} : memref<4x4xf32, strided<[8, 1], offset: 2>>)
func.func @copy(%a: memref<4x4xf32>, %b: memref<8x8xf32>) {
  %s = memref.subview %b[0, 2] [4, 4] [1, 1] : memref<8x8xf32> to memref<4x4xf32, strided<[8, 1], offset: 2>>
  memref.copy %a, %s : memref<4x4xf32> to memref<4x4xf32, strided<[8, 1], offset: 2>>
  return
}
