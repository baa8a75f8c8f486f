// Single-precision matrix products for reglab's native kernels.
//
// One entry point, sgemm(), row-major like cblas_sgemm with alpha = 1:
//   C = op(A) · op(B) + (accumulate ? C : 0),  op(X) = X or Xᵀ,
// op(A) is M×K, op(B) is K×N, C is M×N with leading dimension ldc. It runs OpenBLAS when the
// addon was built against it and the built-in blocked GEMM (gemm.cc) otherwise, or when
// setGemm(GemmImpl::Builtin) chose it (tests check both against the same oracle).
#pragma once

#include <cstddef>

namespace reglab {

enum class GemmImpl { Builtin, OpenBlas };

// Whether the addon was compiled and linked with OpenBLAS.
bool haveOpenBlas();

// Selects the implementation sgemm() uses; OpenBlas is refused (returns false) when absent.
bool setGemm(GemmImpl impl);
GemmImpl currentGemm();

void sgemm(bool transA, bool transB, int M, int N, int K, const float* A, int lda, const float* B,
           int ldb, float* C, int ldc, bool accumulate);

// C (N×N) = op(A)·op(A)ᵀ with op(A) = trans ? Aᵀ : A (N×K): a Gram matrix (XᵀX or XXᵀ of one
// operand). Computes the upper triangle only (OpenBLAS ssyrk, or the built-in GEMM on the
// diagonal and upper blocks: ~½ the work of sgemm) and mirrors it, so C is exactly symmetric.
void ssyrk(bool trans, int N, int K, const float* A, int lda, float* C, int ldc);

// The built-in GEMM, whatever setGemm chose (for the tests and the benches).
void builtinSgemm(bool transA, bool transB, int M, int N, int K, const float* A, int lda,
                  const float* B, int ldb, float* C, int ldc, bool accumulate);

// SIMD width the built-in GEMM was compiled for, in floats (16 AVX-512, 8 AVX2, 4 otherwise).
int builtinVectorWidth();

}  // namespace reglab
