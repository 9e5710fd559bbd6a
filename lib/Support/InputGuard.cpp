//===- InputGuard.cpp - reject inputs that would crash the parser ---------===//
//
// Part of the acc project.
//
//===----------------------------------------------------------------------===//

#include "acc/Support/InputGuard.h"

#include "llvm/Support/thread.h"

using namespace llvm;

bool acc::checkIRNesting(StringRef buffer, StringRef name, raw_ostream &errs) {
  // MLIR bytecode starts with "ML\xefR"; its reader does not recurse on text.
  if (buffer.starts_with("ML\xef"
                         "R"))
    return true;
  unsigned depth = 0, line = 1, col = 0;
  bool inString = false;
  for (size_t i = 0, e = buffer.size(); i < e; ++i) {
    char c = buffer[i];
    ++col;
    if (c == '\n') {
      ++line;
      col = 0;
      inString = false;
      continue;
    }
    if (inString) {
      if (c == '\\')
        ++i, ++col;
      else if (c == '"')
        inString = false;
      continue;
    }
    switch (c) {
    case '"':
      inString = true;
      break;
    case '/':
      if (i + 1 < e && buffer[i + 1] == '/') {
        size_t eol = buffer.find('\n', i);
        if (eol == StringRef::npos)
          return true;
        i = eol - 1;
      }
      break;
    case '(':
    case '[':
    case '{':
    case '<':
      if (++depth > kMaxIRNestingDepth) {
        errs << name << ":" << line << ":" << col
             << ": error: brackets nested deeper than " << kMaxIRNestingDepth
             << " levels; the input is refused before parsing\n";
        return false;
      }
      break;
    case '>':
      if (i > 0 && buffer[i - 1] == '-')
        break;
      [[fallthrough]];
    case ')':
    case ']':
    case '}':
      if (depth > 0)
        --depth;
      break;
    default:
      break;
    }
  }
  return true;
}

int acc::runWithLargeStack(std::function<int()> fn) {
  int result = 1;
  std::function<void()> body = [&] { result = fn(); };
  llvm::thread worker(std::optional<unsigned>(kToolStackSize), body);
  worker.join();
  return result;
}
