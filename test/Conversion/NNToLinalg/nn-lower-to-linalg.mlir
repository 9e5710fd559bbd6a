// RUN: acc-opt %s -nn-winograd-conv -nn-lower-to-linalg=nchw-conv-as-nhwc=false -canonicalize -split-input-file | FileCheck %s
// RUN: acc-opt %s -nn-winograd-conv -nn-lower-to-linalg -canonicalize -split-input-file | FileCheck %s --check-prefix=NHWC
// RUN: acc-opt %s -nn-winograd-conv -nn-lower-to-linalg=attention-prefetch=false -canonicalize -split-input-file | FileCheck %s --check-prefix=NOPF

// Flash attention: tiled over query blocks and key/value blocks with an
// online softmax. No Nq x Nk tensor exists anywhere: tiles are 64 x 256
// (64-query blocks; 4096 keys are a multiple of four 64-key blocks, which
// full attention takes at once: one rescale of the running output per 256
// keys). The (batch,
// head, query block) tiles are one scf.forall (the unit batch folds away).
// The keys are transposed once, before the tiles, to [B, H, D, Nk], in rows
// padded by one cache line (4096 + 16: rows 16 KiB apart would all fall into
// one L1 set); the scale multiplies each query block once, not every score
// block.
// CHECK-LABEL: func.func @attention_full
// CHECK-NOT: 4096x4096
// (The padded buffer is an alloc_tensor: an extract_slice of a tensor.empty
// would fold into a smaller empty, transposed into and then copied.)
// CHECK: %[[BUF:.+]] = bufferization.alloc_tensor() : tensor<1x8x64x4112xf32>
// CHECK: %[[ROWS:.+]] = tensor.extract_slice %[[BUF]][0, 0, 0, 0] [1, 8, 64, 4096] [1, 1, 1, 1]
// CHECK: %[[T:.+]] = linalg.transpose ins(%arg1 : tensor<1x8x4096x64xf32>) outs(%[[ROWS]] : tensor<1x8x64x4096xf32>) permutation = [0, 1, 3, 2]
// CHECK: %[[KT:.+]] = tensor.insert_slice %[[T]] into %[[BUF]][0, 0, 0, 0] [1, 8, 64, 4096] [1, 1, 1, 1] : tensor<1x8x64x4096xf32> into tensor<1x8x64x4112xf32>
// CHECK: scf.forall (%[[H:.+]], %[[I0:.+]]) = (0, 0) to (8, 4096) step (1, 64)
// CHECK:     %[[Q:.+]] = tensor.extract_slice %arg0[0, %[[H]], %[[I0]], 0] [1, 1, 64, 64] [1, 1, 1, 1] : tensor<1x8x4096x64xf32> to tensor<64x64xf32>
// CHECK:     linalg.generic {{.*}} ins(%[[Q]] : tensor<64x64xf32>)
// CHECK:       arith.mulf %{{.+}}, %cst
// Running max (-inf), running sum (0) and accumulator (0):
// CHECK:     linalg.fill ins(%cst{{.*}} : f32) outs(%{{.+}} : tensor<64xf32>)
// CHECK:     scf.for %[[J0:.+]] = %c0 to %c4096 step %c256 iter_args(%[[M:.+]] = %{{.+}}, %[[L:.+]] = %{{.+}}, %[[ACC:.+]] = %{{.+}}) -> (tensor<64xf32>, tensor<64xf32>, tensor<64x64xf32>)
// CHECK:       tensor.extract_slice %arg2[0, %[[H]], %[[J0]], 0]
// CHECK:       tensor.extract_slice %[[KT]][0, %[[H]], 0, %[[J0]]] [1, 1, 64, 256] [1, 1, 1, 1] : tensor<1x8x64x4112xf32> to tensor<64x256xf32>
// Without a mask there is no select and no scf.if:
// CHECK-NOT:   scf.if
// CHECK:       math.exp
// CHECK:       scf.yield %{{.+}}, %{{.+}}, %{{.+}} : tensor<64xf32>, tensor<64xf32>, tensor<64x64xf32>
// CHECK:     scf.forall.in_parallel
// CHECK:       tensor.parallel_insert_slice %{{.+}} into %{{.+}}[0, %[[H]], %[[I0]], 0]
// CHECK-NOT: 4096x4096
func.func @attention_full(%q: tensor<1x8x4096x64xf32>, %k: tensor<1x8x4096x64xf32>, %v: tensor<1x8x4096x64xf32>) -> tensor<1x8x4096x64xf32> {
  %0 = nn.attention %q, %k, %v : (tensor<1x8x4096x64xf32>, tensor<1x8x4096x64xf32>, tensor<1x8x4096x64xf32>) -> tensor<1x8x4096x64xf32>
  return %0 : tensor<1x8x4096x64xf32>
}

