//===- Passes.td - the compiled entry's C ABI --------------*- tablegen -*-===//
//
// Part of the acc project.
//
// The C entry that every target exports (docs/ABI.md): its checks, its
// status result and the dims-taking entry of dynamic models. Every flag
// starts with `nn-`.
// Keep the definitions in alphabetical order.
//
//===----------------------------------------------------------------------===//

#ifndef ACC_CODEGEN_ENTRYABI_PASSES_TD
#define ACC_CODEGEN_ENTRYABI_PASSES_TD

include "mlir/Pass/PassBase.td"

def NNCheckEntryABI : Pass<"nn-check-entry-abi", "::mlir::ModuleOp"> {
  let summary = "Check the boundary of public functions against the C ABI";
  let description = [{
    Every argument and result of a public function must be a ranked tensor
    of an element type the C ABI maps (f32, f64, f16, bf16, i8, i32, i64);
    anything else gets a located error naming it, instead of an obscure
    failure in the LLVM conversion. Static functions compile to
    `int NAME(const float *in0, ..., float *out0, ...)`; functions with
    dynamic dimensions get the dims-taking entry (`nn-dynamic-entry`).

    It marks the tensor arguments of public functions
    `bufferization.writable = false`: the entry's inputs are only read (the
    ABI's contract), so bufferization copies rather than reusing an input's
    buffer for a result. It records the number of inputs as `nn.abi_inputs`
    (after bufferization the results are trailing arguments) and drops the
    model's names for inputs and outputs (`nn.name`, set by the ONNX
    importer): the ABI is positional.
  }];
}

def NNDynamicEntry : Pass<"nn-dynamic-entry", "::mlir::ModuleOp"> {
  let summary = "Give public functions with dynamic dims the dims-taking "
                "entry";
  let description = [{
    After bufferization (results as out-params), a public function whose
    buffers have dynamic dimensions cannot use the bare-pointer ABI. It
    becomes a private implementation, and a new public entry takes one
    pointer per buffer plus the values of the dynamic dimensions:

    ```c
    int NAME(const float *in0, ..., float *out0, ..., const int64_t *dims);
    ```

    `dims` lists every `?` of the signature in order: inputs, then outputs,
    each tensor's dimensions outer to inner. The entry builds row-major
    memref descriptors and calls the implementation (which the inliner
    then folds in). Each result is copied into its output buffer only when
    the dims agree. Status: 0 on success, 1 when an output's dims differ
    from what the model computes for the given inputs (outputs untouched),
    2 for a negative dim. The entry carries `nn.abi_dims`, the number of
    dims it reads.
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect",
                           "::mlir::cf::ControlFlowDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::memref::MemRefDialect"];
}

def NNReturnStatus : Pass<"nn-return-status", "::mlir::ModuleOp"> {
  let summary = "Give public functions the C ABI's int status result";
  let description = [{
    After bufferization has turned results into output buffers
    (`buffer-results-to-out-params`), every public function without results
    gets an `i32` result, 0 on every return: the compiled entry is
    `int NAME(const float *in0, ..., float *out0, ...)`, 0 meaning success
    (see docs/ABI.md). Functions that still have results are left alone.
    It also drops the ABI bookkeeping attributes of the earlier passes
    (`nn.abi_inputs`, `nn.abi_dims`).
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect"];
}

#endif // ACC_CODEGEN_ENTRYABI_PASSES_TD
