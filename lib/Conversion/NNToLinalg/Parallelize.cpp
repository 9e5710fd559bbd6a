//===- Parallelize.cpp - thread-pool loops and tile buffers ---------------===//
//
// Part of the acc project.
//
// nn-cpu-parallelize outlines the outermost scf.forall loops into functions
// that acc's runtime runs on its thread pool; nn-cpu-promote-tile-buffers
// turns the per-tile heap buffers of tiled code into stack buffers allocated
// once per allocation scope.
//
//===----------------------------------------------------------------------===//

#include "acc/Conversion/Passes.h"

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
#define GEN_PASS_DEF_NNCPUPROMOTETILEBUFFERS
#define GEN_PASS_DEF_NNCPURUNTIMEALLOCATOR
#include "acc/Conversion/Passes.h.inc"
} // namespace acc

using namespace mlir;

namespace {
constexpr llvm::StringLiteral kParallelFor = "acc_rt_parallel_for";

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
struct NNCPURuntimeAllocatorPass
    : public acc::impl::NNCPURuntimeAllocatorBase<NNCPURuntimeAllocatorPass> {
  using Base::Base;
  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (!runtime) {
      addFailureChecks(module, /*entriesOnly=*/true);
      return;
    }
    const std::pair<StringRef, StringRef> names[] = {
        {"_mlir_memref_to_llvm_alloc", "acc_rt_alloc"},
        {"_mlir_memref_to_llvm_aligned_alloc", "acc_rt_aligned_alloc"},
        {"_mlir_memref_to_llvm_free", "acc_rt_free"}};
    for (auto [from, to] : names) {
      auto fn = module.lookupSymbol<LLVM::LLVMFuncOp>(from);
      if (!fn)
        continue;
      if (module.lookupSymbol(to)) {
        fn.emitOpError("cannot be renamed: '") << to << "' exists already";
        return signalPassFailure();
      }
      if (failed(SymbolTable::replaceAllSymbolUses(
              fn, StringAttr::get(&getContext(), to), module)))
        return signalPassFailure();
      SymbolTable::setSymbolName(fn, to);
    }
    addFailureChecks(module);
  }

  /// `fn`, declared in `module` if it is not yet.
  static LLVM::LLVMFuncOp declare(ModuleOp module, StringRef name,
                                  Type result) {
    if (auto fn = module.lookupSymbol<LLVM::LLVMFuncOp>(name))
      return fn;
    OpBuilder b(module.getBodyRegion());
    return LLVM::LLVMFuncOp::create(
        b, module.getLoc(), name,
        LLVM::LLVMFunctionType::get(result, {}, /*isVarArg=*/false));
  }

  /// A heap allocation that returns NULL makes the entry return 3: an entry
  /// (returning the i32 status) returns at once; a parallel loop's body
  /// (returning nothing) reports it (`acc_rt_fail`) and stops its chunk,
  /// and the entry returns 3 after the loop (`acc_rt_take_failure`).
  /// Buffers allocated before the failure are not freed.
  /// `entriesOnly`: without the runtime, only entries can report.
  static void addFailureChecks(ModuleOp module, bool entriesOnly = false) {
    MLIRContext *ctx = module.getContext();
    Type i32 = IntegerType::get(ctx, 32), voidT = LLVM::LLVMVoidType::get(ctx);
    SmallVector<LLVM::LLVMFuncOp> funcs(module.getOps<LLVM::LLVMFuncOp>());
    for (LLVM::LLVMFuncOp func : funcs) {
      if (func.isExternal())
        continue;
      Type result = func.getFunctionType().getReturnType();
      bool entry = result == i32,
           body = !entriesOnly && isa<LLVM::LLVMVoidType>(result);
      if (!entry && !body)
        continue;
      SmallVector<LLVM::CallOp> allocs, loops;
      func.walk([&](LLVM::CallOp call) {
        std::optional<StringRef> callee = call.getCallee();
        if (!callee)
          return;
        if (llvm::is_contained(
                {StringRef("acc_rt_alloc"), StringRef("acc_rt_aligned_alloc"),
                 StringRef("malloc"), StringRef("aligned_alloc"),
                 StringRef("_mlir_memref_to_llvm_alloc"),
                 StringRef("_mlir_memref_to_llvm_aligned_alloc")},
                *callee))
          allocs.push_back(call);
        else if (entry && *callee == kParallelFor)
          loops.push_back(call);
      });
      if (allocs.empty() && loops.empty())
        continue;
      OpBuilder b(ctx);
      Location loc = func.getLoc();
      // The failure exit.
      Block *fail = new Block();
      func.getBody().push_back(fail);
      b.setInsertionPointToStart(fail);
      if (entry) {
        Value three = LLVM::ConstantOp::create(b, loc, i32, 3);
        LLVM::ReturnOp::create(b, loc, ValueRange{three});
        // A failure left over from an earlier call is not this call's.
        // (Code without parallel loops calls nothing of the runtime.)
        if (!loops.empty()) {
          b.setInsertionPointToStart(&func.getBody().front());
          LLVM::CallOp::create(b, loc,
                               declare(module, "acc_rt_take_failure", i32),
                               ValueRange{});
        }
      } else {
        LLVM::CallOp::create(b, loc, declare(module, "acc_rt_fail", voidT),
                             ValueRange{});
        LLVM::ReturnOp::create(b, loc, ValueRange{});
      }
      auto branchOnFailure = [&](Operation *after, Value failed) {
        Block *before = after->getBlock();
        Block *cont = before->splitBlock(after->getNextNode());
        b.setInsertionPointToEnd(before);
        LLVM::CondBrOp::create(b, loc, failed, fail, cont);
      };
      for (LLVM::CallOp call : allocs) {
        b.setInsertionPointAfter(call);
        Value null = LLVM::ZeroOp::create(b, loc, call.getResult().getType());
        Value isNull = LLVM::ICmpOp::create(b, loc, LLVM::ICmpPredicate::eq,
                                            call.getResult(), null);
        branchOnFailure(isNull.getDefiningOp(), isNull);
      }
      for (LLVM::CallOp call : loops) {
        b.setInsertionPointAfter(call);
        Value taken = LLVM::CallOp::create(
                          b, loc, declare(module, "acc_rt_take_failure", i32),
                          ValueRange{})
                          .getResult();
        Value zero = LLVM::ConstantOp::create(b, loc, i32, 0);
        Value failed =
            LLVM::ICmpOp::create(b, loc, LLVM::ICmpPredicate::ne, taken, zero);
        branchOnFailure(failed.getDefiningOp(), failed);
      }
    }
  }
};
} // namespace
