// Built-in blocked single-precision GEMM (Goto/BLIS structure) and the OpenBLAS dispatch.
//
// C (M×N) = op(A) (M×K) · op(B) (K×N) [+ C]. The loops block C into NC-column and K into
// KC-deep slabs so that a packed KC×NC slab of op(B) stays in L2/L3 and an MC×KC block of
// op(A) in L2; a register-blocked micro-kernel computes MR×NR tiles of C from MR-row panels of
// packed A and NR-column panels of packed B. Transposed operands are handled while packing, so
// all four transpose combinations run the same kernel at the same speed (tfjs's cpu backend
// and the stock wasm backend are slow exactly there, in every dense backward pass).
//
// The micro-kernel uses GCC/Clang vector extensions, so one source compiles to AVX-512, AVX2,
// SSE or NEON, whichever -march=native offers (VW floats per register).
#include "gemm.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>
#include <numeric>

#ifdef REGLAB_OPENBLAS
#include <cblas.h>
#endif

namespace reglab {

namespace {

#if defined(__AVX512F__)
constexpr int VW = 16;
constexpr int MR = 8;
#elif defined(__AVX__)
constexpr int VW = 8;
constexpr int MR = 6;
#else
constexpr int VW = 4;
constexpr int MR = 4;
#endif
constexpr int NR = 2 * VW;
constexpr int KC = 256;
constexpr int MC = MR * 16;
constexpr int NC = NR * 64;

typedef float vf __attribute__((vector_size(VW * 4)));
typedef float vfu __attribute__((vector_size(VW * 4), aligned(4)));  // unaligned access

inline vf loadu(const float* p) { return *reinterpret_cast<const vfu*>(p); }
inline void storeu(float* p, vf v) { *reinterpret_cast<vfu*>(p) = v; }

GemmImpl current =
#ifdef REGLAB_OPENBLAS
    GemmImpl::OpenBlas;
#else
    GemmImpl::Builtin;
#endif

// Packing buffers, grown on demand, 64-byte aligned; one set per thread.
struct Buffers {
  float* a = nullptr;
  float* b = nullptr;
  size_t aSize = 0, bSize = 0;
  ~Buffers() {
    std::free(a);
    std::free(b);
  }
  static float* grow(float*& p, size_t& size, size_t need) {
    if (need > size) {
      std::free(p);
      size_t bytes = ((need * sizeof(float) + 63) / 64) * 64;
      p = static_cast<float*>(std::aligned_alloc(64, bytes));
      if (!p) throw std::bad_alloc();
      size = need;
    }
    return p;
  }
};
thread_local Buffers buffers;

// op(A)[i][p] for the block rows [i0, i0+mc) and depth [p0, p0+kc), as MR-row panels:
// panel r holds, for each p, the MR values op(A)[i0 + r·MR + 0..MR)[p] (zero past the edge).
void packA(bool trans, const float* A, int lda, int i0, int mc, int p0, int kc, float* out) {
  for (int r = 0; r < mc; r += MR) {
    int rows = std::min(MR, mc - r);
    float* panel = out + static_cast<size_t>(r) * kc;
    if (!trans) {
      for (int i = 0; i < rows; ++i) {
        const float* src = A + static_cast<size_t>(i0 + r + i) * lda + p0;
        for (int p = 0; p < kc; ++p) panel[p * MR + i] = src[p];
      }
    } else {
      for (int p = 0; p < kc; ++p) {
        const float* src = A + static_cast<size_t>(p0 + p) * lda + i0 + r;
        for (int i = 0; i < rows; ++i) panel[p * MR + i] = src[i];
      }
    }
    for (int i = rows; i < MR; ++i)
      for (int p = 0; p < kc; ++p) panel[p * MR + i] = 0.f;
  }
}

// op(B)[p][j] for depth [p0, p0+kc) and columns [j0, j0+nc), as NR-column panels.
void packB(bool trans, const float* B, int ldb, int p0, int kc, int j0, int nc, float* out) {
  for (int c = 0; c < nc; c += NR) {
    int cols = std::min(NR, nc - c);
    float* panel = out + static_cast<size_t>(c) * kc;
    if (!trans) {
      for (int p = 0; p < kc; ++p) {
        const float* src = B + static_cast<size_t>(p0 + p) * ldb + j0 + c;
        float* dst = panel + p * NR;
        if (cols == NR) {
          std::memcpy(dst, src, NR * sizeof(float));
        } else {
          for (int j = 0; j < cols; ++j) dst[j] = src[j];
          for (int j = cols; j < NR; ++j) dst[j] = 0.f;
        }
      }
    } else {
      for (int j = 0; j < cols; ++j) {
        const float* src = B + static_cast<size_t>(j0 + c + j) * ldb + p0;
        for (int p = 0; p < kc; ++p) panel[p * NR + j] = src[p];
      }
      for (int j = cols; j < NR; ++j)
        for (int p = 0; p < kc; ++p) panel[p * NR + j] = 0.f;
    }
  }
}

// C[0..mr)[0..nr) (+)= Ap (kc×MR) · Bp (kc×NR); the accumulators stay in registers.
void microKernel(int kc, const float* __restrict Ap, const float* __restrict Bp, float* C,
                 int ldc, bool accumulate, int mr, int nr) {
  vf acc[MR][2];
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i) acc[i][0] = acc[i][1] = vf{};
  for (int p = 0; p < kc; ++p) {
    vf b0 = *reinterpret_cast<const vf*>(Bp + p * NR);
    vf b1 = *reinterpret_cast<const vf*>(Bp + p * NR + VW);
    const float* a = Ap + p * MR;
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i) {
      acc[i][0] += a[i] * b0;
      acc[i][1] += a[i] * b1;
    }
  }
  if (mr == MR && nr == NR) {
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i) {
      float* c = C + static_cast<size_t>(i) * ldc;
      if (accumulate) {
        storeu(c, loadu(c) + acc[i][0]);
        storeu(c + VW, loadu(c + VW) + acc[i][1]);
      } else {
        storeu(c, acc[i][0]);
        storeu(c + VW, acc[i][1]);
      }
    }
    return;
  }
  alignas(64) float tile[MR * NR];
  for (int i = 0; i < MR; ++i) {
    *reinterpret_cast<vf*>(tile + i * NR) = acc[i][0];
    *reinterpret_cast<vf*>(tile + i * NR + VW) = acc[i][1];
  }
  for (int i = 0; i < mr; ++i) {
    float* c = C + static_cast<size_t>(i) * ldc;
    for (int j = 0; j < nr; ++j) c[j] = accumulate ? c[j] + tile[i * NR + j] : tile[i * NR + j];
  }
}