// -----

// Causal: the key loop of a query block ends at its last query position
// (min(i0 + bq, Nk)), so blocks above the diagonal are never visited; only
// blocks that cross the diagonal take the masked path of the scf.if. The
// keys before the block's first position that fill whole blocks of 256 go
// first, 256 at a time (one row max, sum and rescale per 256 keys), the
// rest in blocks of 64 up to the diagonal.
// CHECK-LABEL: func.func @attention_causal
// CHECK-NOT: 4096x4096
// CHECK: scf.forall (%{{.+}}, %[[I0:.+]]) = (0, 0) to (8, 4096) step (1, 64)
// CHECK:   %[[END:.+]] = arith.minsi %{{.+}}, %c4096
// CHECK:   %[[W:.+]] = arith.divui %{{.+}}, %c256
// CHECK:   %[[W1:.+]] = arith.muli %[[W]], %c256
// CHECK:   %[[W2:.+]] = arith.maxsi %[[W1]], %c0
// CHECK:   %[[MID:.+]] = arith.minsi %[[W2]], %[[END]]
// CHECK:   %[[WIDE:.+]]:3 = scf.for %{{.+}} = %c0 to %[[MID]] step %{{.+}} iter_args({{.*}}) -> (tensor<64xf32>, tensor<64xf32>, tensor<64x64xf32>)
// CHECK:     tensor.extract_slice {{.*}} to tensor<64x256xf32>
// CHECK:   scf.for %{{.+}} = %[[MID]] to %[[END]] step %{{.+}} iter_args(%{{.+}} = %[[WIDE]]#0, %{{.+}} = %[[WIDE]]#1, %{{.+}} = %[[WIDE]]#2)
// CHECK:     %[[EDGE:.+]] = arith.cmpi sgt
// CHECK:     scf.if %[[EDGE]] -> (tensor<64x64xf32>)
// CHECK:       linalg.index 0
// CHECK:       arith.cmpi sle
// CHECK:       arith.select
// CHECK:     } else {
// CHECK-NOT:   arith.select
// CHECK:     }
func.func @attention_causal(%q: tensor<1x8x4096x64xf32>, %k: tensor<1x8x4096x64xf32>, %v: tensor<1x8x4096x64xf32>) -> tensor<1x8x4096x64xf32> {
  %0 = nn.attention %q, %k, %v mask(causal) : (tensor<1x8x4096x64xf32>, tensor<1x8x4096x64xf32>, tensor<1x8x4096x64xf32>) -> tensor<1x8x4096x64xf32>
  return %0 : tensor<1x8x4096x64xf32>
}

// -----

// Sliding window: the key loop starts window - 1 keys before the block's
// first query (max(i0 - 255, 0)): the work per query block is bounded by
// the window, linear in N overall. Its blocks are halved (32 x 32): a block
// of queries then visits 288 keys instead of 320.
// Its scores are key-major ([keys, queries], queries in the vector lanes):
// the query block is transposed once per block, each key block is a plain
// slice of K (no Kᵀ of the whole sequence), and the row max and sum reduce
// over the outer (key) loop, element-wise across rows.
// CHECK-LABEL: func.func @attention_window
// CHECK-NOT: linalg.transpose
// CHECK: scf.forall (%{{.+}}, %[[I0:.+]]) = (0, 0) to (8, 4096) step (1, 32)
// CHECK:   %[[QT:.+]] = linalg.transpose ins(%{{.+}} : tensor<32x64xf32>) outs(%{{.+}} : tensor<64x32xf32>) permutation = [1, 0]
// CHECK:   %[[S:.+]] = arith.subi %[[I0]], %c255
// CHECK:   %[[S1:.+]] = arith.maxsi %[[S]], %c0
// CHECK:   %[[START:.+]] = arith.minsi %[[S1]], %{{.+}}
// Static 32 x 32 tiles: the first key block is aligned down to a multiple of
// 32 (keys before the window fall in the masked edge block).
// CHECK:   %[[Q:.+]] = arith.divui %[[START]], %c32
// CHECK:   %[[ALIGNED:.+]] = arith.muli %[[Q]], %c32
// CHECK:   scf.for %[[J0:.+]] = %[[ALIGNED]] to %{{.+}} step %c32 iter_args({{.*}}) -> (tensor<32xf32>, tensor<32xf32>, tensor<32x64xf32>)
// CHECK:     %[[K:.+]] = tensor.extract_slice %arg1[0, %{{.+}}, %[[J0]], 0] [1, 1, 32, 64] [1, 1, 1, 1] : tensor<1x8x4096x64xf32> to tensor<32x64xf32>
// CHECK:     linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[K]], %[[QT]] : tensor<32x64xf32>, tensor<64x32xf32>) outs(%{{.+}} : tensor<32x32xf32>)
// CHECK:     linalg.generic {{.*}} iterator_types = ["reduction", "parallel"]} ins(%{{.+}} : tensor<32x32xf32>) outs(%{{.+}} : tensor<32xf32>)
// CHECK-NEXT:  ^bb0
// CHECK-NEXT:    arith.maxnumf
func.func @attention_window(%q: tensor<1x8x4096x64xf32>, %k: tensor<1x8x4096x64xf32>, %v: tensor<1x8x4096x64xf32>) -> tensor<1x8x4096x64xf32> {
  %0 = nn.attention %q, %k, %v mask(sliding_window) {window = 256} : (tensor<1x8x4096x64xf32>, tensor<1x8x4096x64xf32>, tensor<1x8x4096x64xf32>) -> tensor<1x8x4096x64xf32>
  return %0 : tensor<1x8x4096x64xf32>
}

