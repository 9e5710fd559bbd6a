//===- CostReport.cpp - the nn-cost-report printing pass ------------------===//
//
// Part of the acc project.
//
// A thin shell over acc::CostModel: the analysis does the work, the pass
// prints it and preserves everything.
//
//===----------------------------------------------------------------------===//

#include "acc/Analysis/CostModel.h"
#include "acc/Dialect/NN/Transforms/Passes.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/ToolOutputFile.h"

namespace acc::nn {
#define GEN_PASS_DEF_NNCOSTREPORT
#include "acc/Dialect/NN/Transforms/Passes.h.inc"
} // namespace acc::nn

using namespace mlir;

namespace {
struct NNCostReportPass
    : public acc::nn::impl::NNCostReportBase<NNCostReportPass> {
  using Base::Base;

  void runOnOperation() override {
    markAllAnalysesPreserved();
    if (format != "text" && format != "json") {
      getOperation().emitError() << "nn-cost-report: unknown format '" << format
                                 << "'; expected 'text' or 'json'";
      return signalPassFailure();
    }
    if (!(peakGflops > 0) || !(bandwidthGBs > 0)) {
      getOperation().emitError()
          << "nn-cost-report: peak-gflops and bandwidth-gbs must be positive";
      return signalPassFailure();
    }
    const auto &model = getAnalysis<acc::CostModel>();
    acc::CostReportOptions options;
    options.json = format == "json";
    options.peakGflops = peakGflops;
    options.bandwidthGBs = bandwidthGBs;

    std::string error;
    std::unique_ptr<llvm::ToolOutputFile> file =
        mlir::openOutputFile(output, &error);
    if (!file) {
      getOperation().emitError() << "nn-cost-report: " << error;
      return signalPassFailure();
    }
    acc::printCostReport(model, options, file->os());
    file->os().flush();
    file->keep();
  }
};
} // namespace
