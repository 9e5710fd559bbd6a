//===- Polynomial.cpp - exact symbolic cost polynomials ------------------===//
//
// Part of the acc project.
//
//===----------------------------------------------------------------------===//

#include "acc/Analysis/Polynomial.h"

#include <algorithm>

using namespace acc;

namespace {
__int128 absI(__int128 v) { return v < 0 ? -v : v; }
__int128 gcdI(__int128 a, __int128 b) {
  a = absI(a);
  b = absI(b);
  while (b != 0) {
    __int128 t = a % b;
    a = b;
    b = t;
  }
  return a;
}
} // namespace

std::string acc::toString(__int128 v) {
  if (v == 0)
    return "0";
  bool neg = v < 0;
  unsigned __int128 u = neg ? -(unsigned __int128)v : (unsigned __int128)v;
  std::string s;
  while (u != 0) {
    s.push_back(char('0' + int(u % 10)));
    u /= 10;
  }
  if (neg)
    s.push_back('-');
  std::reverse(s.begin(), s.end());
  return s;
}

Rational::Rational(__int128 n, __int128 d) : num(n), den(d) {
  if (den < 0) {
    num = -num;
    den = -den;
  }
  __int128 g = gcdI(num, den);
  if (g > 1) {
    num /= g;
    den /= g;
  }
}

Rational Rational::overflowed() {
  Rational r;
  r.overflow = true;
  return r;
}

Rational Rational::operator+(const Rational &o) const {
  if (overflow || o.overflow)
    return overflowed();
  __int128 a, b, n, d;
  if (__builtin_mul_overflow(num, o.den, &a) ||
      __builtin_mul_overflow(o.num, den, &b) ||
      __builtin_add_overflow(a, b, &n) ||
      __builtin_mul_overflow(den, o.den, &d))
    return overflowed();
  return Rational(n, d);
}

Rational Rational::operator-(const Rational &o) const {
  Rational neg = o;
  neg.num = -neg.num;
  return *this + neg;
}

Rational Rational::operator*(const Rational &o) const {
  if (overflow || o.overflow)
    return overflowed();
  // Cross-reduce first to keep intermediates small.
  __int128 g1 = gcdI(num, o.den), g2 = gcdI(o.num, den);
  if (g1 == 0)
    g1 = 1;
  if (g2 == 0)
    g2 = 1;
  __int128 n, d;
  if (__builtin_mul_overflow(num / g1, o.num / g2, &n) ||
      __builtin_mul_overflow(den / g2, o.den / g1, &d))
    return overflowed();
  return Rational(n, d);
}

Rational Rational::operator/(const Rational &o) const {
  if (o.num == 0)
    return overflowed();
  Rational inv;
  inv.num = o.den;
  inv.den = o.num;
  inv.overflow = o.overflow;
  if (inv.den < 0) {
    inv.num = -inv.num;
    inv.den = -inv.den;
  }
  return *this * inv;
}

std::string Rational::str() const {
  if (overflow)
    return "overflow";
  if (den == 1)
    return toString(num);
  return toString(num) + "/" + toString(den);
}

unsigned SymbolNames::get(llvm::StringRef name) {
  for (unsigned i = 0; i < names.size(); ++i)
    if (names[i] == name)
      return i;
  names.push_back(name.str());
  return names.size() - 1;
}

Poly::Poly(Rational c) {
  if (c.overflow)
    overflow = true;
  else if (!c.isZero())
    terms[{}] = c;
}

Poly Poly::symbol(unsigned id) {
  Poly p;
  p.terms[{{id, 1}}] = Rational(1);
  return p;
}

void Poly::addTerm(const Monomial &m, const Rational &c) {
  Rational sum = terms.count(m) ? terms[m] + c : c;
  if (sum.overflow) {
    overflow = true;
    return;
  }
  if (sum.isZero())
    terms.erase(m);
  else
    terms[m] = sum;
}

Poly Poly::operator+(const Poly &o) const {
  Poly r = *this;
  r.overflow |= o.overflow;
  for (auto &[m, c] : o.terms)
    r.addTerm(m, c);
  return r;
}