// -----

// Each key block of a sliding window prefetches a share of the next query
// block's rows: 4 of its 32 query rows (2 heads of 512: rows i0 + 32 + r,
// clamped to the last row), 4 of its newest key rows and 4 of its value
// rows, a prefetch per cache line (4 per 64-float row), so that the 10 key
// blocks of a query block fetch all 32. The operands are viewed as
// identity-layout buffers (function arguments).
// CHECK-LABEL: func.func @attention_window_prefetch
// CHECK: scf.forall (%[[H:.+]], %[[I0:.+]]) = (0, 0) to (2, 512) step (1, 32)
// CHECK:   scf.for %[[J0:.+]] = %[[FROM:.+]] to %{{.+}} step %c32
// CHECK:     %[[QB:.+]] = bufferization.to_buffer %arg0 read_only : tensor<1x2x512x64xf32> to memref<1x2x512x64xf32>
// CHECK:     %[[ROW:.+]] = arith.minui %{{.+}}, %c511 : index
// CHECK:     memref.prefetch %[[QB]][%c0, %[[H]], %[[ROW]], %c0], read, locality<3>, data
// CHECK:     memref.prefetch %[[QB]][%c0, %[[H]], %[[ROW]], %c16], read, locality<3>, data
// CHECK:     memref.prefetch %[[QB]][%c0, %[[H]], %[[ROW]], %c32], read, locality<3>, data
// CHECK:     memref.prefetch %[[QB]][%c0, %[[H]], %[[ROW]], %c48], read, locality<3>, data
// CHECK:     bufferization.to_buffer %arg1 read_only
// CHECK:     bufferization.to_buffer %arg2 read_only
// CHECK-COUNT-16: memref.prefetch %{{.+}}, read, locality<3>, data
// CHECK-NOT: memref.prefetch
// CHECK:     linalg.generic
// NOPF-LABEL: func.func @attention_window_prefetch
// NOPF-NOT: memref.prefetch
// NOPF: return
func.func @attention_window_prefetch(%q: tensor<1x2x512x64xf32>, %k: tensor<1x2x512x64xf32>, %v: tensor<1x2x512x64xf32>) -> tensor<1x2x512x64xf32> {
  %0 = nn.attention %q, %k, %v mask(sliding_window) {window = 256} : (tensor<1x2x512x64xf32>, tensor<1x2x512x64xf32>, tensor<1x2x512x64xf32>) -> tensor<1x2x512x64xf32>
  return %0 : tensor<1x2x512x64xf32>
}

// -----

// Operands that are slices of a larger tensor (a fused QKV projection)
// have strided buffers: viewed with the identity layout they would be
// copied whole, with a dynamic one every other access to them would get
// dynamic strides. They are not prefetched.
// CHECK-LABEL: func.func @attention_window_slices_not_prefetched
// CHECK-NOT: bufferization.to_buffer
// CHECK-NOT: memref.prefetch
// CHECK: return
func.func @attention_window_slices_not_prefetched(%qkv: tensor<1x2x512x192xf32>) -> tensor<1x2x512x64xf32> {
  %q = tensor.extract_slice %qkv[0, 0, 0, 0] [1, 2, 512, 64] [1, 1, 1, 1] : tensor<1x2x512x192xf32> to tensor<1x2x512x64xf32>
  %k = tensor.extract_slice %qkv[0, 0, 0, 64] [1, 2, 512, 64] [1, 1, 1, 1] : tensor<1x2x512x192xf32> to tensor<1x2x512x64xf32>
  %v = tensor.extract_slice %qkv[0, 0, 0, 128] [1, 2, 512, 64] [1, 1, 1, 1] : tensor<1x2x512x192xf32> to tensor<1x2x512x64xf32>
  %0 = nn.attention %q, %k, %v mask(sliding_window) {window = 256} : (tensor<1x2x512x64xf32>, tensor<1x2x512x64xf32>, tensor<1x2x512x64xf32>) -> tensor<1x2x512x64xf32>
  return %0 : tensor<1x2x512x64xf32>
}

