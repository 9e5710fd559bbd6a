//===- DynamicEntry.cpp - the dims-taking entry of dynamic models
//----------===//
//
// Part of the acc project.
//
// A public function whose arguments have dynamic dimensions cannot use the
// bare-pointer ABI: its buffers need their sizes. After bufferization (the
// results are out-params), the function becomes a private implementation
// and a new public entry takes one pointer per buffer plus the values of
// the dynamic dimensions:
//
//   int NAME(const float *in0, ..., float *out0, ..., const int64_t *dims);
//
// `dims` lists every `?` of the signature in order (inputs, then outputs,
// each tensor's dims outer to inner). The entry builds the memref
// descriptors (row-major strides), checks the dims and calls the
// implementation, which the inliner then folds in. Statuses: 0 success, 1
// an output's dims differ from what the model computes for these inputs
// (the outputs are left untouched), 2 a negative dim.
//
//===----------------------------------------------------------------------===//

#include "acc/Codegen/EntryABI/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlowOps.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"

namespace acc {
#define GEN_PASS_DEF_NNDYNAMICENTRY
#include "acc/Codegen/EntryABI/Passes.h.inc"
} // namespace acc

using namespace mlir;

namespace {

bool isDynamicMemRef(Type t) {
  auto m = dyn_cast<MemRefType>(t);
  return m && !m.hasStaticShape();
}

/// The implementation returns a status: each copy of a result into its
/// out-param runs only when the dims agree, else the status is 1.
LogicalResult addResultChecks(func::FuncOp impl, unsigned numInputs) {
  Block &body = impl.getBody().front();
  auto ret = dyn_cast<func::ReturnOp>(body.getTerminator());
  if (!ret || !llvm::hasSingleElement(impl.getBody()))
    return impl.emitError("dims-taking entry: expected a single-block body");
  OpBuilder b(impl.getContext());
  Location loc = impl.getLoc();
  b.setInsertionPointToStart(&body);
  Value bad = arith::ConstantIntOp::create(b, loc, b.getI1Type(), 0);
  llvm::SmallDenseSet<unsigned> checked;
  SmallVector<memref::CopyOp> copies;
  impl.walk([&](memref::CopyOp copy) { copies.push_back(copy); });
  for (memref::CopyOp copy : copies) {
    auto target = dyn_cast<BlockArgument>(copy.getTarget());
    if (!target || target.getOwner() != &body ||
        target.getArgNumber() < numInputs)
      continue;
    auto type = cast<MemRefType>(target.getType());
    if (type.hasStaticShape())
      continue;
    if (copy->getBlock() != &body)
      return copy.emitError("dims-taking entry: the copy of a result into "
                            "its out-param is nested; its dims cannot be "
                            "checked");
    b.setInsertionPoint(copy);
    Value ok = arith::ConstantIntOp::create(b, loc, b.getI1Type(), 1);
    for (int64_t d = 0; d < type.getRank(); ++d) {
      if (!type.isDynamicDim(d))
        continue;
      Value want = memref::DimOp::create(b, loc, copy.getSource(), d);
      Value have = memref::DimOp::create(b, loc, target, d);
      Value eq =
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, want, have);
      ok = arith::AndIOp::create(b, loc, ok, eq);
    }
    auto ifOp = scf::IfOp::create(b, loc, ok, /*withElseRegion=*/false);
    copy->moveBefore(ifOp.thenBlock()->getTerminator());
    b.setInsertionPointAfter(ifOp);
    Value notOk = arith::XOrIOp::create(
        b, loc, ok, arith::ConstantIntOp::create(b, loc, b.getI1Type(), 1));
    bad = arith::OrIOp::create(b, loc, bad, notOk);
    checked.insert(target.getArgNumber());
  }
  // An out-param with dynamic dims that no checked copy writes: its size is
  // trusted to the caller, which acc cannot verify.
  for (unsigned i = numInputs; i < impl.getNumArguments(); ++i)
    if (isDynamicMemRef(impl.getArgument(i).getType()) && !checked.contains(i))
      return impl.emitError("dims-taking entry: output #")
             << (i - numInputs)
             << " with dynamic dims is not written by a copy whose size "
                "can be checked";
  b.setInsertionPoint(ret);
  Value one = arith::ConstantIntOp::create(b, loc, b.getI32Type(), 1);
  Value zero = arith::ConstantIntOp::create(b, loc, b.getI32Type(), 0);
  Value status = arith::SelectOp::create(b, loc, bad, one, zero);
  ret->setOperands(ValueRange{status});
  impl.setType(FunctionType::get(impl.getContext(), impl.getArgumentTypes(),
                                 {b.getI32Type()}));
  return success();
}

