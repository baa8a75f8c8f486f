// Microbenchmarks of the native kernels outside Node (no N-API): GEMM GFLOP/s for the MLP's
// shapes and every transpose combination (built-in vs OpenBLAS), GEMM with denormal operands
// and products (with and without flush-to-zero), and the conv-net layers' convolution,
// gradient and pooling times. Build and run (see bench/README.md):
//
//   g++ -O3 -march=native -std=c++17 -DREGLAB_OPENBLAS $(pkg-config --cflags openblas) \
//     -Inative/src native/src/gemm.cc native/src/conv.cc native/src/elementwise.cc \
//     native/bench/kernels.cc -o /tmp/reglab-kernels $(pkg-config --libs openblas)
//   OPENBLAS_NUM_THREADS=1 /tmp/reglab-kernels
//
// (Without OpenBLAS: drop -DREGLAB_OPENBLAS and the pkg-config parts.)
#include <chrono>
#include <cstdio>
#include <vector>
#if defined(__x86_64__)
#include <xmmintrin.h>
#endif

#include "gemm.h"
#include "kernels.h"

using namespace reglab;

template <typename F>
double ms(F f, int reps) {
  f();
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < reps; ++i) f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / reps * 1e3;
}

const char* name(GemmImpl impl) { return impl == GemmImpl::Builtin ? "builtin " : "openblas"; }

int main() {
  const int shapes[][3] = {{128, 256, 784}, {784, 256, 128}, {256, 256, 128}, {301, 299, 257}};
  for (auto impl : {GemmImpl::Builtin, GemmImpl::OpenBlas}) {
    if (!setGemm(impl)) continue;
    for (auto& s : shapes) {
      const int M = s[0], N = s[1], K = s[2];
      std::vector<float> A(M * K, 0.5f), B(K * N, 0.25f), C(M * N);
      std::printf("%s %dx%dx%d GFLOP/s:", name(impl), M, N, K);
      for (int ta = 0; ta < 2; ++ta)
        for (int tb = 0; tb < 2; ++tb) {
          double t = ms([&] { sgemm(ta, tb, M, N, K, A.data(), ta ? M : K, B.data(), tb ? K : N, C.data(), N, false); }, 50);
          std::printf("  %s%s %.1f", ta ? "Aᵀ" : "A", tb ? "Bᵀ" : "B", 2.0 * M * N * K / t / 1e6);
        }
      std::printf("\n");
    }
  }
  // Denormals: 128×784 · 784×256 with normal values, denormal A, and denormal products.
  for (int ftz = 0; ftz < 2; ++ftz) {
#if defined(__x86_64__)
    const unsigned csr = _mm_getcsr();
    if (ftz) _mm_setcsr(csr | 0x8040);  // FTZ | DAZ
#else
    if (ftz) break;
#endif
    for (auto impl : {GemmImpl::Builtin, GemmImpl::OpenBlas}) {
      if (!setGemm(impl)) continue;
      auto run = [&](float a, float b) {
        std::vector<float> A(128 * 784, a), B(784 * 256, b), C(128 * 256);
        return ms([&] { sgemm(false, false, 128, 256, 784, A.data(), 784, B.data(), 256, C.data(), 256, false); }, 30);
      };
      std::printf("%s flush-to-zero %s: normal %.3f ms, denormal A %.3f ms, denormal products %.3f ms\n", name(impl),
                  ftz ? "on " : "off", run(0.5f, 0.25f), run(1e-39f, 0.25f), run(1e-20f, 1e-20f));
    }
#if defined(__x86_64__)
    _mm_setcsr(csr);
#endif
  }
  // The zoo cnn's layers at batch 128.
  for (auto impl : {GemmImpl::Builtin, GemmImpl::OpenBlas}) {
    if (!setGemm(impl)) continue;
    const Conv2DGeometry layers[] = {{128, 28, 28, 1, 28, 28, 32, 3, 3, 1, 1, 1, 1, 1, 1},
                                     {128, 14, 14, 32, 14, 14, 64, 3, 3, 1, 1, 1, 1, 1, 1}};
    for (const auto& g : layers) {
      std::vector<float> x(size_t(g.batch) * g.inHeight * g.inWidth * g.inChannels, 0.5f),
          f(9 * g.inChannels * g.outChannels, 0.1f), y(size_t(g.batch) * g.outHeight * g.outWidth * g.outChannels),
          dx(x.size()), dw(f.size()), b(g.outChannels, 0.1f);
      const double gflop = 2.0 * g.batch * g.outHeight * g.outWidth * g.outChannels * 9 * g.inChannels / 1e9;
      const double fwd = ms([&] { conv2d(g, x.data(), f.data(), y.data(), b.data(), g.outChannels, Relu, 0); }, 5);
      const double bin = ms([&] { conv2dBackpropInput(g, y.data(), f.data(), dx.data()); }, 5);
      const double bfi = ms([&] { conv2dBackpropFilter(g, x.data(), y.data(), dw.data()); }, 5);
      const Conv2DGeometry p{g.batch, g.outHeight, g.outWidth, g.outChannels, g.outHeight / 2, g.outWidth / 2,
                             g.outChannels, 2, 2, 2, 2, 1, 1, 0, 0};
      std::vector<float> py(size_t(p.batch) * p.outHeight * p.outWidth * p.outChannels), pdx(y.size());
      const double pool = ms([&] { maxPool(p, y.data(), py.data()); }, 5);
      const double poolGrad = ms([&] { maxPoolGrad(p, py.data(), y.data(), pdx.data()); }, 5);
      std::printf("%s conv %d→%d: forward %.2f ms (%.0f GFLOP/s), input grad %.2f ms, filter grad %.2f ms; "
                  "max pool %.2f ms, its grad %.2f ms\n",
                  name(impl), g.inChannels, g.outChannels, fwd, gflop / fwd * 1e3, bin, bfi, pool, poolGrad);
    }
  }
}