// -----

// Decoding (one query) has no next query block to prefetch for.
// CHECK-LABEL: func.func @attention_window_decode_not_prefetched
// CHECK-NOT: memref.prefetch
// CHECK: return
func.func @attention_window_decode_not_prefetched(%q: tensor<1x2x1x64xf32>, %k: tensor<1x2x512x64xf32>, %v: tensor<1x2x512x64xf32>) -> tensor<1x2x1x64xf32> {
  %0 = nn.attention %q, %k, %v mask(sliding_window) {window = 256} : (tensor<1x2x1x64xf32>, tensor<1x2x512x64xf32>, tensor<1x2x512x64xf32>) -> tensor<1x2x1x64xf32>
  return %0 : tensor<1x2x1x64xf32>
}

// -----

// Fewer queries than a block (decoding) are key-major too: the query block
// is transposed, the keys are read in place (no Kᵀ of all 1024 keys for 16
// queries), 256 keys at a time, and the row max reduces over the key rows.
// CHECK-LABEL: func.func @attention_decode
// CHECK-NOT: linalg.transpose
// CHECK: scf.forall (%[[H:.+]]) in (2)
// CHECK:   %[[QT:.+]] = linalg.transpose ins(%{{.+}} : tensor<16x64xf32>) outs(%{{.+}} : tensor<64x16xf32>)
// CHECK:   scf.for %[[J:.+]] = %c0 to %c1024 step %c256
// CHECK:     %[[K:.+]] = tensor.extract_slice %arg1[0, %[[H]], %[[J]], 0] [1, 1, 256, 64]
// CHECK:     linalg.generic {{.*}} ins(%[[K]], %[[QT]] : tensor<256x64xf32>, tensor<64x16xf32>) outs(%{{.+}} : tensor<256x16xf32>)
// CHECK:     linalg.generic {{.*}} iterator_types = ["reduction", "parallel"]} ins(%{{.+}} : tensor<256x16xf32>) outs(%{{.+}} : tensor<16xf32>)
func.func @attention_decode(%q: tensor<1x2x16x64xf32>, %k: tensor<1x2x1024x64xf32>, %v: tensor<1x2x1024x64xf32>) -> tensor<1x2x16x64xf32> {
  %0 = nn.attention %q, %k, %v : (tensor<1x2x16x64xf32>, tensor<1x2x1024x64xf32>, tensor<1x2x1024x64xf32>) -> tensor<1x2x16x64xf32>
  return %0 : tensor<1x2x16x64xf32>
}

// -----

// Decoding with grouped-query heads: the 4 query heads of each key/value
// head go through its keys as one block of 4 rows (one per head), so each
// key block is read once per key/value head; the result is unpacked.
// CHECK-LABEL: func.func @attention_gqa_decode
// CHECK: %[[E:.+]] = tensor.expand_shape %arg0 {{\[}}[0], [1, 2], [3], [4]] output_shape [1, 2, 4, 1, 64] : tensor<1x8x1x64xf32> into tensor<1x2x4x1x64xf32>
// CHECK: %[[P:.+]] = tensor.collapse_shape %[[E]] {{\[}}[0], [1], [2, 3], [4]] : tensor<1x2x4x1x64xf32> into tensor<1x2x4x64xf32>
// CHECK: %[[R:.+]] = scf.forall (%{{.+}}) in (2) shared_outs(%{{.+}} = %{{.+}}) -> (tensor<1x2x4x64xf32>)
// CHECK:   linalg.transpose ins(%{{.+}} : tensor<4x64xf32>) outs(%{{.+}} : tensor<64x4xf32>)
// CHECK: %[[RE:.+]] = tensor.expand_shape %[[R]] {{\[}}[0], [1], [2, 3], [4]] output_shape [1, 2, 4, 1, 64]
// CHECK: tensor.collapse_shape %[[RE]] {{\[}}[0], [1, 2], [3], [4]] : tensor<1x2x4x1x64xf32> into tensor<1x8x1x64xf32>
func.func @attention_gqa_decode(%q: tensor<1x8x1x64xf32>, %k: tensor<1x2x512x64xf32>, %v: tensor<1x2x512x64xf32>) -> tensor<1x8x1x64xf32> {
  %0 = nn.attention %q, %k, %v mask(causal) : (tensor<1x8x1x64xf32>, tensor<1x2x512x64xf32>, tensor<1x2x512x64xf32>) -> tensor<1x8x1x64xf32>
  return %0 : tensor<1x8x1x64xf32>
}