Poly Poly::operator-(const Poly &o) const { return *this + o * Poly(-1); }

Poly Poly::operator*(const Poly &o) const {
  Poly r;
  r.overflow = overflow || o.overflow;
  for (auto &[m1, c1] : terms) {
    for (auto &[m2, c2] : o.terms) {
      // Merge the two sorted monomials.
      Monomial m;
      size_t i = 0, j = 0;
      while (i < m1.size() || j < m2.size()) {
        if (j == m2.size() || (i < m1.size() && m1[i].first < m2[j].first))
          m.push_back(m1[i++]);
        else if (i == m1.size() || m2[j].first < m1[i].first)
          m.push_back(m2[j++]);
        else {
          m.push_back({m1[i].first, m1[i].second + m2[j].second});
          ++i;
          ++j;
        }
      }
      r.addTerm(m, c1 * c2);
    }
  }
  return r;
}

bool Poly::operator==(const Poly &o) const {
  return overflow == o.overflow && terms == o.terms;
}

bool Poly::isConstant() const {
  return !overflow &&
         (terms.empty() || (terms.size() == 1 && terms.begin()->first.empty()));
}

std::optional<Rational> Poly::getConstant() const {
  if (!isConstant())
    return std::nullopt;
  return terms.empty() ? Rational(0) : terms.begin()->second;
}

unsigned Poly::degreeIn(unsigned sym) const {
  unsigned deg = 0;
  for (auto &[m, c] : terms)
    for (auto &[s, p] : m)
      if (s == sym)
        deg = std::max(deg, p);
  return deg;
}

llvm::SmallVector<unsigned> Poly::symbols() const {
  llvm::SmallVector<unsigned> out;
  for (auto &[m, c] : terms)
    for (auto &[s, p] : m)
      if (!llvm::is_contained(out, s))
        out.push_back(s);
  llvm::sort(out);
  return out;
}

Rational Poly::evaluate(llvm::ArrayRef<int64_t> values) const {
  if (overflow)
    return Rational::overflowed();
  Rational sum(0);
  for (auto &[m, c] : terms) {
    Rational t = c;
    for (auto &[s, p] : m)
      for (unsigned k = 0; k < p; ++k)
        t = t * Rational(s < values.size() ? values[s] : 0);
    sum = sum + t;
  }
  return sum;
}

std::string Poly::str(const SymbolNames &syms) const {
  if (overflow)
    return "overflow";
  if (terms.empty())
    return "0";
  // Highest total degree first, then the order of the map.
  std::vector<std::pair<const Monomial *, const Rational *>> order;
  for (auto &[m, c] : terms)
    order.push_back({&m, &c});
  auto degree = [](const Monomial &m) {
    unsigned d = 0;
    for (auto &[s, p] : m)
      d += p;
    return d;
  };
  std::stable_sort(order.begin(), order.end(), [&](auto &a, auto &b) {
    return degree(*a.first) > degree(*b.first);
  });
  std::string out;
  bool first = true;
  for (auto &[m, c] : order) {
    Rational coef = *c;
    bool negative = coef.sign() < 0;
    if (negative)
      coef.num = -coef.num;
    if (!first)
      out += negative ? " - " : " + ";
    else if (negative)
      out += "-";
    first = false;
    std::string factors;
    for (auto &[s, p] : *m) {
      if (!factors.empty())
        factors += "*";
      factors += syms.name(s).str();
      if (p > 1)
        factors += "^" + std::to_string(p);
    }
    if (factors.empty()) {
      out += coef.str();
      continue;
    }
    if (coef.num != 1)
      out += toString(coef.num) + "*";
    out += factors;
    if (coef.den != 1)
      out += "/" + toString(coef.den);
  }
  return out;
}

std::string acc::scalingClassName(unsigned degree) {
  switch (degree) {
  case 0:
    return "constant";
  case 1:
    return "linear";
  case 2:
    return "quadratic";
  case 3:
    return "cubic";
  default:
    return "degree " + std::to_string(degree);
  }
}