// Small products: packing would cost more than it saves.
void naiveSgemm(bool transA, bool transB, int M, int N, int K, const float* A, int lda,
                const float* B, int ldb, float* C, int ldc, bool accumulate) {
  for (int i = 0; i < M; ++i) {
    float* c = C + static_cast<size_t>(i) * ldc;
    if (!accumulate)
      for (int j = 0; j < N; ++j) c[j] = 0.f;
    for (int p = 0; p < K; ++p) {
      float a = transA ? A[static_cast<size_t>(p) * lda + i] : A[static_cast<size_t>(i) * lda + p];
      if (!transB) {
        const float* b = B + static_cast<size_t>(p) * ldb;
        for (int j = 0; j < N; ++j) c[j] += a * b[j];
      } else {
        for (int j = 0; j < N; ++j) c[j] += a * B[static_cast<size_t>(j) * ldb + p];
      }
    }
  }
}

}  // namespace

bool haveOpenBlas() {
#ifdef REGLAB_OPENBLAS
  return true;
#else
  return false;
#endif
}

bool setGemm(GemmImpl impl) {
  if (impl == GemmImpl::OpenBlas && !haveOpenBlas()) return false;
  current = impl;
  return true;
}

GemmImpl currentGemm() { return current; }

int builtinVectorWidth() { return VW; }