// -----

// 16-bit attention accumulates in f32: the query block is extended (and
// scaled) once, K and V are read as f16 and extended in the block products,
// the running max, sum and output are f32, and the output is truncated once.
// CHECK-LABEL: func.func @attention_f16
// CHECK: scf.forall
// CHECK:   linalg.generic {{.*}} ins(%{{.+}} : tensor<64x64xf16>) outs(%{{.+}} : tensor<64x64xf32>)
// CHECK:     arith.extf %{{.+}} : f16 to f32
// CHECK:     arith.mulf
// CHECK:   scf.for {{.*}} -> (tensor<64xf32>, tensor<64xf32>, tensor<64x64xf32>)
// CHECK:     linalg.generic {{.*}} ins(%{{.+}}, %{{.+}} : tensor<64x64xf32>, tensor<64x64xf16>) outs(%{{.+}} : tensor<64x64xf32>)
// CHECK:       arith.extf %{{.+}} : f16 to f32
// CHECK:     math.exp %{{.+}} : f32
// CHECK:     linalg.generic {{.*}} ins(%{{.+}}, %{{.+}} : tensor<64x64xf32>, tensor<64x64xf16>) outs(%{{.+}} : tensor<64x64xf32>)
// CHECK:       arith.extf %{{.+}} : f16 to f32
// CHECK:   linalg.generic {{.*}} ins(%{{.+}}, %{{.+}} : tensor<64x64xf32>, tensor<64xf32>) outs(%{{.+}} : tensor<64x64xf16>)
// CHECK:     arith.truncf %{{.+}} : f32 to f16
func.func @attention_f16(%q: tensor<1x2x128x64xf16>, %k: tensor<1x2x128x64xf16>, %v: tensor<1x2x128x64xf16>) -> tensor<1x2x128x64xf16> {
  %0 = nn.attention %q, %k, %v : (tensor<1x2x128x64xf16>, tensor<1x2x128x64xf16>, tensor<1x2x128x64xf16>) -> tensor<1x2x128x64xf16>
  return %0 : tensor<1x2x128x64xf16>
}

// -----

// ViT's 197 tokens: blocks balanced over the sequence, 4 query blocks of 56
// (224 rows, not 256) and one key block of 224 (its one-iteration loop
// folds away); the 27 padded keys are masked on that block.
// CHECK-LABEL: func.func @attention_balanced_blocks
// CHECK: scf.forall (%{{.+}}, %{{.+}}) = (0, 0) to (12, 224) step (1, 56)
// CHECK:   tensor.extract_slice %{{.+}}[0, %{{.+}}, 0, 0] [1, 1, 64, 224] [1, 1, 1, 1] : tensor<1x12x64x224xf32> to tensor<64x224xf32>
// CHECK:   arith.select
func.func @attention_balanced_blocks(%q: tensor<1x12x197x64xf32>, %k: tensor<1x12x197x64xf32>, %v: tensor<1x12x197x64xf32>) -> tensor<1x12x197x64xf32> {
  %0 = nn.attention %q, %k, %v : (tensor<1x12x197x64xf32>, tensor<1x12x197x64xf32>, tensor<1x12x197x64xf32>) -> tensor<1x12x197x64xf32>
  return %0 : tensor<1x12x197x64xf32>
}

// -----

