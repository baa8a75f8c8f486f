// reglab's native tensor kernels (float32, row-major / NHWC), called from the N-API layer.
//
// Each kernel writes a caller-allocated output and allocates nothing the caller sees, so the
// JavaScript side owns every buffer (the cpu backend's typed arrays, read without copying).
#pragma once

#include <cstdint>

namespace reglab {

// Activations fused into matmul / conv epilogues (codes shared with native-kernels.ts).
enum Activation : int { Linear = 0, Relu = 1, Relu6 = 2, Sigmoid = 3, Elu = 4, LeakyRelu = 5 };

// Adds `bias` (length `biasLength`: 1 or `cols`, or nullptr) to each row of `y` (rows×cols),
// then applies `act` (alpha: the LeakyRelu slope).
void biasActivation(float* y, int64_t rows, int cols, const float* bias, int biasLength,
                    int act, float alpha);

// Geometry of a 2-D convolution or pooling window over NHWC tensors.
struct Conv2DGeometry {
  int batch, inHeight, inWidth, inChannels;
  int outHeight, outWidth, outChannels;
  int filterHeight, filterWidth;
  int strideHeight, strideWidth;
  int dilationHeight, dilationWidth;
  int padTop, padLeft;
};

// y[N,OH,OW,O] = conv(x[N,H,W,C], filter[kh,kw,C,O]) with the fused bias and activation.
void conv2d(const Conv2DGeometry& g, const float* x, const float* filter, float* y,
            const float* bias, int biasLength, int act, float alpha);
// dx[N,H,W,C] = gradient of conv2d with respect to x, from dy[N,OH,OW,O].
void conv2dBackpropInput(const Conv2DGeometry& g, const float* dy, const float* filter, float* dx);
// dw[kh,kw,C,O] = gradient of conv2d with respect to the filter.
void conv2dBackpropFilter(const Conv2DGeometry& g, const float* x, const float* dy, float* dw);

// Max pooling (outChannels = inChannels); ties and NaN as tfjs's cpu backend: the first
// strictly greater value of the window in row-major order wins, -inf when none does.
void maxPool(const Conv2DGeometry& g, const float* x, float* y);
// Average pooling over each window's cells inside the input (cpu backend's AvgPool: summed in
// double in row-major window order, divided by the number of those cells; NaN for none).
void avgPool(const Conv2DGeometry& g, const float* x, float* y);
// dx = the gradient routed to each window's maximum (cpu backend's MaxPoolGrad semantics).
void maxPoolGrad(const Conv2DGeometry& g, const float* dy, const float* x, float* dx);

// Elementwise binary ops with numpy broadcasting (codes shared with native-kernels.ts).
enum BinaryOp : int { Add = 0, Sub = 1, Mul = 2, Div = 3, Max = 4, Min = 5, SquaredDiff = 6 };
// out[i] = op(a[·], b[·]) over `rank` output dims `shape`; aStrides/bStrides are the inputs'
// element strides per output dim (0 along broadcast dims).
void binary(int op, const float* a, const float* b, float* out, int rank, const int64_t* shape,
            const int64_t* aStrides, const int64_t* bStrides);

enum UnaryOp : int {
  UReLU = 0, UReLU6 = 1, UStep = 2, UNeg = 3, UExp = 4, ULog = 5, USqrt = 6, URsqrt = 7,
  USquare = 8, UAbs = 9, USigmoid = 10, UTanh = 11, UElu = 12, ULeakyRelu = 13, UReciprocal = 14,
  UErf = 15
};
void unary(int op, const float* x, float* out, int64_t n, float alpha);

// PER's projected error function, fused: value = x·erf(x/√2) + √(2/π)·exp(−x²/2) and its
// derivative erf(x/√2) (TF.js's Abramowitz–Stegun erf), one shared exp per element, in double.
void projectedError(const float* x, float* value, float* erf, int64_t n);

// Reductions of x viewed as [outer, reduce, inner] into out [outer, inner].
enum ReduceOp : int { RSum = 0, RMax = 1, RMin = 2, RMean = 3 };
void reduce(int op, const float* x, float* out, int64_t outer, int64_t reduceSize, int64_t inner);

// Softmax of each row of x [rows, cols] (max-shifted, like the cpu backend's composition).
void softmax(const float* x, float* out, int64_t rows, int64_t cols);

// out = transpose(x, perm) for x of `rank` dims `shape`.
void transpose(const float* x, float* out, int rank, const int64_t* shape, const int* perm);

// The ziggurat tables of src/core/fast-normal.ts (128 layers each).
struct NormalTables {
  const double* k;  // integer acceptance bounds
  const double* w;  // scales
  const double* f;  // densities at the layer edges
};
// out[0..n) = N(0, 1) draws of fast-normal.ts's fillNormal(out, seed), the same stream.
void fillNormal(float* out, int64_t n, int32_t seed, const NormalTables& tables);
// out [rows, cols] = fillNormal draws with every column scaled to unit length (norms summed in
// double, row by row), as fast-normal.ts's fillUnitColumns.
void unitColumns(float* out, int64_t rows, int64_t cols, int32_t seed, const NormalTables& tables);

}  // namespace reglab
