// Elementwise, reduction and transpose kernels. tfjs's cpu backend runs these as JavaScript
// loops that index through `i % length` or per-element `indexToLoc`; in a training step on the
// cpu backend the optimizer's adds and multiplies alone cost as much as the matmuls here.
//
// Semantics follow the cpu backend: NaN propagates through max/min like Math.max/Math.min, sums
// accumulate in double like JavaScript numbers do.
#include <cmath>
#include <cstring>
#include <vector>

#include "kernels.h"

namespace reglab {

namespace {

template <typename F>
void binaryLoop(F f, const float* a, const float* b, float* out, int rank, const int64_t* shape,
                const int64_t* aStrides, const int64_t* bStrides) {
  // Merge adjacent dims that are contiguous in both inputs (and always in the output), so the
  // innermost loop is as long as possible.
  std::vector<int64_t> dims, sa, sb;
  for (int d = 0; d < rank; ++d) {
    if (shape[d] == 1) continue;
    if (!dims.empty() && sa.back() == aStrides[d] * shape[d] && sb.back() == bStrides[d] * shape[d]) {
      dims.back() *= shape[d];
      sa.back() = aStrides[d];
      sb.back() = bStrides[d];
    } else {
      dims.push_back(shape[d]);
      sa.push_back(aStrides[d]);
      sb.push_back(bStrides[d]);
    }
  }
  if (dims.empty()) {
    out[0] = f(a[0], b[0]);
    return;
  }
  const int r = static_cast<int>(dims.size());
  const int64_t n = dims[r - 1], ia = sa[r - 1], ib = sb[r - 1];
  int64_t outer = 1;
  for (int d = 0; d < r - 1; ++d) outer *= dims[d];
  std::vector<int64_t> index(r, 0);
  int64_t offA = 0, offB = 0;
  for (int64_t o = 0; o < outer; ++o, out += n) {
    const float* pa = a + offA;
    const float* pb = b + offB;
    if (ia == 1 && ib == 1) {
      for (int64_t i = 0; i < n; ++i) out[i] = f(pa[i], pb[i]);
    } else if (ia == 1 && ib == 0) {
      const float vb = pb[0];
      for (int64_t i = 0; i < n; ++i) out[i] = f(pa[i], vb);
    } else if (ia == 0 && ib == 1) {
      const float va = pa[0];
      for (int64_t i = 0; i < n; ++i) out[i] = f(va, pb[i]);
    } else {
      for (int64_t i = 0; i < n; ++i) out[i] = f(pa[i * ia], pb[i * ib]);
    }
    // Odometer over the outer dims.
    for (int d = r - 2; d >= 0; --d) {
      offA += sa[d];
      offB += sb[d];
      if (++index[d] < dims[d]) break;
      offA -= sa[d] * dims[d];
      offB -= sb[d] * dims[d];
      index[d] = 0;
    }
  }
}

// erf as TF.js computes it on every backend: Abramowitz & Stegun 7.1.26 (|error| ≤ 1.5e-7),
// in double like the cpu backend's JavaScript, so native and cpu agree to float rounding.
inline float tfjsErf(float xf) {
  const double x = xf, v = std::fabs(x), t = 1.0 / (1.0 + 0.3275911 * v);
  const double poly = ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t;
  const double r = 1.0 - poly * std::exp(-v * v);
  return static_cast<float>(x > 0 ? r : (x < 0 ? -r : (x != x ? x : 0.0)));
}

inline float jsMax(float a, float b) { return (a != a || b != b) ? NAN : (a > b ? a : b); }
inline float jsMin(float a, float b) { return (a != a || b != b) ? NAN : (a < b ? a : b); }

}  // namespace

void binary(int op, const float* a, const float* b, float* out, int rank, const int64_t* shape,
            const int64_t* aStrides, const int64_t* bStrides) {
  switch (op) {
    case Add: return binaryLoop([](float x, float y) { return x + y; }, a, b, out, rank, shape, aStrides, bStrides);
    case Sub: return binaryLoop([](float x, float y) { return x - y; }, a, b, out, rank, shape, aStrides, bStrides);
    case Mul: return binaryLoop([](float x, float y) { return x * y; }, a, b, out, rank, shape, aStrides, bStrides);
    case Div: return binaryLoop([](float x, float y) { return x / y; }, a, b, out, rank, shape, aStrides, bStrides);
    case Max: return binaryLoop(jsMax, a, b, out, rank, shape, aStrides, bStrides);
    case Min: return binaryLoop(jsMin, a, b, out, rank, shape, aStrides, bStrides);
    case SquaredDiff:
      return binaryLoop([](float x, float y) { return (x - y) * (x - y); }, a, b, out, rank, shape, aStrides, bStrides);
  }
}

void unary(int op, const float* x, float* out, int64_t n, float alpha) {
  switch (op) {
    case UReLU: for (int64_t i = 0; i < n; ++i) out[i] = x[i] < 0.f ? 0.f : x[i]; return;
    case UReLU6: for (int64_t i = 0; i < n; ++i) out[i] = x[i] < 0.f ? 0.f : (x[i] > 6.f ? 6.f : x[i]); return;
    case UStep: for (int64_t i = 0; i < n; ++i) out[i] = x[i] != x[i] ? x[i] : (x[i] > 0.f ? 1.f : alpha); return;
    case UNeg: for (int64_t i = 0; i < n; ++i) out[i] = -x[i]; return;
    case UExp: for (int64_t i = 0; i < n; ++i) out[i] = std::exp(x[i]); return;
    case ULog: for (int64_t i = 0; i < n; ++i) out[i] = std::log(x[i]); return;
    case USqrt: for (int64_t i = 0; i < n; ++i) out[i] = std::sqrt(x[i]); return;
    case URsqrt: for (int64_t i = 0; i < n; ++i) out[i] = 1.f / std::sqrt(x[i]); return;
    case USquare: for (int64_t i = 0; i < n; ++i) out[i] = x[i] * x[i]; return;
    case UAbs: for (int64_t i = 0; i < n; ++i) out[i] = std::fabs(x[i]); return;
    case USigmoid: for (int64_t i = 0; i < n; ++i) out[i] = 1.f / (1.f + std::exp(-x[i])); return;
    case UTanh: for (int64_t i = 0; i < n; ++i) out[i] = std::tanh(x[i]); return;
    case UElu: for (int64_t i = 0; i < n; ++i) out[i] = x[i] >= 0.f ? x[i] : std::expm1(x[i]); return;
    case ULeakyRelu: for (int64_t i = 0; i < n; ++i) out[i] = x[i] < 0.f ? alpha * x[i] : x[i]; return;
    case UReciprocal: for (int64_t i = 0; i < n; ++i) out[i] = 1.f / x[i]; return;
    case UErf: for (int64_t i = 0; i < n; ++i) out[i] = tfjsErf(x[i]); return;
  }
}

void projectedError(const float* x, float* value, float* erf, int64_t n) {
  // tfjsErf's formula with v = |x|/√2, whose exp(−v²) = exp(−x²/2) is also the Gaussian term.
  constexpr double sqrtHalf = 0.70710678118654752440, sqrtTwoOverPi = 0.79788456080286535588;
  for (int64_t i = 0; i < n; ++i) {
    const double xd = x[i], v = std::fabs(xd) * sqrtHalf, t = 1.0 / (1.0 + 0.3275911 * v);
    const double poly = ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t;
    const double gauss = std::exp(-v * v);
    const double r = 1.0 - poly * gauss;
    const double e = xd > 0 ? r : (xd < 0 ? -r : (xd != xd ? xd : 0.0));
    erf[i] = static_cast<float>(e);
    value[i] = static_cast<float>(xd * e + sqrtTwoOverPi * gauss);
  }
}

void reduce(int op, const float* x, float* out, int64_t outer, int64_t reduceSize, int64_t inner) {
  const bool sum = op == RSum || op == RMean;
  std::vector<double> acc(sum ? inner : 0);
  for (int64_t o = 0; o < outer; ++o) {
    const float* block = x + o * reduceSize * inner;
    float* dst = out + o * inner;
    if (sum) {
      std::fill(acc.begin(), acc.end(), 0.0);
      for (int64_t r = 0; r < reduceSize; ++r) {
        const float* row = block + r * inner;
        for (int64_t i = 0; i < inner; ++i) acc[i] += row[i];
      }
      const double scale = op == RMean ? 1.0 / static_cast<double>(reduceSize) : 1.0;
      for (int64_t i = 0; i < inner; ++i) dst[i] = static_cast<float>(acc[i] * scale);
    } else {
      std::memcpy(dst, block, sizeof(float) * inner);
      for (int64_t r = 1; r < reduceSize; ++r) {
        const float* row = block + r * inner;
        for (int64_t i = 0; i < inner; ++i) {
          const float v = row[i];
          if (v != v || (op == RMax ? v > dst[i] : v < dst[i])) dst[i] = v;
        }
      }
    }
  }
}

void softmax(const float* x, float* out, int64_t rows, int64_t cols) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* row = x + r * cols;
    float* dst = out + r * cols;
    float m = row[0];
    for (int64_t j = 1; j < cols; ++j) m = (row[j] != row[j] || row[j] > m) ? row[j] : m;
    double sum = 0;
    for (int64_t j = 0; j < cols; ++j) sum += dst[j] = std::exp(row[j] - m);
    const float inv = static_cast<float>(1.0 / sum);
    for (int64_t j = 0; j < cols; ++j) dst[j] *= inv;
  }
}

