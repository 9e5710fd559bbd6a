//===- PromoteTileBuffers.cpp - per-tile buffers on the stack -------------===//
//
// Part of the acc project.
//
// nn-cpu-promote-tile-buffers turns the per-tile heap buffers of tiled code
// into stack buffers allocated once per allocation scope.
//
//===----------------------------------------------------------------------===//

#include "acc/Codegen/CPU/Passes.h"

#include "mlir/Conversion/LLVMCommon/TypeConverter.h"
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "mlir/Interfaces/ValueBoundsOpInterface.h"
#include "mlir/Transforms/RegionUtils.h"
#include "llvm/ADT/SetVector.h"

namespace acc {
#define GEN_PASS_DEF_NNCPUPROMOTETILEBUFFERS
#include "acc/Codegen/CPU/Passes.h.inc"
} // namespace acc

using namespace mlir;

namespace {

struct NNCPUPromoteTileBuffersPass
    : public acc::impl::NNCPUPromoteTileBuffersBase<
          NNCPUPromoteTileBuffersPass> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<memref::AllocOp> allocs;
    getOperation().walk([&](memref::AllocOp a) { allocs.push_back(a); });
    IRRewriter rewriter(&getContext());
    DataLayout layout = DataLayout::closest(getOperation());
    for (memref::AllocOp alloc : allocs) {
      MemRefType type = alloc.getType();
      if (!alloc.getSymbolOperands().empty() || !type.getLayout().isIdentity())
        continue;
      // A dynamic size with a constant upper bound (a partial tile:
      // min(8, 197 - i) rows) gets a stack buffer of the bound, viewed at
      // its size: ViT-B/16 allocated and freed one such tile per register
      // block of its linear layers, 4% of its time in the allocator's lock.
      SmallVector<int64_t> shape(type.getShape());
      bool bounded = true;
      unsigned k = 0;
      for (int64_t &extent : shape) {
        if (!ShapedType::isDynamic(extent))
          continue;
        FailureOr<int64_t> ub = ValueBoundsConstraintSet::computeConstantBound(
            presburger::BoundType::UB, alloc.getDynamicSizes()[k++],
            /*stopCondition=*/nullptr, /*closedUB=*/true);
        bounded &= succeeded(ub) && *ub > 0;
        if (!bounded)
          break;
        extent = *ub;
      }
      if (!bounded)
        continue;
      MemRefType staticType =
          MemRefType::get(shape, type.getElementType(),
                          MemRefLayoutAttrInterface(), type.getMemorySpace());
      int64_t bytes =
          staticType.getNumElements() *
          static_cast<int64_t>(layout.getTypeSize(type.getElementType()));
      if (bytes > maxBytes)
        continue;
      // Exactly one dealloc, in the allocating block: the buffer dies
      // within one execution of that block.
      memref::DeallocOp dealloc;
      bool ok = true;
      for (Operation *user : alloc->getUsers())
        if (auto d = dyn_cast<memref::DeallocOp>(user)) {
          ok &= !dealloc && d->getBlock() == alloc->getBlock();
          dealloc = d;
        }
      if (!ok || !dealloc)
        continue;
      // The function, or the body of the enclosing scf.forall. scf.for is
      // an allocation scope too, but its LLVM lowering frees nothing at the
      // end of an iteration: a stack buffer in a loop body grows the stack
      // at every iteration.
      Operation *scope = alloc->getParentOp();
      while (scope && !isa<FunctionOpInterface, scf::ForallOp>(scope))
        scope = scope->getParentOp();
      if (!scope || scope->getRegion(0).empty())
        continue;
      rewriter.setInsertionPointToStart(&scope->getRegion(0).front());
      auto alloca = memref::AllocaOp::create(
          rewriter, alloc.getLoc(), staticType, alloc.getAlignmentAttr());
      rewriter.eraseOp(dealloc);
      if (type.hasStaticShape()) {
        rewriter.replaceOp(alloc, alloca.getResult());
        continue;
      }
      // The buffer at its dynamic size, row-major from offset 0.
      rewriter.setInsertionPoint(alloc);
      Location loc = alloc.getLoc();
      SmallVector<OpFoldResult> sizes =
          getMixedValues(type.getShape(), alloc.getDynamicSizes(), rewriter);
      SmallVector<OpFoldResult> strides(sizes.size());
      OpFoldResult stride = rewriter.getIndexAttr(1);
      AffineExpr s0, s1;
      bindSymbols(rewriter.getContext(), s0, s1);
      for (int64_t d = sizes.size() - 1; d >= 0; --d) {
        strides[d] = stride;
        if (d > 0)
          stride = affine::makeComposedFoldedAffineApply(rewriter, loc, s0 * s1,
                                                         {stride, sizes[d]});
      }
      auto view = memref::ReinterpretCastOp::create(
          rewriter, loc, type, alloca.getResult(), rewriter.getIndexAttr(0),
          sizes, strides);
      rewriter.replaceOp(alloc, view.getResult());
    }
  }
};

} // namespace
