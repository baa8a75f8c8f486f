// Convolution (im2col + GEMM), its two gradients, and max pooling, over NHWC float32 tensors.
//
// conv2d:  col[rows, K] = patches of x (rows = output pixels, K = kh·kw·C, ordered like the
//          filter [kh, kw, C, O]); y[rows, O] = col · filter — one GEMM per chunk of images.
// input gradient:  col = dy · filterᵀ, then col2im adds each patch back where it came from.
// filter gradient: dw = Σ_chunks colᵀ · dy.
// Chunks of whole images bound the col buffer (kColFloats) so it stays in cache and memory
// does not grow with the batch. A 1×1, stride-1, unpadded convolution skips im2col (x is col).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "gemm.h"
#include "kernels.h"

namespace reglab {

namespace {

constexpr int64_t kColFloats = 1 << 19;  // 2 MiB of patches per GEMM call

inline float activate(float v, int act, float alpha) {
  switch (act) {
    case Relu: return v < 0.f ? 0.f : v;
    case Relu6: return v < 0.f ? 0.f : (v > 6.f ? 6.f : v);
    case Sigmoid: return 1.f / (1.f + std::exp(-v));
    case Elu: return v >= 0.f ? v : std::expm1(v);
    case LeakyRelu: return v < 0.f ? alpha * v : v;
    default: return v;
  }
}

bool isPointwise(const Conv2DGeometry& g) {
  return g.filterHeight == 1 && g.filterWidth == 1 && g.strideHeight == 1 && g.strideWidth == 1 &&
         g.padTop == 0 && g.padLeft == 0 && g.outHeight == g.inHeight && g.outWidth == g.inWidth;
}

int64_t patchSize(const Conv2DGeometry& g) {
  return static_cast<int64_t>(g.filterHeight) * g.filterWidth * g.inChannels;
}

int64_t pixelsPerImage(const Conv2DGeometry& g) {
  return static_cast<int64_t>(g.outHeight) * g.outWidth;
}

// Images per GEMM call: as many as fit in kColFloats, at least one.
int imagesPerChunk(const Conv2DGeometry& g) {
  int64_t perImage = pixelsPerImage(g) * patchSize(g);
  return static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(g.batch, kColFloats / std::max<int64_t>(1, perImage))));
}

// Patches of images [n0, n0 + count) into col (row per output pixel).
void im2col(const Conv2DGeometry& g, const float* x, int n0, int count, float* col) {
  const int C = g.inChannels;
  const int64_t K = patchSize(g);
  float* row = col;
  for (int n = n0; n < n0 + count; ++n) {
    const float* image = x + static_cast<int64_t>(n) * g.inHeight * g.inWidth * C;
    for (int oy = 0; oy < g.outHeight; ++oy) {
      for (int ox = 0; ox < g.outWidth; ++ox, row += K) {
        float* dst = row;
        for (int ky = 0; ky < g.filterHeight; ++ky) {
          const int iy = oy * g.strideHeight - g.padTop + ky * g.dilationHeight;
          for (int kx = 0; kx < g.filterWidth; ++kx, dst += C) {
            const int ix = ox * g.strideWidth - g.padLeft + kx * g.dilationWidth;
            if (iy < 0 || iy >= g.inHeight || ix < 0 || ix >= g.inWidth) {
              std::memset(dst, 0, sizeof(float) * C);
            } else {
              std::memcpy(dst, image + (static_cast<int64_t>(iy) * g.inWidth + ix) * C, sizeof(float) * C);
            }
          }
        }
      }
    }
  }
}