void transpose(const float* x, float* out, int rank, const int64_t* shape, const int* perm) {
  std::vector<int64_t> xStrides(rank, 1);
  for (int d = rank - 2; d >= 0; --d) xStrides[d] = xStrides[d + 1] * shape[d + 1];
  std::vector<int64_t> dims(rank), strides(rank);  // output dims and the input stride of each
  int64_t total = 1;
  for (int d = 0; d < rank; ++d) {
    dims[d] = shape[perm[d]];
    strides[d] = xStrides[perm[d]];
    total *= dims[d];
  }
  if (total == 0) return;
  if (rank == 0) {
    out[0] = x[0];
    return;
  }
  const int64_t n = dims[rank - 1], s = strides[rank - 1];
  std::vector<int64_t> index(rank, 0);
  int64_t off = 0;
  for (int64_t o = 0; o < total / n; ++o, out += n) {
    const float* src = x + off;
    if (s == 1) {
      std::memcpy(out, src, sizeof(float) * n);
    } else {
      for (int64_t i = 0; i < n; ++i) out[i] = src[i * s];
    }
    for (int d = rank - 2; d >= 0; --d) {
      off += strides[d];
      if (++index[d] < dims[d]) break;
      off -= strides[d] * dims[d];
      index[d] = 0;
    }
  }
}

}  // namespace reglab
