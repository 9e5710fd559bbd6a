//===- CostReport.cpp - text and JSON cost reports ------------------------===//
//
// Part of the acc project.
//
// The JSON schema is a contract (docs/CostModel.md): keep it stable.
//
//===----------------------------------------------------------------------===//

#include "acc/Analysis/CostModel.h"

#include "mlir/IR/Location.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/Path.h"

#include <fmt/format.h>

#include <limits>

using namespace mlir;
using namespace acc;

namespace {
std::string locString(Location loc) {
  if (auto fused = dyn_cast<FusedLoc>(loc))
    for (Location inner : fused.getLocations())
      if (auto s = locString(inner); s != "unknown")
        return s;
  if (auto name = dyn_cast<NameLoc>(loc)) {
    // Imported models name each op after its node; the file has no lines.
    auto file = dyn_cast<FileLineColLoc>(name.getChildLoc());
    if (file && file.getLine() == 0)
      return name.getName().str();
    return locString(name.getChildLoc());
  }
  if (auto callsite = dyn_cast<CallSiteLoc>(loc))
    return locString(callsite.getCallee());
  if (auto file = dyn_cast<FileLineColLoc>(loc))
    return fmt::format(
        "{}:{}:{}",
        llvm::sys::path::filename(file.getFilename().getValue()).str(),
        file.getLine(), file.getColumn());
  return "unknown";
}

/// A figure for the text table: exact integer or polynomial.
std::string figure(const Poly &p, const SymbolNames &syms) {
  return p.str(syms);
}

/// A figure for JSON: integer when a number, string when symbolic.
llvm::json::Value jsonFigure(const Poly &p, const SymbolNames &syms) {
  if (auto c = p.getConstant(); c && c->isInteger() &&
                                c->num <= std::numeric_limits<int64_t>::max() &&
                                c->num >= std::numeric_limits<int64_t>::min())
    return int64_t(c->num);
  return p.str(syms);
}

/// Per-symbol classes of the FLOPs (or of `p`).
std::vector<std::pair<std::string, std::string>>
scaling(const Poly &p, const SymbolNames &syms) {
  std::vector<std::pair<std::string, std::string>> out;
  for (unsigned s : p.symbols())
    out.push_back({syms.name(s).str(), scalingClassName(p.degreeIn(s))});
  return out;
}

std::string scalingText(const Poly &p, const SymbolNames &syms) {
  auto classes = scaling(p, syms);
  if (classes.empty())
    return "constant";
  std::string s;
  for (auto &[sym, cls] : classes)
    s += (s.empty() ? "" : ", ") + cls + " in " + sym;
  return s;
}

llvm::json::Object jsonScaling(const Poly &p, const SymbolNames &syms) {
  llvm::json::Object o;
  for (auto &[sym, cls] : scaling(p, syms))
    o[sym] = cls;
  return o;
}

std::string human(double v, const char *unit) {
  const char *prefixes[] = {"", "K", "M", "G", "T", "P"};
  int i = 0;
  while (std::abs(v) >= 1000.0 && i < 5) {
    v /= 1000.0;
    ++i;
  }
  std::string s = fmt::format("{:.3g} {}{}", v, prefixes[i], unit);
  while (!s.empty() && s.back() == ' ')
    s.pop_back();
  return s;
}

std::string humanSeconds(double s) {
  if (s >= 1.0)
    return fmt::format("{:.3g} s", s);
  if (s >= 1e-3)
    return fmt::format("{:.3g} ms", s * 1e3);
  return fmt::format("{:.3g} us", s * 1e6);
}

std::string humanBytes(double v) {
  const char *prefixes[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int i = 0;
  while (std::abs(v) >= 1024.0 && i < 4) {
    v /= 1024.0;
    ++i;
  }
  return fmt::format("{:.3g} {}", v, prefixes[i]);
}

std::string kindName(nn::BlockKind k) {
  return nn::stringifyBlockKind(k).str();
}

std::string rfText(const ReceptiveField &rf) {
  if (rf.global)
    return "global";
  return fmt::format("{}x{} (stride {}x{})", rf.height, rf.width, rf.strideH,
                     rf.strideW);
}

/// Static roofline estimate, or nullopt for symbolic figures.
struct Roofline {
  double seconds, intensity;
  bool computeBound;
};
std::optional<Roofline> roofline(const CostFigures &c,
                                 const CostReportOptions &o) {
  auto f = c.flops.getConstant(), b = c.bytes.getConstant();
  if (!f || !b)
    return std::nullopt;
  double flops = f->toDouble(), bytes = b->toDouble();
  double tc = flops / (o.peakGflops * 1e9), tm = bytes / (o.bandwidthGBs * 1e9);
  return Roofline{std::max(tc, tm), bytes > 0 ? flops / bytes : 0.0, tc >= tm};
}

llvm::json::Value jsonCrossover(const Crossover &c) {
  llvm::json::Object o;
  const char *kinds[] = {"none",  "static", "at",       "always",
                         "never", "below",  "ambiguous"};
  o["kind"] = kinds[static_cast<int>(c.kind)];
  if (!c.symbol.empty())
    o["symbol"] = c.symbol;
  if (c.kind == Crossover::Kind::At || c.kind == Crossover::Kind::Below)
    o["value"] = c.value;
  o["text"] = c.text;
  return o;
}

void printJson(const CostModel &model, const CostReportOptions &options,
               llvm::raw_ostream &os) {
  const SymbolNames &syms = model.getSymbols();
  llvm::json::Array functions;
  for (const FunctionCost &fc : model.getFunctions()) {
    llvm::json::Object f;
    f["name"] = fc.name;
    f["flops"] = jsonFigure(fc.total.flops, syms);
    f["macs"] = jsonFigure(fc.total.macs, syms);
    f["bytes"] = jsonFigure(fc.total.bytes, syms);
    f["bytes_unfused"] = jsonFigure(fc.total.bytesUnfused, syms);
    f["params"] = jsonFigure(fc.total.params, syms);
    f["param_bytes"] = jsonFigure(fc.total.paramBytes, syms);
    f["scaling"] = jsonScaling(fc.total.flops, syms);
    llvm::json::Object symbols;
    for (auto &[id, origin] : fc.symbolOrigins)
      symbols[syms.name(id)] = origin;
    f["symbols"] = std::move(symbols);
    f["has_unknown"] = fc.total.hasUnknown;
    if (fc.largestIntermediateOp) {
      llvm::json::Object li;
      li["bytes"] = jsonFigure(fc.largestIntermediate, syms);
      li["op"] = fc.largestIntermediateOp->getName().getStringRef().str();
      li["loc"] = locString(fc.largestIntermediateOp->getLoc());
      f["largest_intermediate"] = std::move(li);
    } else
      f["largest_intermediate"] = nullptr;
    if (auto r = roofline(fc.total, options)) {
      f["arithmetic_intensity"] = r->intensity;
      llvm::json::Object ro;
      ro["seconds"] = r->seconds;
      ro["bound"] = r->computeBound ? "compute" : "memory";
      f["roofline"] = std::move(ro);
    } else {
      f["arithmetic_intensity"] = nullptr;
      f["roofline"] = nullptr;
    }
    llvm::json::Object cross;
    cross["flops"] = jsonCrossover(fc.flopsCrossover);
    cross["bytes"] = jsonCrossover(fc.bytesCrossover);
    f["crossover"] = std::move(cross);
    llvm::json::Array ops;
    for (const OpCost &oc : fc.ops) {
      llvm::json::Object o;
      o["op"] = oc.op->getName().getStringRef();
      o["loc"] = locString(oc.op->getLoc());
      if (!oc.known) {
        o["unknown"] = true;
        o["flops"] = nullptr;
        o["macs"] = nullptr;
        o["bytes"] = nullptr;
        o["scaling"] = nullptr;
      } else {
        o["flops"] = jsonFigure(oc.cost.flops, syms);
        o["macs"] = jsonFigure(oc.cost.macs, syms);
        o["bytes"] = jsonFigure(oc.cost.bytes, syms);
        o["bytes_unfused"] = jsonFigure(oc.cost.bytesUnfused, syms);
        o["params"] = jsonFigure(oc.cost.params, syms);
        o["scaling"] = jsonScaling(oc.cost.flops, syms);
      }
      if (oc.receptiveField) {
        if (oc.receptiveField->global)
          o["receptive_field"] = "global";
        else
          o["receptive_field"] = llvm::json::Array{oc.receptiveField->height,
                                                   oc.receptiveField->width};
      }
      ops.push_back(std::move(o));
    }
    f["ops"] = std::move(ops);
    llvm::json::Array blocks;
    for (const BlockCost &bc : fc.blocks) {
      llvm::json::Object b;
      nn::BlockOp op = bc.op;
      b["name"] = op.getName().str();
      b["kind"] = kindName(op.getKind());
      b["loc"] = locString(op.getLoc());
      b["depth"] = bc.depth;
      b["flops"] = jsonFigure(bc.cost.flops, syms);
      b["macs"] = jsonFigure(bc.cost.macs, syms);
      b["bytes"] = jsonFigure(bc.cost.bytes, syms);
      b["bytes_unfused"] = jsonFigure(bc.cost.bytesUnfused, syms);
      b["params"] = jsonFigure(bc.cost.params, syms);
      b["scaling"] = jsonScaling(bc.cost.flops, syms);
      blocks.push_back(std::move(b));
    }
    f["blocks"] = std::move(blocks);
    functions.push_back(std::move(f));
  }
  llvm::json::Object root;
  root["functions"] = std::move(functions);
  root["peak_gflops"] = options.peakGflops;
  root["bandwidth_gbs"] = options.bandwidthGBs;
  os << llvm::formatv("{0:2}", llvm::json::Value(std::move(root))) << "\n";
}

struct Row {
  std::string name, loc, flops, macs, bytes, unfused, params, scaling;
};

void printText(const CostModel &model, const CostReportOptions &options,
               llvm::raw_ostream &os) {
  const SymbolNames &syms = model.getSymbols();
  if (model.getFunctions().empty())
    os << "nn cost report: no functions\n";
  for (const FunctionCost &fc : model.getFunctions()) {
    os << fmt::format("nn cost report for @{}\n", fc.name);
    if (!fc.symbolOrigins.empty()) {
      os << "  symbols:\n";
      for (auto &[id, origin] : fc.symbolOrigins)
        os << fmt::format("    {} = {}\n", syms.name(id).str(), origin);
    }
    // Rows: blocks before their ops, indented by depth.
    std::vector<Row> rows;
    rows.push_back({"op", "location", "FLOPs", "MACs", "bytes", "bytes unfused",
                    "params", "scaling"});
    auto costRow = [&](std::string name, Location loc, const CostFigures &c,
                       bool known) {
      if (!known)
        return Row{name,      locString(loc), "unknown", "unknown",
                   "unknown", "unknown",      "-",       "-"};
      return Row{name,
                 locString(loc),
                 figure(c.flops, syms),
                 figure(c.macs, syms),
                 figure(c.bytes, syms),
                 figure(c.bytesUnfused, syms),
                 figure(c.params, syms),
                 scalingText(c.flops, syms)};
    };
    // Blocks are recorded after their ops (post-order); print each block
    // header before its first op by matching parents.
    std::vector<const BlockCost *> pending;
    for (const BlockCost &b : fc.blocks)
      pending.push_back(&b);
    llvm::DenseSet<Operation *> printed;
    for (const OpCost &oc : fc.ops) {
      // Headers of enclosing blocks not yet printed, outermost first.
      SmallVector<const BlockCost *> headers;
      for (Operation *p = oc.op->getParentOp(); p; p = p->getParentOp())
        if (auto blk = dyn_cast<nn::BlockOp>(p))
          if (!printed.count(p))
            for (const BlockCost *b : pending)
              if (b->op == blk)
                headers.push_back(b);
      for (const BlockCost *b : llvm::reverse(headers)) {
        printed.insert(b->op);
        rows.push_back(
            costRow(std::string(2 * b->depth, ' ') +
                        fmt::format("block \"{}\" ({})", b->op.getName().str(),
                                    kindName(b->op.getKind())),
                    b->op.getLoc(), b->cost, true));
      }
      rows.push_back(costRow(std::string(2 * oc.depth, ' ') +
                                 oc.op->getName().getStringRef().str(),
                             oc.op->getLoc(), oc.cost, oc.known));
    }
    Row total = costRow("total", fc.func->getLoc(), fc.total, true);
    total.loc = "";
    rows.push_back(total);
    size_t widths[8] = {0};
    for (const Row &r : rows) {
      const std::string *cols[8] = {&r.name,   &r.loc,    &r.flops,
                                    &r.macs,   &r.bytes,  &r.unfused,
                                    &r.params, &r.scaling};
      for (int i = 0; i < 8; ++i)
        widths[i] = std::max(widths[i], cols[i]->size());
    }
    for (size_t ri = 0; ri < rows.size(); ++ri) {
      const Row &r = rows[ri];
      if (ri + 1 == rows.size()) {
        size_t len = 2 * 7;
        for (size_t w : widths)
          len += w;
        os << "  " << std::string(len, '-') << "\n";
      }
      os << fmt::format("  {:<{}}  {:<{}}  {:>{}}  {:>{}}  {:>{}}  {:>{}}  "
                        "{:>{}}  {}\n",
                        r.name, widths[0], r.loc, widths[1], r.flops, widths[2],
                        r.macs, widths[3], r.bytes, widths[4], r.unfused,
                        widths[5], r.params, widths[6], r.scaling);
      if (ri == 0) {
        size_t len = 2 * 7;
        for (size_t w : widths)
          len += w;
        os << "  " << std::string(len, '-') << "\n";
      }
    }
    os << "\n";
    if (auto f = fc.total.flops.getConstant();
        f && fc.total.macs.isConstant() && fc.total.bytes.isConstant() &&
        fc.total.bytesUnfused.isConstant())
      os << fmt::format(
          "  totals: {}, {}, {} moved ({} unfused), {} params "
          "({})\n",
          human(f->toDouble(), "FLOP"),
          human(fc.total.macs.getConstant()->toDouble(), "MAC"),
          humanBytes(fc.total.bytes.getConstant()->toDouble()),
          humanBytes(fc.total.bytesUnfused.getConstant()->toDouble()),
          human(fc.total.params.getConstant()
                    ? fc.total.params.getConstant()->toDouble()
                    : 0,
                ""),
          humanBytes(fc.total.paramBytes.getConstant()
                         ? fc.total.paramBytes.getConstant()->toDouble()
                         : 0));
    os << fmt::format("  scaling: {}\n", scalingText(fc.total.flops, syms));
    if (fc.largestIntermediateOp)
      os << fmt::format(
          "  largest intermediate: {} bytes ({} at {})\n",
          figure(fc.largestIntermediate, syms),
          fc.largestIntermediateOp->getName().getStringRef().str(),
          locString(fc.largestIntermediateOp->getLoc()));
    bool overflowed =
        fc.total.flops.hasOverflow() || fc.total.bytes.hasOverflow();
    if (overflowed)
      os << "  roofline estimate: not available (the figures overflowed)\n";
    else if (auto r = roofline(fc.total, options))
      os << fmt::format("  arithmetic intensity: {:.3g} FLOP/byte\n"
                        "  roofline estimate: {} ({}-bound at {:g} GFLOP/s, "
                        "{:g} GB/s)\n",
                        r->intensity, humanSeconds(r->seconds),
                        r->computeBound ? "compute" : "memory",
                        options.peakGflops, options.bandwidthGBs);
    else
      os << fmt::format("  roofline estimate: symbolic; evaluate the "
                        "polynomials at a size ({:g} GFLOP/s, {:g} GB/s)\n",
                        options.peakGflops, options.bandwidthGBs);
    if (fc.flopsCrossover.kind != Crossover::Kind::None) {
      os << fmt::format("  crossover: {}\n", fc.flopsCrossover.text);
      os << fmt::format("  crossover: {}\n", fc.bytesCrossover.text);
    }
    bool anyField = false;
    for (const OpCost &oc : fc.ops) {
      if (!oc.receptiveField)
        continue;
      if (!anyField)
        os << "  receptive field (input pixels) after each op:\n";
      anyField = true;
      os << fmt::format("    {:<22} {:<24} {}\n",
                        oc.op->getName().getStringRef().str(),
                        locString(oc.op->getLoc()), rfText(*oc.receptiveField));
    }
    if (fc.total.hasUnknown)
      os << "  warning: some ops are not modelled (unknown cost); the "
            "totals leave them out\n";
    os << "\n";
  }
}
} // namespace

void acc::printCostReport(const CostModel &model,
                          const CostReportOptions &options,
                          llvm::raw_ostream &os) {
  if (options.json)
    printJson(model, options, os);
  else
    printText(model, options, os);
}