// Grouped-query heads read key/value head h / (Hq / Hkv). Dynamic lengths
// are padded at run time to a multiple of their block (64), so that every
// tile is static (and vectorizes); the result is the first Nq rows.
// CHECK-LABEL: func.func @attention_gqa_dynamic
// CHECK: %[[NQ:.+]] = tensor.dim %arg0, %c2
// CHECK: %[[UP:.+]] = arith.addi %[[NQ]], %c63
// CHECK: %[[BLOCKS:.+]] = arith.divui %[[UP]], %c64
// CHECK: %[[ROUNDED:.+]] = arith.muli %[[BLOCKS]], %c64
// CHECK: %[[HIGH:.+]] = arith.subi %[[ROUNDED]], %[[NQ]]
// CHECK: %[[Q:.+]] = tensor.pad %arg0 low[0, 0, 0, 0] high[0, 0, %[[HIGH]], 0]
// CHECK: tensor.pad %arg1
// CHECK: tensor.pad %arg2
// CHECK: %[[NQP:.+]] = tensor.dim %[[Q]], %c2
// CHECK: %[[ALL:.+]] = scf.forall (%{{.+}}, %[[H:.+]], %{{.+}}) = (0, 0, 0) to (%{{.+}}, 8, %[[NQP]]) step (1, 1, 64)
// CHECK:   %[[HK:.+]] = arith.divui %[[H]], %c4
// CHECK:   tensor.extract_slice %[[Q]]{{.*}} [1, 1, 64, 64] [1, 1, 1, 1] : tensor<?x8x?x64xf32> to tensor<64x64xf32>
// CHECK:     scf.for
// CHECK:       tensor.extract_slice %{{.+}}[%{{.+}}, %[[HK]], 0, %{{.+}}] [1, 1, 64, 64] [1, 1, 1, 1] : tensor<?x2x64x?xf32> to tensor<64x64xf32>
// CHECK: tensor.extract_slice %[[ALL]][0, 0, 0, 0] [%{{.+}}, 8, %{{.+}}, 64]
func.func @attention_gqa_dynamic(%q: tensor<?x8x?x64xf32>, %k: tensor<?x2x?x64xf32>, %v: tensor<?x2x?x64xf32>) -> tensor<?x8x?x64xf32> {
  %0 = nn.attention %q, %k, %v : (tensor<?x8x?x64xf32>, tensor<?x2x?x64xf32>, tensor<?x2x?x64xf32>) -> tensor<?x8x?x64xf32>
  return %0 : tensor<?x8x?x64xf32>
}

// -----

// conv2d: padding, then one generic over (n, f, oh, ow, c, kh, kw) with the
// bias broadcast into the init (NCHW computed as NCHW:
// nchw-conv-as-nhwc=false).
// CHECK-DAG: #[[IN:.+]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d4, d2 * 2 + d5, d3 * 2 + d6)>
// CHECK-DAG: #[[FILTER:.+]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d1, d4, d5, d6)>
// CHECK-DAG: #[[OUT:.+]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d1, d2, d3)>
// CHECK-LABEL: func.func @conv
// CHECK: %[[BIAS:.+]] = linalg.generic {{.*}} ins(%arg2 : tensor<16xf32>)
// CHECK: %[[PAD:.+]] = tensor.pad %arg0 low[0, 0, 1, 1] high[0, 0, 1, 1]
// CHECK: linalg.generic {indexing_maps = [#[[IN]], #[[FILTER]], #[[OUT]]], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]} ins(%[[PAD]], %arg1 : tensor<1x8x10x10xf32>, tensor<16x8x3x3xf32>) outs(%[[BIAS]] : tensor<1x16x4x4xf32>)
// CHECK:   arith.mulf
// CHECK:   arith.addf
// By default the NCHW conv computes in the NHWC layout (input and filter transposed
// in, the (n, oh, ow, f, c, kh, kw) generic, the result transposed out).
// NHWC-LABEL: func.func @conv
// NHWC: %[[X:.+]] = linalg.transpose ins(%arg0 : tensor<1x8x8x8xf32>) outs(%{{.+}} : tensor<1x8x8x8xf32>) permutation = [0, 2, 3, 1]
// NHWC: %[[W:.+]] = linalg.transpose ins(%arg1 : tensor<16x8x3x3xf32>) outs(%{{.+}} : tensor<3x3x8x16xf32>) permutation = [2, 3, 1, 0]
// NHWC: %[[PAD:.+]] = tensor.pad %[[X]] low[0, 1, 1, 0] high[0, 1, 1, 0]
// NHWC: %[[C:.+]] = linalg.generic {{.*}} ins(%[[PAD]], %[[W]] : tensor<1x10x10x8xf32>, tensor<3x3x8x16xf32>) outs(%{{.+}} : tensor<1x4x4x16xf32>)
// NHWC: linalg.transpose ins(%[[C]] : tensor<1x4x4x16xf32>) outs(%{{.+}} : tensor<1x16x4x4xf32>) permutation = [0, 3, 1, 2]
func.func @conv(%x: tensor<1x8x8x8xf32>, %w: tensor<16x8x3x3xf32>, %b: tensor<16xf32>) -> tensor<1x16x4x4xf32> {
  %0 = nn.conv2d %x, %w bias(%b) layout(nchw) {strides = array<i64: 2, 2>, padding = array<i64: 1, 1, 1, 1>} : (tensor<1x8x8x8xf32>, tensor<16x8x3x3xf32>, tensor<16xf32>) -> tensor<1x16x4x4xf32>
  return %0 : tensor<1x16x4x4xf32>
}

// -----

