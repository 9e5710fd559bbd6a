//===- Polynomial.h - exact symbolic cost polynomials -----------*- C++ -*-===//
//
// Part of the acc project.
//
//===----------------------------------------------------------------------===//
//
// The cost model counts FLOPs and bytes as polynomials in the dynamic
// dimensions of a function (B, N, H, W, ...). Coefficients are exact
// rationals (a strided convolution halves a size; a causal mask halves a
// product) held in 128-bit integers with checked arithmetic: a figure that
// does not fit is flagged as overflowed, never silently wrapped.
//
//===----------------------------------------------------------------------===//

#ifndef ACC_ANALYSIS_POLYNOMIAL_H
#define ACC_ANALYSIS_POLYNOMIAL_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace acc {

/// An exact rational with 128-bit numerator and denominator; `overflow` is
/// sticky and set when an operation does not fit.
struct Rational {
  __int128 num = 0;
  __int128 den = 1;
  bool overflow = false;

  Rational() = default;
  Rational(__int128 n, __int128 d = 1);
  static Rational overflowed();

  bool isZero() const { return num == 0; }
  bool isInteger() const { return den == 1; }
  int sign() const { return num > 0 ? 1 : (num < 0 ? -1 : 0); }

  Rational operator+(const Rational &o) const;
  Rational operator-(const Rational &o) const;
  Rational operator*(const Rational &o) const;
  Rational operator/(const Rational &o) const;
  bool operator==(const Rational &o) const {
    return num == o.num && den == o.den && overflow == o.overflow;
  }
  double toDouble() const { return double(num) / double(den); }
  std::string str() const;
};

/// Prints a 128-bit integer in decimal.
std::string toString(__int128 v);

/// Symbol names shared by every polynomial of one analysis.
class SymbolNames {
public:
  /// The id of `name`, created on first use.
  unsigned get(llvm::StringRef name);
  llvm::StringRef name(unsigned id) const { return names[id]; }
  size_t size() const { return names.size(); }

private:
  std::vector<std::string> names;
};

/// A polynomial with rational coefficients over SymbolNames ids.
class Poly {
public:
  /// A monomial: (symbol id, power) pairs sorted by id; empty for 1.
  using Monomial = std::vector<std::pair<unsigned, unsigned>>;

  Poly() = default;
  Poly(Rational c);
  Poly(int64_t c) : Poly(Rational(c)) {}
  static Poly symbol(unsigned id);

  Poly operator+(const Poly &o) const;
  Poly operator-(const Poly &o) const;
  Poly operator*(const Poly &o) const;
  Poly &operator+=(const Poly &o) { return *this = *this + o; }
  bool operator==(const Poly &o) const;
  bool operator!=(const Poly &o) const { return !(*this == o); }

  bool isConstant() const;
  bool isZero() const { return terms.empty() && !overflow; }
  bool hasOverflow() const { return overflow; }
  /// The value when constant.
  std::optional<Rational> getConstant() const;
  /// Highest power of `sym` in any term.
  unsigned degreeIn(unsigned sym) const;
  /// Symbols that occur.
  llvm::SmallVector<unsigned> symbols() const;
  /// Value with every symbol replaced by `values[id]` (missing ids count 0).
  Rational evaluate(llvm::ArrayRef<int64_t> values) const;
  /// `4*B*H*N^2*D + 3*N` style, highest degree first; names from `syms`.
  std::string str(const SymbolNames &syms) const;

private:
  std::map<Monomial, Rational> terms;
  bool overflow = false;
  void addTerm(const Monomial &m, const Rational &c);
};

/// "constant", "linear", "quadratic", "cubic" or "degree N".
std::string scalingClassName(unsigned degree);

} // namespace acc

#endif // ACC_ANALYSIS_POLYNOMIAL_H