// Adds every patch row of col back onto dx (the adjoint of im2col).
void col2imAdd(const Conv2DGeometry& g, const float* col, int n0, int count, float* dx) {
  const int C = g.inChannels;
  const int64_t K = patchSize(g);
  const float* row = col;
  for (int n = n0; n < n0 + count; ++n) {
    float* image = dx + static_cast<int64_t>(n) * g.inHeight * g.inWidth * C;
    for (int oy = 0; oy < g.outHeight; ++oy) {
      for (int ox = 0; ox < g.outWidth; ++ox, row += K) {
        const float* src = row;
        for (int ky = 0; ky < g.filterHeight; ++ky) {
          const int iy = oy * g.strideHeight - g.padTop + ky * g.dilationHeight;
          for (int kx = 0; kx < g.filterWidth; ++kx, src += C) {
            const int ix = ox * g.strideWidth - g.padLeft + kx * g.dilationWidth;
            if (iy < 0 || iy >= g.inHeight || ix < 0 || ix >= g.inWidth) continue;
            float* dst = image + (static_cast<int64_t>(iy) * g.inWidth + ix) * C;
            for (int c = 0; c < C; ++c) dst[c] += src[c];
          }
        }
      }
    }
  }
}

thread_local std::vector<float> colBuffer;

float* colFor(const Conv2DGeometry& g, int images) {
  size_t need = static_cast<size_t>(images) * pixelsPerImage(g) * patchSize(g);
  if (colBuffer.size() < need) colBuffer.resize(need);
  return colBuffer.data();
}

}  // namespace

void biasActivation(float* y, int64_t rows, int cols, const float* bias, int biasLength, int act,
                    float alpha) {
  if (!bias && act == Linear) return;
  for (int64_t r = 0; r < rows; ++r) {
    float* row = y + r * cols;
    if (bias) {
      if (biasLength == 1) {
        const float b = bias[0];
        for (int j = 0; j < cols; ++j) row[j] += b;
      } else {
        for (int j = 0; j < cols; ++j) row[j] += bias[j];
      }
    }
    switch (act) {
      case Linear: break;
      case Relu:
        for (int j = 0; j < cols; ++j) row[j] = row[j] < 0.f ? 0.f : row[j];
        break;
      default:
        for (int j = 0; j < cols; ++j) row[j] = activate(row[j], act, alpha);
    }
  }
}

void conv2d(const Conv2DGeometry& g, const float* x, const float* filter, float* y,
            const float* bias, int biasLength, int act, float alpha) {
  const int O = g.outChannels;
  const int64_t K = patchSize(g);
  const int64_t pixels = pixelsPerImage(g);
  if (isPointwise(g)) {
    sgemm(false, false, static_cast<int>(g.batch * pixels), O, static_cast<int>(K), x, static_cast<int>(K), filter, O, y, O, false);
    biasActivation(y, g.batch * pixels, O, bias, biasLength, act, alpha);
    return;
  }
  const int chunk = imagesPerChunk(g);
  float* col = colFor(g, chunk);
  for (int n0 = 0; n0 < g.batch; n0 += chunk) {
    const int count = std::min(chunk, g.batch - n0);
    const int rows = static_cast<int>(count * pixels);
    float* out = y + n0 * pixels * O;
    im2col(g, x, n0, count, col);
    sgemm(false, false, rows, O, static_cast<int>(K), col, static_cast<int>(K), filter, O, out, O, false);
    biasActivation(out, rows, O, bias, biasLength, act, alpha);
  }
}

void conv2dBackpropInput(const Conv2DGeometry& g, const float* dy, const float* filter, float* dx) {
  const int O = g.outChannels;
  const int64_t K = patchSize(g);
  const int64_t pixels = pixelsPerImage(g);
  if (isPointwise(g)) {
    sgemm(false, true, static_cast<int>(g.batch * pixels), static_cast<int>(K), O, dy, O, filter, O, dx, static_cast<int>(K), false);
    return;
  }
  std::fill(dx, dx + static_cast<int64_t>(g.batch) * g.inHeight * g.inWidth * g.inChannels, 0.f);
  const int chunk = imagesPerChunk(g);
  float* col = colFor(g, chunk);
  for (int n0 = 0; n0 < g.batch; n0 += chunk) {
    const int count = std::min(chunk, g.batch - n0);
    const int rows = static_cast<int>(count * pixels);
    sgemm(false, true, rows, static_cast<int>(K), O, dy + n0 * pixels * O, O, filter, O, col, static_cast<int>(K), false);
    col2imAdd(g, col, n0, count, dx);
  }
}