// Grouped NHWC conv: output channel f reads input channel (f floordiv 4) * 2 + c.
// NHWC loops are (n, oh, ow, f, c, kh, kw): f, the contiguous output
// dimension, is the innermost parallel loop.
// CHECK: #[[IN:.+]] = affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d1 + d5, d2 + d6, (d3 floordiv 4) * 2 + d4)>
// CHECK-LABEL: func.func @conv_grouped_nhwc
// CHECK: linalg.generic {indexing_maps = [#[[IN]]
func.func @conv_grouped_nhwc(%x: tensor<1x5x5x6xf32>, %w: tensor<3x3x2x12xf32>) -> tensor<1x3x3x12xf32> {
  %0 = nn.conv2d %x, %w layout(nhwc) {groups = 3} : (tensor<1x5x5x6xf32>, tensor<3x3x2x12xf32>) -> tensor<1x3x3x12xf32>
  return %0 : tensor<1x3x3x12xf32>
}

// -----

// An NCHW depthwise conv whose input arrives in NCHW and whose rows fill
// whole vectors (width 32) computes in place, one stencil per channel, with
// no transposes. After a dense conv (which computes in NHWC) it computes in
// NHWC, so that the transposes between the two can cancel; so does a
// depthwise conv whose rows are not a multiple of 16 wide.
// NHWC-LABEL: func.func @depthwise_in_place
// NHWC-NOT: linalg.transpose
// NHWC: linalg.generic {{.*}} ins(%{{.+}}, %arg1 : tensor<1x4x10x34xf32>, tensor<4x1x3x3xf32>) outs(%{{.+}} : tensor<1x4x8x32xf32>)
// NHWC-NOT: linalg.transpose
// NHWC-LABEL: func.func @depthwise_after_conv
// NHWC: linalg.transpose
// NHWC: linalg.generic {{.*}} outs(%{{.+}} : tensor<1x8x32x4xf32>)
// NHWC: linalg.transpose
// NHWC: linalg.generic {{.*}} outs(%{{.+}} : tensor<1x8x32x4xf32>)
// NHWC-LABEL: func.func @depthwise_narrow
// NHWC: linalg.transpose
// NHWC: linalg.generic {{.*}} outs(%{{.+}} : tensor<1x8x24x4xf32>)
func.func @depthwise_in_place(%x: tensor<1x4x8x32xf32>, %w: tensor<4x1x3x3xf32>) -> tensor<1x4x8x32xf32> {
  %0 = nn.conv2d %x, %w layout(nchw) {padding = array<i64: 1, 1, 1, 1>, groups = 4} : (tensor<1x4x8x32xf32>, tensor<4x1x3x3xf32>) -> tensor<1x4x8x32xf32>
  return %0 : tensor<1x4x8x32xf32>
}
func.func @depthwise_after_conv(%x: tensor<1x4x8x32xf32>, %w0: tensor<4x4x1x1xf32>, %w: tensor<4x1x3x3xf32>) -> tensor<1x4x8x32xf32> {
  %c = nn.conv2d %x, %w0 layout(nchw) : (tensor<1x4x8x32xf32>, tensor<4x4x1x1xf32>) -> tensor<1x4x8x32xf32>
  %r = nn.relu %c : tensor<1x4x8x32xf32>
  %0 = nn.conv2d %r, %w layout(nchw) {padding = array<i64: 1, 1, 1, 1>, groups = 4} : (tensor<1x4x8x32xf32>, tensor<4x1x3x3xf32>) -> tensor<1x4x8x32xf32>
  return %0 : tensor<1x4x8x32xf32>
}
func.func @depthwise_narrow(%x: tensor<1x4x8x24xf32>, %w: tensor<4x1x3x3xf32>) -> tensor<1x4x8x24xf32> {
  %0 = nn.conv2d %x, %w layout(nchw) {padding = array<i64: 1, 1, 1, 1>, groups = 4} : (tensor<1x4x8x24xf32>, tensor<4x1x3x3xf32>) -> tensor<1x4x8x24xf32>
  return %0 : tensor<1x4x8x24xf32>
}

// -----

// Reshapes: expand/collapse and transposes, no copies of their own.
// CHECK-LABEL: func.func @heads
// CHECK: %[[E:.+]] = tensor.expand_shape %arg0 {{\[}}[0], [1], [2, 3]] output_shape [2, 7, 3, 4]
// CHECK: linalg.transpose ins(%[[E]] : tensor<2x7x3x4xf32>) outs(%{{.+}} : tensor<2x3x7x4xf32>) permutation = [0, 2, 1, 3]
func.func @heads(%x: tensor<2x7x12xf32>) -> tensor<2x3x7x4xf32> {
  %0 = nn.split_heads %x {num_heads = 3} : tensor<2x7x12xf32> -> tensor<2x3x7x4xf32>
  return %0 : tensor<2x3x7x4xf32>
}