void builtinSgemm(bool transA, bool transB, int M, int N, int K, const float* A, int lda,
                  const float* B, int ldb, float* C, int ldc, bool accumulate) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0) {
    if (!accumulate)
      for (int i = 0; i < M; ++i) std::fill(C + static_cast<size_t>(i) * ldc, C + static_cast<size_t>(i) * ldc + N, 0.f);
    return;
  }
  if (static_cast<long long>(M) * N * K < 8192) {
    naiveSgemm(transA, transB, M, N, K, A, lda, B, ldb, C, ldc, accumulate);
    return;
  }
  const int ncMax = std::min(NC, ((N + NR - 1) / NR) * NR);
  const int kcMax = std::min(KC, K);
  const int mcMax = std::min(MC, ((M + MR - 1) / MR) * MR);
  float* Bp = Buffers::grow(buffers.b, buffers.bSize, static_cast<size_t>(ncMax + NR) * kcMax);
  float* Ap = Buffers::grow(buffers.a, buffers.aSize, static_cast<size_t>(mcMax + MR) * kcMax);
  for (int jc = 0; jc < N; jc += NC) {
    int nc = std::min(NC, N - jc);
    for (int pc = 0; pc < K; pc += KC) {
      int kc = std::min(KC, K - pc);
      bool acc = accumulate || pc > 0;
      packB(transB, B, ldb, pc, kc, jc, nc, Bp);
      for (int ic = 0; ic < M; ic += MC) {
        int mc = std::min(MC, M - ic);
        packA(transA, A, lda, ic, mc, pc, kc, Ap);
        for (int jr = 0; jr < nc; jr += NR) {
          for (int ir = 0; ir < mc; ir += MR) {
            microKernel(kc, Ap + static_cast<size_t>(ir) * kc, Bp + static_cast<size_t>(jr) * kc,
                        C + static_cast<size_t>(ic + ir) * ldc + jc + jr, ldc, acc,
                        std::min(MR, mc - ir), std::min(NR, nc - jr));
          }
        }
      }
    }
  }
}

void sgemm(bool transA, bool transB, int M, int N, int K, const float* A, int lda, const float* B,
           int ldb, float* C, int ldc, bool accumulate) {
#ifdef REGLAB_OPENBLAS
  if (current == GemmImpl::OpenBlas && M > 0 && N > 0 && K > 0) {
    cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans,
                transB ? CblasTrans : CblasNoTrans, M, N, K, 1.f, A, lda, B, ldb,
                accumulate ? 1.f : 0.f, C, ldc);
    return;
  }
#endif
  builtinSgemm(transA, transB, M, N, K, A, lda, B, ldb, C, ldc, accumulate);
}

void ssyrk(bool trans, int N, int K, const float* A, int lda, float* C, int ldc) {
  if (N <= 0) return;
  if (K <= 0) {
    builtinSgemm(trans, !trans, N, N, K, A, lda, A, lda, C, ldc, false);
    return;
  }
#ifdef REGLAB_OPENBLAS
  if (current == GemmImpl::OpenBlas) {
    cblas_ssyrk(CblasRowMajor, CblasUpper, trans ? CblasTrans : CblasNoTrans, N, K, 1.f, A, lda,
                0.f, C, ldc);
  } else
#endif
  {
    // Blocks of NB rows/columns, a multiple of both register tiles so no block wastes a tile.
    constexpr int tile = MR * NR / std::gcd(MR, NR);
    constexpr int NB = tile * ((96 + tile - 1) / tile);
    // Row i of X = op(A): A + i (trans: a column of A) or A + i·lda.
    auto row = [&](int i) { return A + (trans ? static_cast<size_t>(i) : static_cast<size_t>(i) * lda); };
    for (int i0 = 0; i0 < N; i0 += NB) {
      const int mb = std::min(NB, N - i0);
      for (int j0 = i0; j0 < N; j0 += NB)
        builtinSgemm(trans, !trans, mb, std::min(NB, N - j0), K, row(i0), lda, row(j0), lda,
                     C + static_cast<size_t>(i0) * ldc + j0, ldc, false);
    }
  }
  for (int i = 1; i < N; ++i)
    for (int j = 0; j < i; ++j) C[static_cast<size_t>(i) * ldc + j] = C[static_cast<size_t>(j) * ldc + i];
}

}  // namespace reglab