void conv2dBackpropFilter(const Conv2DGeometry& g, const float* x, const float* dy, float* dw) {
  const int O = g.outChannels;
  const int64_t K = patchSize(g);
  const int64_t pixels = pixelsPerImage(g);
  if (isPointwise(g)) {
    sgemm(true, false, static_cast<int>(K), O, static_cast<int>(g.batch * pixels), x, static_cast<int>(K), dy, O, dw, O, false);
    return;
  }
  const int chunk = imagesPerChunk(g);
  float* col = colFor(g, chunk);
  for (int n0 = 0; n0 < g.batch; n0 += chunk) {
    const int count = std::min(chunk, g.batch - n0);
    const int rows = static_cast<int>(count * pixels);
    im2col(g, x, n0, count, col);
    sgemm(true, false, static_cast<int>(K), O, rows, col, static_cast<int>(K), dy + n0 * pixels * O, O, dw, O, n0 > 0);
  }
}

namespace {

// Calls visit(outputOffset, inputOffset, windowPosition) for the valid taps of every output
// pixel, channels left to the visitor (NHWC: C contiguous values at each offset).
template <typename Begin, typename Visit, typename End>
void forEachWindow(const Conv2DGeometry& g, Begin begin, Visit visit, End end) {
  const int C = g.inChannels;
  for (int n = 0; n < g.batch; ++n) {
    for (int oy = 0; oy < g.outHeight; ++oy) {
      for (int ox = 0; ox < g.outWidth; ++ox) {
        const int64_t out = ((static_cast<int64_t>(n) * g.outHeight + oy) * g.outWidth + ox) * C;
        begin(out);
        for (int ky = 0; ky < g.filterHeight; ++ky) {
          const int iy = oy * g.strideHeight - g.padTop + ky * g.dilationHeight;
          if (iy < 0 || iy >= g.inHeight) continue;
          for (int kx = 0; kx < g.filterWidth; ++kx) {
            const int ix = ox * g.strideWidth - g.padLeft + kx * g.dilationWidth;
            if (ix < 0 || ix >= g.inWidth) continue;
            visit(out, ((static_cast<int64_t>(n) * g.inHeight + iy) * g.inWidth + ix) * C);
          }
        }
        end(out);
      }
    }
  }
}

}  // namespace

void maxPool(const Conv2DGeometry& g, const float* x, float* y) {
  const int C = g.inChannels;
  forEachWindow(
      g, [&](int64_t out) { std::fill(y + out, y + out + C, -INFINITY); },
      [&](int64_t out, int64_t in) {
        for (int c = 0; c < C; ++c) {
          const float v = x[in + c];
          y[out + c] = v > y[out + c] ? v : y[out + c];
        }
      },
      [](int64_t) {});
}

void avgPool(const Conv2DGeometry& g, const float* x, float* y) {
  const int C = g.inChannels;
  std::vector<double> sum(C);
  int count = 0;
  forEachWindow(
      g,
      [&](int64_t) {
        std::fill(sum.begin(), sum.end(), 0.0);
        count = 0;
      },
      [&](int64_t, int64_t in) {
        for (int c = 0; c < C; ++c) sum[c] += x[in + c];
        ++count;
      },
      [&](int64_t out) {
        for (int c = 0; c < C; ++c) y[out + c] = static_cast<float>(sum[c] / count);
      });
}

void maxPoolGrad(const Conv2DGeometry& g, const float* dy, const float* x, float* dx) {
  const int C = g.inChannels;
  std::fill(dx, dx + static_cast<int64_t>(g.batch) * g.inHeight * g.inWidth * C, 0.f);
  std::vector<float> best(C);
  std::vector<int64_t> where(C);
  forEachWindow(
      g,
      [&](int64_t) {
        std::fill(best.begin(), best.end(), -INFINITY);
        std::fill(where.begin(), where.end(), -1);
      },
      [&](int64_t, int64_t in) {
        for (int c = 0; c < C; ++c) {
          const float v = x[in + c];
          if (v > best[c]) {
            best[c] = v;
            where[c] = in + c;
          }
        }
      },
      [&](int64_t out) {
        for (int c = 0; c < C; ++c)
          if (where[c] >= 0) dx[where[c]] += dy[out + c];
      });
}

}  // namespace reglab
