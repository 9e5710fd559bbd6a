// RUN: acc-opt %s -nn-cpu-promote-tile-buffers -split-input-file | FileCheck %s
// RUN: acc-opt %s -nn-cpu-promote-tile-buffers=max-bytes=16 -split-input-file | FileCheck %s --check-prefix=SMALL

// A tile buffer allocated and freed in a loop body becomes one stack buffer
// at the start of the function: no malloc/free per tile, and no alloca left
// in the loop (whose lowering would grow the stack at every iteration).
// CHECK-LABEL: func.func @in_loop
// CHECK-NEXT: %[[BUF:.+]] = memref.alloca() {alignment = 64 : i64} : memref<8x16xf32>
// CHECK: scf.for
// CHECK-NOT: memref.alloc
// CHECK:   linalg.fill {{.*}} outs(%[[BUF]]
// CHECK-NOT: memref.dealloc
// SMALL-LABEL: func.func @in_loop
// SMALL: scf.for
// SMALL:   memref.alloc()
// SMALL:   memref.dealloc
func.func @in_loop(%out: memref<4x8x16xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %cst = arith.constant 1.0 : f32
  scf.for %i = %c0 to %c4 step %c1 {
    %t = memref.alloc() {alignment = 64 : i64} : memref<8x16xf32>
    linalg.fill ins(%cst : f32) outs(%t : memref<8x16xf32>)
    %o = memref.subview %out[%i, 0, 0] [1, 8, 16] [1, 1, 1] : memref<4x8x16xf32> to memref<8x16xf32, strided<[16, 1], offset: ?>>
    memref.copy %t, %o : memref<8x16xf32> to memref<8x16xf32, strided<[16, 1], offset: ?>>
    memref.dealloc %t : memref<8x16xf32>
  }
  return
}

// -----

// Inside an scf.forall the buffer goes to the start of the forall body:
// concurrent iterations need buffers of their own.
// CHECK-LABEL: func.func @in_forall
// CHECK: scf.forall
// CHECK-NEXT: %[[BUF:.+]] = memref.alloca() : memref<16xf32>
// CHECK: scf.for
// CHECK:   linalg.fill {{.*}} outs(%[[BUF]]
func.func @in_forall(%out: memref<4x16xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %cst = arith.constant 1.0 : f32
  scf.forall (%i) in (4) {
    scf.for %j = %c0 to %c2 step %c1 {
      %t = memref.alloc() : memref<16xf32>
      linalg.fill ins(%cst : f32) outs(%t : memref<16xf32>)
      %o = memref.subview %out[%i, 0] [1, 16] [1, 1] : memref<4x16xf32> to memref<16xf32, strided<[1], offset: ?>>
      memref.copy %t, %o : memref<16xf32> to memref<16xf32, strided<[1], offset: ?>>
      memref.dealloc %t : memref<16xf32>
    }
  }
  return
}

// -----

// Left alone: dynamic sizes, buffers over the limit, buffers freed in
// another block (they outlive one execution of the allocating block) and
// buffers never freed here.
// CHECK-LABEL: func.func @kept
// CHECK-NOT: memref.alloca
// CHECK: memref.alloc(%{{.+}}) : memref<?xf32>
// CHECK: memref.alloc() : memref<32768xf32>
// CHECK: memref.alloc() : memref<4xf32>
// CHECK: memref.alloc() : memref<2xf32>
func.func @kept(%n: index, %c: i1) -> memref<2xf32> {
  %a = memref.alloc(%n) : memref<?xf32>
  memref.dealloc %a : memref<?xf32>
  %b = memref.alloc() : memref<32768xf32>
  memref.dealloc %b : memref<32768xf32>
  %d = memref.alloc() : memref<4xf32>
  scf.if %c {
    memref.dealloc %d : memref<4xf32>
  }
  %e = memref.alloc() : memref<2xf32>
  return %e : memref<2xf32>
}

// -----

// A partial tile's buffer (min(8, 197 - i) rows) has a constant upper
// bound: a stack buffer of 8 rows, viewed at the tile's size (row-major
// from offset 0) where the allocation was. A size without a bound stays on
// the heap.
// CHECK-LABEL: func.func @bounded_dynamic
// CHECK-NEXT: %[[BUF:.+]] = memref.alloca() {alignment = 64 : i64} : memref<8x32xf32>
// CHECK: scf.for %[[I:.+]] =
// CHECK:   %[[N:.+]] = affine.min
// CHECK:   %[[T:.+]] = memref.reinterpret_cast %[[BUF]] to offset: [0], sizes: [%[[N]], 32], strides: [32, 1] : memref<8x32xf32> to memref<?x32xf32>
// CHECK:   linalg.fill {{.*}} outs(%[[T]]
// CHECK-NOT: memref.dealloc
// CHECK: memref.alloc(%{{.+}}) : memref<?xf32>
// CHECK: memref.dealloc
// SMALL-LABEL: func.func @bounded_dynamic
// SMALL:   memref.alloc(%{{.+}}) {alignment = 64 : i64} : memref<?x32xf32>
func.func @bounded_dynamic(%out: memref<197x32xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c8 = arith.constant 8 : index
  %c197 = arith.constant 197 : index
  %cst = arith.constant 1.0 : f32
  scf.for %i = %c0 to %c197 step %c8 {
    %rows = affine.min affine_map<(d0) -> (8, -d0 + 197)>(%i)
    %t = memref.alloc(%rows) {alignment = 64 : i64} : memref<?x32xf32>
    linalg.fill ins(%cst : f32) outs(%t : memref<?x32xf32>)
    %o = memref.subview %out[%i, 0] [%rows, 32] [1, 1] : memref<197x32xf32> to memref<?x32xf32, strided<[32, 1], offset: ?>>
    memref.copy %t, %o : memref<?x32xf32> to memref<?x32xf32, strided<[32, 1], offset: ?>>
    memref.dealloc %t : memref<?x32xf32>
  }
  %u = memref.alloc(%n) : memref<?xf32>
  linalg.fill ins(%cst : f32) outs(%u : memref<?xf32>)
  memref.dealloc %u : memref<?xf32>
  return
}
