// Seeded standard normals and unit directions, the C++ twin of src/core/fast-normal.ts: the
// same xoshiro128** stream (seeded by splitmix32) and the same 128-layer ziggurat (Marsaglia &
// Tsang 2000), with the ziggurat tables passed in from JavaScript, so every draw on the fast
// path (~99%) is bit-identical to fillNormal's; the tail and wedge draws use the C library's
// exp/log, which may round differently from V8's in the last bit (none did in the tests).
//
// Contraction into fused multiply-adds is off: the column norms must be summed exactly as the
// JavaScript loop does (a double square, then a double add).
#pragma GCC optimize("fp-contract=off")

#include <cmath>
#include <cstdint>
#include <vector>

#include "kernels.h"

namespace reglab {

namespace {

constexpr int LAYERS = 128;
constexpr double TAIL_START = 3.442619855899;
constexpr double TWO_POW_M32 = 1.0 / 4294967296.0;

inline uint32_t rotl(uint32_t x, int k) { return (x << k) | (x >> (32 - k)); }

struct Xoshiro {
  uint32_t s0, s1, s2, s3;
  explicit Xoshiro(int32_t seed) {
    uint32_t x = static_cast<uint32_t>(seed);
    auto mix = [&x]() {
      x += 0x9e3779b9u;
      uint32_t z = x;
      z = (z ^ (z >> 16)) * 0x85ebca6bu;
      z = (z ^ (z >> 13)) * 0xc2b2ae35u;
      return z ^ (z >> 16);
    };
    s0 = mix();
    s1 = mix();
    s2 = mix();
    s3 = mix() | 1u;
  }
  // Next 32-bit word, as the signed int32 JavaScript sees.
  int32_t next() {
    const uint32_t result = rotl(s1 * 5u, 7) * 9u;
    const uint32_t t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = rotl(s3, 11);
    return static_cast<int32_t>(result);
  }
  double uniform() { return (static_cast<double>(static_cast<uint32_t>(next())) + 0.5) * TWO_POW_M32; }
};

}  // namespace

void fillNormal(float* out, int64_t n, int32_t seed, const NormalTables& t) {
  Xoshiro rng(seed);
  for (int64_t i = 0; i < n; ++i) {
    int32_t word = rng.next();
    int layer = word & (LAYERS - 1);
    if (std::fabs(static_cast<double>(word)) < t.k[layer]) {
      out[i] = static_cast<float>(word * t.w[layer]);
      continue;
    }
    // Slow path: the base layer's tail, or the wedge outside the inner rectangle.
    for (;;) {
      const double candidate = word * t.w[layer];
      if (layer == 0) {
        double tail, y;
        do {
          tail = -std::log(rng.uniform()) / TAIL_START;
          y = -std::log(rng.uniform());
        } while (y + y < tail * tail);
        out[i] = static_cast<float>(word > 0 ? TAIL_START + tail : -TAIL_START - tail);
        break;
      }
      if (t.f[layer] + rng.uniform() * (t.f[layer - 1] - t.f[layer]) < std::exp(-0.5 * candidate * candidate)) {
        out[i] = static_cast<float>(candidate);
        break;
      }
      word = rng.next();
      layer = word & (LAYERS - 1);
      if (std::fabs(static_cast<double>(word)) < t.k[layer]) {
        out[i] = static_cast<float>(word * t.w[layer]);
        break;
      }
    }
  }
}

void unitColumns(float* out, int64_t rows, int64_t cols, int32_t seed, const NormalTables& t) {
  fillNormal(out, rows * cols, seed, t);
  std::vector<double> norms(static_cast<size_t>(cols), 0.0);
  for (int64_t r = 0; r < rows; ++r) {
    const float* row = out + r * cols;
    for (int64_t k = 0; k < cols; ++k) {
      const double v = row[k];
      const double square = v * v;
      norms[k] += square;
    }
  }
  for (int64_t k = 0; k < cols; ++k) norms[k] = 1.0 / std::sqrt(norms[k]);
  for (int64_t r = 0; r < rows; ++r) {
    float* row = out + r * cols;
    for (int64_t k = 0; k < cols; ++k) row[k] = static_cast<float>(row[k] * norms[k]);
  }
}

}  // namespace reglab
