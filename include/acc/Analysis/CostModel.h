//===- CostModel.h - FLOPs, bytes and scaling of nn programs ----*- C++ -*-===//
//
// Part of the acc project.
//
//===----------------------------------------------------------------------===//
//
// The cost model answers, from the nn level alone and before anything is
// lowered, what each op, block and function costs and how that cost grows
// with the input: FLOPs and MACs, bytes moved (op by op, and unfused), the
// parameters, the largest intermediate, a roofline estimate, receptive fields
// of convolution stacks, and for dynamic shapes exact polynomials in named
// symbols with their scaling class and the convolution/attention crossover.
//
// docs/CostModel.md states every formula and the JSON schema.
//
//===----------------------------------------------------------------------===//

#ifndef ACC_ANALYSIS_COSTMODEL_H
#define ACC_ANALYSIS_COSTMODEL_H

#include "acc/Analysis/Polynomial.h"
#include "acc/Dialect/NN/IR/NNOps.h"

#include "mlir/IR/Operation.h"
#include "mlir/Pass/AnalysisManager.h"
#include "llvm/ADT/DenseMap.h"

#include <optional>
#include <string>
#include <vector>

namespace acc {

/// The figures of one op, block or function.
struct CostFigures {
  Poly flops;
  /// Multiply-accumulates of the contractions (conv, linear, matmul, the two
  /// products of attention); FLOPs count each of them as 2.
  Poly macs;
  /// Bytes read and written when every op reads each operand and writes each
  /// result once.
  Poly bytes;
  /// Bytes of the unfused form: an attention also writes and reads its
  /// N x N scores and probabilities.
  Poly bytesUnfused;
  Poly params;
  Poly paramBytes;
  /// Set when an op inside is not modelled (its figures count as 0).
  bool hasUnknown = false;

  void add(const CostFigures &o);
};

/// Receptive field in input pixels of an image value, or global.
struct ReceptiveField {
  bool global = false;
  int64_t height = 1, width = 1;
  int64_t strideH = 1, strideW = 1;
};

struct OpCost {
  mlir::Operation *op;
  CostFigures cost;
  bool known = true;
  /// For conv2d, pooling and patch_embed: the receptive field after the op.
  std::optional<ReceptiveField> receptiveField;
  /// Nesting depth in nn.block regions.
  unsigned depth = 0;
};

struct BlockCost {
  mutable nn::BlockOp op;
  CostFigures cost;
  unsigned depth = 0;
};

/// Where, in one symbol, the attention part overtakes the convolution part.
struct Crossover {
  enum class Kind {
    None,      ///< the function has not both kinds of blocks
    Static,    ///< no symbol: a comparison at the static sizes
    At,        ///< attention larger from `value` on
    Always,    ///< attention larger at every size >= 1
    Never,     ///< attention never larger
    Below,     ///< attention larger only below `value`
    Ambiguous, ///< several symbols
  };
  Kind kind = Kind::None;
  std::string symbol;
  int64_t value = 0;
  std::string text;
};

struct FunctionCost {
  std::string name;
  mlir::Operation *func;
  CostFigures total;
  std::vector<OpCost> ops;
  std::vector<BlockCost> blocks;
  /// Bytes of the largest op result, and the op.
  Poly largestIntermediate;
  mlir::Operation *largestIntermediateOp = nullptr;
  /// Symbols with their origins ("%arg1 dim 2 (derived)").
  std::vector<std::pair<unsigned, std::string>> symbolOrigins;
  Crossover flopsCrossover, bytesCrossover;
};

/// The analysis. Construct it on a module (or any op holding functions).
class CostModel {
public:
  CostModel(mlir::Operation *op, mlir::AnalysisManager &am);
  explicit CostModel(mlir::Operation *op);

  const SymbolNames &getSymbols() const { return symbols; }
  const std::vector<FunctionCost> &getFunctions() const { return functions; }

  /// Bytes per element of a tensor's element type.
  static int64_t elementBytes(mlir::Type type);

private:
  SymbolNames symbols;
  std::vector<FunctionCost> functions;
};

/// How `nn-cost-report` and `acc-compile --cost-report` print the analysis.
struct CostReportOptions {
  bool json = false;
  double peakGflops = 330.0;
  double bandwidthGBs = 26.0;
};

/// Writes the report (text table or JSON, see docs/CostModel.md).
void printCostReport(const CostModel &model, const CostReportOptions &options,
                     llvm::raw_ostream &os);

} // namespace acc

#endif // ACC_ANALYSIS_COSTMODEL_H
