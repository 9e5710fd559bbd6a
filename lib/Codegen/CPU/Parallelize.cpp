//===- Parallelize.cpp - loops on acc's thread pool -----------------------===//
//
// Part of the acc project.
//
// nn-cpu-parallelize outlines the outermost scf.forall loops into functions
// that acc's runtime runs on its thread pool.
//
//===----------------------------------------------------------------------===//

#include "Runtime.h"
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
#define GEN_PASS_DEF_NNCPUPARALLELIZE
#include "acc/Codegen/CPU/Passes.h.inc"
} // namespace acc

using namespace mlir;
using acc::cpu::kParallelFor;

namespace {
/// Values that can be recomputed in the outlined body instead of being
/// passed: constants and other pure ops without operands (ub.poison).
bool isRematerializable(Value v) {
  Operation *def = v.getDefiningOp();
  return def && def->getNumOperands() == 0 && def->getNumRegions() == 0 &&
         isPure(def);
}

/// The bounds of dimension `d` of `loop` as index values in `b`'s block;
/// values from above are looked up in `map` (identity if absent).
struct Bounds {
  Value lb, ub, step;
};
Bounds boundsOf(OpBuilder &b, Location loc, scf::ForallOp loop, unsigned d,
                const IRMapping &map) {
  auto val = [&](OpFoldResult f) {
    if (auto v = dyn_cast<Value>(f))
      return map.lookupOrDefault(v);
    return getValueOrCreateConstantIndexOp(b, loc, f);
  };
  return {val(loop.getMixedLowerBound()[d]), val(loop.getMixedUpperBound()[d]),
          val(loop.getMixedStep()[d])};
}

/// max(ceil((ub - lb) / step), 0).
Value tripCount(OpBuilder &b, Location loc, const Bounds &bd) {
  Value span = arith::SubIOp::create(b, loc, bd.ub, bd.lb);
  Value n = arith::CeilDivSIOp::create(b, loc, span, bd.step);
  return arith::MaxSIOp::create(b, loc, n,
                                arith::ConstantIndexOp::create(b, loc, 0));
}

/// The runtime entry, declared once per module.
func::FuncOp getOrDeclareParallelFor(ModuleOp module, FunctionType bodyType) {
  if (auto f = module.lookupSymbol<func::FuncOp>(kParallelFor))
    return f;
  MLIRContext *ctx = module.getContext();
  OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
  auto type = FunctionType::get(
      ctx, {bodyType, LLVM::LLVMPointerType::get(ctx), b.getI64Type()}, {});
  auto f = func::FuncOp::create(b, module.getLoc(), kParallelFor, type);
  f.setPrivate();
  return f;
}

struct NNCPUParallelizePass
    : public acc::impl::NNCPUParallelizeBase<NNCPUParallelizePass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    IRRewriter rewriter(&getContext());
    SmallVector<scf::ForallOp> outer, nested;
    bool onTensors = false;
    module.walk([&](scf::ForallOp loop) {
      (loop->getParentOfType<scf::ForallOp>() ? nested : outer).push_back(loop);
      if (!loop.getResults().empty()) {
        loop.emitOpError("has tensor results: nn-cpu-parallelize runs after "
                         "bufferization");
        onTensors = true;
      }
    });
    if (onTensors)
      return signalPassFailure();
    // The walk is post-order: inner loops are rewritten first.
    for (scf::ForallOp loop : nested)
      if (failed(sequential(rewriter, loop)))
        return signalPassFailure();
    SymbolTable symbols(module);
    for (scf::ForallOp loop : outer) {
      if (failed(outline(rewriter, symbols, loop)) &&
          failed(sequential(rewriter, loop)))
        return signalPassFailure();
    }
  }

  LogicalResult sequential(IRRewriter &rewriter, scf::ForallOp loop) {
    rewriter.setInsertionPoint(loop);
    if (failed(scf::forallToForLoop(rewriter, loop)))
      return loop.emitOpError("could not be turned into sequential loops");
    return success();
  }

  /// Outlines `loop`; fails (leaving the IR untouched) when the loop should
  /// stay sequential.
  LogicalResult outline(IRRewriter &rewriter, SymbolTable &symbols,
                        scf::ForallOp loop) {
    MLIRContext *ctx = &getContext();
    Location loc = loop.getLoc();
    auto parent = loop->getParentOfType<func::FuncOp>();
    if (!parent)
      return failure();
    // Statically known iteration counts below the threshold stay serial.
    int64_t known = 1;
    bool allKnown = true;
    for (unsigned d = 0; d < loop.getRank(); ++d) {
      std::optional<int64_t> lb = getConstantIntValue(
                                 loop.getMixedLowerBound()[d]),
                             ub = getConstantIntValue(
                                 loop.getMixedUpperBound()[d]),
                             step = getConstantIntValue(loop.getMixedStep()[d]);
      if (lb && ub && step && *step > 0)
        known *= std::max<int64_t>(llvm::divideCeilSigned(*ub - *lb, *step), 0);
      else
        allKnown = false;
    }
    if (allKnown && known < minIterations)
      return failure();

    // What the body needs from above: the loop bounds and the captured
    // values, except those recomputed inside.
    llvm::SetVector<Value> used;
    getUsedValuesDefinedAbove(loop.getRegion(), used);
    for (OpFoldResult f : llvm::concat<OpFoldResult>(loop.getMixedLowerBound(),
                                                     loop.getMixedUpperBound(),
                                                     loop.getMixedStep()))
      if (auto v = dyn_cast<Value>(f))
        used.insert(v);
    SmallVector<Value> passed, remat;
    for (Value v : used)
      (isRematerializable(v) ? remat : passed).push_back(v);
    LLVMTypeConverter converter(ctx);
    SmallVector<Type> fieldTypes;
    for (Value v : passed) {
      Type t = converter.convertType(v.getType());
      if (!t || !LLVM::isCompatibleType(t))
        return failure();
      fieldTypes.push_back(t);
    }
    auto ptrType = LLVM::LLVMPointerType::get(ctx);
    Type i64 = IntegerType::get(ctx, 64);
    auto structType = LLVM::LLVMStructType::getLiteral(ctx, fieldTypes);
    auto bodyType = FunctionType::get(ctx, {ptrType, i64, i64}, {});

    // The outlined body: for (l = begin; l < end; ++l) body(delinearize(l)).
    OpBuilder b(ctx);
    b.setInsertionPointAfter(parent);
    auto body = func::FuncOp::create(
        b, loc, (parent.getSymName() + "_par").str(), bodyType);
    body.setPrivate();
    symbols.insert(body); // renames on a clash: _par, _par_0, ...
    Block *entry = body.addEntryBlock();
    b.setInsertionPointToStart(entry);
    IRMapping map;
    for (Value v : remat)
      b.clone(*v.getDefiningOp(), map);
    Value ctxArg = entry->getArgument(0);
    for (auto [i, v] : llvm::enumerate(passed)) {
      auto gep = LLVM::GEPOp::create(
          b, loc, ptrType, structType, ctxArg,
          ArrayRef<LLVM::GEPArg>{0, static_cast<int32_t>(i)});
      Value field = LLVM::LoadOp::create(b, loc, fieldTypes[i], gep);
      if (field.getType() != v.getType())
        field = UnrealizedConversionCastOp::create(b, loc, v.getType(), field)
                    .getResult(0);
      map.map(v, field);
    }
    // Stack buffers of the iterations: once per chunk, not per iteration.
    for (auto alloca : loop.getBody()->getOps<memref::AllocaOp>())
      if (alloca.getDynamicSizes().empty() &&
          alloca.getSymbolOperands().empty())
        map.map(alloca.getResult(), b.clone(*alloca, map)->getResult(0));
    auto toIndex = [&](Value v) {
      return arith::IndexCastOp::create(b, loc, b.getIndexType(), v);
    };
    Value begin = toIndex(entry->getArgument(1)),
          end = toIndex(entry->getArgument(2));
    unsigned rank = loop.getRank();
    SmallVector<Bounds> bounds;
    SmallVector<Value> counts;
    for (unsigned d = 0; d < rank; ++d) {
      bounds.push_back(boundsOf(b, loc, loop, d, map));
      counts.push_back(tripCount(b, loc, bounds.back()));
    }
    Value one = arith::ConstantIndexOp::create(b, loc, 1);
    auto chunk = scf::ForOp::create(b, loc, begin, end, one);
    b.setInsertionPointToStart(chunk.getBody());
    Value rest = chunk.getInductionVar();
    SmallVector<Value> ivs(rank);
    for (int d = rank - 1; d >= 0; --d) {
      Value pos = rest;
      if (d != 0) {
        pos = arith::RemUIOp::create(b, loc, rest, counts[d]);
        rest = arith::DivUIOp::create(b, loc, rest, counts[d]);
      }
      ivs[d] = arith::AddIOp::create(
          b, loc, bounds[d].lb,
          arith::MulIOp::create(b, loc, pos, bounds[d].step));
    }
    for (unsigned d = 0; d < rank; ++d)
      map.map(loop.getInductionVar(d), ivs[d]);
    for (Operation &op : loop.getBody()->without_terminator()) {
      bool hoisted = isa<memref::AllocaOp>(op) && map.contains(op.getResult(0));
      if (!hoisted)
        b.clone(op, map);
    }
    b.setInsertionPointToEnd(entry);
    func::ReturnOp::create(b, loc);

    // The call site: fill the context struct and call the runtime.
    rewriter.setInsertionPointToStart(&parent.getBody().front());
    Value c1 = LLVM::ConstantOp::create(rewriter, loc, i64,
                                        rewriter.getI64IntegerAttr(1));
    Value ctxPtr =
        LLVM::AllocaOp::create(rewriter, loc, ptrType, structType, c1, 0);
    rewriter.setInsertionPoint(loop);
    for (auto [i, v] : llvm::enumerate(passed)) {
      Value field = v;
      if (field.getType() != fieldTypes[i])
        field = UnrealizedConversionCastOp::create(rewriter, loc, fieldTypes[i],
                                                   field)
                    .getResult(0);
      auto gep = LLVM::GEPOp::create(
          rewriter, loc, ptrType, structType, ctxPtr,
          ArrayRef<LLVM::GEPArg>{0, static_cast<int32_t>(i)});
      LLVM::StoreOp::create(rewriter, loc, field, gep);
    }
    Value n = arith::ConstantIndexOp::create(rewriter, loc, 1);
    for (unsigned d = 0; d < rank; ++d)
      n = arith::MulIOp::create(
          rewriter, loc, n,
          tripCount(rewriter, loc, boundsOf(rewriter, loc, loop, d, {})));
    Value n64 = arith::IndexCastOp::create(rewriter, loc, i64, n);
    Value fn = func::ConstantOp::create(rewriter, loc, bodyType,
                                        SymbolRefAttr::get(body));
    func::FuncOp runtime =
        getOrDeclareParallelFor(parent->getParentOfType<ModuleOp>(), bodyType);
    func::CallOp::create(rewriter, loc, runtime, ValueRange{fn, ctxPtr, n64});
    rewriter.eraseOp(loop);
    return success();
  }
};

} // namespace