// -----

// Elementwise ops become one parallel generic each; broadcasting operands
// get projected maps.
// CHECK-DAG: #[[B:.+]] = affine_map<(d0, d1, d2) -> (d2)>
// CHECK-LABEL: func.func @bias_gelu
// CHECK: linalg.generic {indexing_maps = [#{{.+}}, #[[B]], #{{.+}}], iterator_types = ["parallel", "parallel", "parallel"]}
// CHECK:   arith.addf
// CHECK: linalg.generic
// CHECK:   math.erf
func.func @bias_gelu(%x: tensor<2x5x8xf32>, %b: tensor<8xf32>) -> tensor<2x5x8xf32> {
  %0 = nn.add %x, %b : (tensor<2x5x8xf32>, tensor<8xf32>) -> tensor<2x5x8xf32>
  %1 = nn.gelu %0 : tensor<2x5x8xf32>
  return %1 : tensor<2x5x8xf32>
}

// -----

// linear: the weight [N, K] is packed as [K, N] (a transpose) so that the
// contraction reads rows of output features; the bias initialises the
// accumulator; loops (m, n, k).
// CHECK-DAG: #[[X:.+]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG: #[[W:.+]] = affine_map<(d0, d1, d2) -> (d2, d1)>
// CHECK-DAG: #[[Y:.+]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func.func @linear
// CHECK: %[[B:.+]] = linalg.generic {{.*}} ins(%arg2 : tensor<24xf32>)
// CHECK: %[[WT:.+]] = linalg.transpose ins(%arg1 : tensor<24x40xf32>) outs(%{{.+}} : tensor<40x24xf32>) permutation = [1, 0]
// CHECK: linalg.generic {indexing_maps = [#[[X]], #[[W]], #[[Y]]], iterator_types = ["parallel", "parallel", "reduction"]} ins(%arg0, %[[WT]] : tensor<5x40xf32>, tensor<40x24xf32>) outs(%[[B]] : tensor<5x24xf32>)
func.func @linear(%x: tensor<5x40xf32>, %w: tensor<24x40xf32>, %b: tensor<24xf32>) -> tensor<5x24xf32> {
  %0 = nn.linear %x, %w bias(%b) : (tensor<5x40xf32>, tensor<24x40xf32>, tensor<24xf32>) -> tensor<5x24xf32>
  return %0 : tensor<5x24xf32>
}

// -----

// Constant weights are packed at compile time: the transposed filter of an
// NCHW conv and the [K, N] weight of a linear are new constants, with no
// transpose left to run.
// NHWC-LABEL: func.func @const_weights
// NHWC-DAG: arith.constant dense<{{\[\[\[\[}}1.000000e+00, 5.000000e+00], [3.000000e+00, 7.000000e+00]], {{\[\[}}2.000000e+00, 6.000000e+00], [4.000000e+00, 8.000000e+00]]]]> : tensor<1x2x2x2xf32>
// NHWC-DAG: arith.constant dense<{{\[\[}}1.000000e+00, 3.000000e+00], [2.000000e+00, 4.000000e+00]]> : tensor<2x2xf32>
// NHWC-NOT: linalg.transpose ins(%cst
func.func @const_weights(%x: tensor<1x2x1x2xf32>, %t: tensor<3x2xf32>) -> (tensor<1x2x1x1xf32>, tensor<3x2xf32>) {
  %w = arith.constant dense<[[[[1.0, 2.0]], [[3.0, 4.0]]], [[[5.0, 6.0]], [[7.0, 8.0]]]]> : tensor<2x2x1x2xf32>
  %c = nn.conv2d %x, %w layout(nchw) : (tensor<1x2x1x2xf32>, tensor<2x2x1x2xf32>) -> tensor<1x2x1x1xf32>
  %lw = arith.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %l = nn.linear %t, %lw : (tensor<3x2xf32>, tensor<2x2xf32>) -> tensor<3x2xf32>
  return %c, %l : tensor<1x2x1x1xf32>, tensor<3x2xf32>
}

// A clamp is a max then a min (either bound optional).
// CHECK-LABEL: func.func @relu6
// CHECK: linalg.generic
// CHECK:   %[[LO:.+]] = arith.maximumf %{{.+}}, %{{.+}} : f32
// CHECK:   arith.minimumf %[[LO]], %{{.+}} : f32
func.func @relu6(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %0 = nn.clamp %x {min = 0.0 : f32, max = 6.0 : f32} : tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}
