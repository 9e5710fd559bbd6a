//===- InputGuard.h - reject inputs that would crash the parser -*- C++ -*-===//
//
// Part of the acc project.
//
//===----------------------------------------------------------------------===//
//
// MLIR's textual parser is recursive descent: every nested region, type,
// attribute or bracket takes stack frames. A file of a million `tensor<` would
// overflow any stack and kill the tool with a signal. acc's tools instead scan
// the text once before parsing and refuse nesting beyond a fixed depth with a
// located error, and run the parser on a thread whose stack covers that depth
// with a wide margin.
//
//===----------------------------------------------------------------------===//

#ifndef ACC_SUPPORT_INPUTGUARD_H
#define ACC_SUPPORT_INPUTGUARD_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/raw_ostream.h"

#include <cstddef>
#include <functional>

namespace acc {

/// The deepest bracket nesting that acc's tools accept in textual IR. Real
/// models stay below a few dozen levels.
constexpr unsigned kMaxIRNestingDepth = 1024;

/// Stack size for the thread that parses and transforms IR: 512 MiB of
/// address space (only the touched part is committed), i.e. 512 KiB per level
/// of accepted nesting.
constexpr size_t kToolStackSize = size_t(512) << 20;

/// Scans textual IR (bytecode is left alone) and reports, on `errs` as
/// `name:line:col: error: ...`, a nesting of `( [ { <` deeper than
/// kMaxIRNestingDepth. String literals and `//` comments are skipped; `->` is
/// not a closing bracket. Returns true when the input is acceptable.
bool checkIRNesting(llvm::StringRef buffer, llvm::StringRef name,
                    llvm::raw_ostream &errs);

/// Runs `fn` on a thread with a kToolStackSize stack and returns its result.
int runWithLargeStack(std::function<int()> fn);

} // namespace acc

#endif // ACC_SUPPORT_INPUTGUARD_H