LogicalResult wrap(func::FuncOp f) {
  MLIRContext *ctx = f.getContext();
  auto numInputsAttr = f->getAttrOfType<IntegerAttr>("nn.abi_inputs");
  unsigned numInputs =
      numInputsAttr ? numInputsAttr.getInt() : f.getNumArguments();
  for (auto [i, t] : llvm::enumerate(f.getArgumentTypes())) {
    auto m = dyn_cast<MemRefType>(t);
    if (!m || !m.getLayout().isIdentity())
      return f.emitError("dims-taking entry: argument #")
             << i << " is not an identity-layout memref (" << t << ")";
  }
  if (f.getNumResults() != 0)
    return f.emitError("dims-taking entry: expected results as out-params");
  std::string name = f.getSymName().str();
  f.setSymName(name + "_dynamic_impl");
  f.setPrivate();
  if (failed(addResultChecks(f, numInputs)))
    return failure();

  OpBuilder b(ctx);
  Location loc = f.getLoc();
  b.setInsertionPointAfter(f);
  Type ptrT = LLVM::LLVMPointerType::get(ctx);
  Type i64 = b.getI64Type(), i32 = b.getI32Type();
  SmallVector<Type> argTypes(f.getNumArguments() + 1, ptrT);
  auto entry = func::FuncOp::create(b, loc, name,
                                    FunctionType::get(ctx, argTypes, {i32}));
  Block *body = entry.addEntryBlock();
  Block *call = new Block(), *fail = new Block();
  entry.getBody().push_back(call);
  entry.getBody().push_back(fail);
  b.setInsertionPointToStart(body);
  Value dims = body->getArgument(f.getNumArguments());
  Value neg = arith::ConstantIntOp::create(b, loc, b.getI1Type(), 0);
  Value zero64 = arith::ConstantIntOp::create(b, loc, i64, 0);
  int64_t k = 0;
  SmallVector<Value> memrefs;
  for (auto [i, t] : llvm::enumerate(f.getArgumentTypes())) {
    auto type = cast<MemRefType>(t);
    int64_t rank = type.getRank();
    SmallVector<Value> sizes;
    for (int64_t d = 0; d < rank; ++d) {
      if (!type.isDynamicDim(d)) {
        sizes.push_back(
            arith::ConstantIntOp::create(b, loc, i64, type.getDimSize(d)));
        continue;
      }
      Value addr = LLVM::GEPOp::create(b, loc, ptrT, i64, dims,
                                       ArrayRef<LLVM::GEPArg>{int32_t(k++)});
      Value v = LLVM::LoadOp::create(b, loc, i64, addr);
      neg = arith::OrIOp::create(
          b, loc, neg,
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, v, zero64));
      sizes.push_back(v);
    }
    SmallVector<Value> strides(rank);
    Value stride = arith::ConstantIntOp::create(b, loc, i64, 1);
    for (int64_t d = rank - 1; d >= 0; --d) {
      strides[d] = stride;
      stride = arith::MulIOp::create(b, loc, stride, sizes[d]);
    }
    // {allocated, aligned, offset, sizes[rank], strides[rank]}
    SmallVector<Type> fields = {ptrT, ptrT, i64};
    if (rank > 0) {
      fields.push_back(LLVM::LLVMArrayType::get(i64, rank));
      fields.push_back(LLVM::LLVMArrayType::get(i64, rank));
    }
    auto descType = LLVM::LLVMStructType::getLiteral(ctx, fields);
    Value desc = LLVM::PoisonOp::create(b, loc, descType);
    Value ptr = body->getArgument(i);
    desc = LLVM::InsertValueOp::create(b, loc, desc, ptr, ArrayRef<int64_t>{0});
    desc = LLVM::InsertValueOp::create(b, loc, desc, ptr, ArrayRef<int64_t>{1});
    desc =
        LLVM::InsertValueOp::create(b, loc, desc, zero64, ArrayRef<int64_t>{2});
    for (int64_t d = 0; d < rank; ++d) {
      desc = LLVM::InsertValueOp::create(b, loc, desc, sizes[d],
                                         ArrayRef<int64_t>{3, d});
      desc = LLVM::InsertValueOp::create(b, loc, desc, strides[d],
                                         ArrayRef<int64_t>{4, d});
    }
    memrefs.push_back(
        UnrealizedConversionCastOp::create(b, loc, type, desc).getResult(0));
  }
  cf::CondBranchOp::create(b, loc, neg, fail, call);
  b.setInsertionPointToStart(call);
  auto result = func::CallOp::create(b, loc, f, memrefs);
  func::ReturnOp::create(b, loc, result.getResults());
  b.setInsertionPointToStart(fail);
  func::ReturnOp::create(
      b, loc, ValueRange{arith::ConstantIntOp::create(b, loc, i32, 2)});
  entry->setAttr("nn.abi_dims", b.getI64IntegerAttr(k));
  return success();
}

struct NNDynamicEntryPass
    : public acc::impl::NNDynamicEntryBase<NNDynamicEntryPass> {
  void runOnOperation() override {
    SmallVector<func::FuncOp> entries;
    for (auto f : getOperation().getOps<func::FuncOp>())
      if (!f.isPrivate() && !f.isExternal() &&
          llvm::any_of(f.getArgumentTypes(), isDynamicMemRef))
        entries.push_back(f);
    for (func::FuncOp f : entries)
      if (failed(wrap(f)))
        return signalPassFailure();
  }
};

} // namespace
