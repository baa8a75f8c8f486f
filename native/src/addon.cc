// N-API bindings of reglab's native kernels (node-addon-api). Every function takes the
// tensors as Float32Arrays — the cpu backend's own storage, read and written in place, never
// copied — plus integer geometry; outputs are allocated by the caller. Shapes are checked in
// TypeScript (src/backend/native-kernels.ts); here only the argument types and buffer sizes
// are, so that a wrong call throws instead of writing out of bounds.
#include <napi.h>

#include <cstdlib>
#include <exception>
#include <string>
#include <vector>

#include "gemm.h"
#include "kernels.h"

#ifdef REGLAB_OPENBLAS
#include <cblas.h>
#endif

namespace {

using reglab::Conv2DGeometry;

struct View {
  float* data = nullptr;
  size_t length = 0;
};

View floats(const Napi::CallbackInfo& info, size_t i, bool nullable = false) {
  Napi::Env env = info.Env();
  if (nullable && (info[i].IsNull() || info[i].IsUndefined())) return {};
  if (!info[i].IsTypedArray() || info[i].As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
    throw Napi::TypeError::New(env, "argument " + std::to_string(i) + " must be a Float32Array");
  }
  Napi::Float32Array a = info[i].As<Napi::Float32Array>();
  return {a.Data(), a.ElementLength()};
}

std::vector<int64_t> ints(const Napi::CallbackInfo& info, size_t i) {
  if (!info[i].IsTypedArray() || info[i].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) {
    throw Napi::TypeError::New(info.Env(), "argument " + std::to_string(i) + " must be an Int32Array");
  }
  Napi::Int32Array a = info[i].As<Napi::Int32Array>();
  return std::vector<int64_t>(a.Data(), a.Data() + a.ElementLength());
}

int64_t integer(const Napi::CallbackInfo& info, size_t i) {
  if (!info[i].IsNumber()) throw Napi::TypeError::New(info.Env(), "argument " + std::to_string(i) + " must be a number");
  return info[i].As<Napi::Number>().Int64Value();
}

float number(const Napi::CallbackInfo& info, size_t i) {
  if (!info[i].IsNumber()) throw Napi::TypeError::New(info.Env(), "argument " + std::to_string(i) + " must be a number");
  return info[i].As<Napi::Number>().FloatValue();
}

void need(const Napi::CallbackInfo& info, const View& v, int64_t elements, const char* what) {
  if (static_cast<int64_t>(v.length) < elements) {
    throw Napi::RangeError::New(info.Env(), std::string(what) + " has " + std::to_string(v.length) +
                                                " values, the kernel needs " + std::to_string(elements));
  }
}

// info(): how the addon was built.
Napi::Value Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  o.Set("openblas", reglab::haveOpenBlas());
  o.Set("gemm", reglab::currentGemm() == reglab::GemmImpl::OpenBlas ? "openblas" : "builtin");
  o.Set("vectorWidth", reglab::builtinVectorWidth());
#ifdef REGLAB_OPENBLAS
  o.Set("openblasConfig", openblas_get_config());
  o.Set("openblasThreads", openblas_get_num_threads());
#endif
  return o;
}

// setGemm('openblas' | 'builtin') → whether that implementation is now in use.
Napi::Value SetGemm(const Napi::CallbackInfo& info) {
  std::string name = info[0].As<Napi::String>().Utf8Value();
  bool ok = reglab::setGemm(name == "openblas" ? reglab::GemmImpl::OpenBlas : reglab::GemmImpl::Builtin);
  return Napi::Boolean::New(info.Env(), ok && (name == "openblas" || name == "builtin"));
}

// matmul(a, b, out, batch, M, N, K, transA, transB, aBatchStride, bBatchStride, bias, act, alpha)
Napi::Value MatMul(const Napi::CallbackInfo& info) {
  View a = floats(info, 0), b = floats(info, 1), out = floats(info, 2);
  const int64_t batch = integer(info, 3), M = integer(info, 4), N = integer(info, 5), K = integer(info, 6);
  const bool ta = info[7].ToBoolean(), tb = info[8].ToBoolean();
  const int64_t sa = integer(info, 9), sb = integer(info, 10);
  View bias = floats(info, 11, true);
  const int act = static_cast<int>(integer(info, 12));
  const float alpha = number(info, 13);
  need(info, a, (batch - 1) * sa + M * K, "a");
  need(info, b, (batch - 1) * sb + K * N, "b");
  need(info, out, batch * M * N, "out");
  if (bias.data && bias.length != 1 && static_cast<int64_t>(bias.length) != N)
    throw Napi::RangeError::New(info.Env(), "bias must have 1 or N values");
  const int lda = static_cast<int>(ta ? M : K), ldb = static_cast<int>(tb ? K : N);
  // XᵀX or XXᵀ of one tensor (the same array as both operands): a Gram matrix, half the work.
  const bool gram = a.data == b.data && ta != tb && sa == sb && M == N;
  for (int64_t i = 0; i < batch; ++i) {
    float* c = out.data + i * M * N;
    if (gram)
      reglab::ssyrk(ta, static_cast<int>(N), static_cast<int>(K), a.data + i * sa, lda < 1 ? 1 : lda, c,
                    static_cast<int>(N));
    else
      reglab::sgemm(ta, tb, static_cast<int>(M), static_cast<int>(N), static_cast<int>(K), a.data + i * sa,
                    lda < 1 ? 1 : lda, b.data + i * sb, ldb < 1 ? 1 : ldb, c, static_cast<int>(N), false);
    reglab::biasActivation(c, M, static_cast<int>(N), bias.data, static_cast<int>(bias.length), act, alpha);
  }
  return info.Env().Undefined();
}

Conv2DGeometry geometry(const Napi::CallbackInfo& info, size_t i) {
  std::vector<int64_t> g = ints(info, i);
  if (g.size() != 15) throw Napi::RangeError::New(info.Env(), "conv geometry needs 15 integers");
  for (int k = 0; k < 13; ++k)
    if (g[k] < (k < 7 ? 0 : 1)) throw Napi::RangeError::New(info.Env(), "bad conv geometry");
  return Conv2DGeometry{static_cast<int>(g[0]), static_cast<int>(g[1]), static_cast<int>(g[2]),
                        static_cast<int>(g[3]), static_cast<int>(g[4]), static_cast<int>(g[5]),
                        static_cast<int>(g[6]), static_cast<int>(g[7]), static_cast<int>(g[8]),
                        static_cast<int>(g[9]), static_cast<int>(g[10]), static_cast<int>(g[11]),
                        static_cast<int>(g[12]), static_cast<int>(g[13]), static_cast<int>(g[14])};
}

int64_t inputSize(const Conv2DGeometry& g) {
  return static_cast<int64_t>(g.batch) * g.inHeight * g.inWidth * g.inChannels;
}
int64_t outputSize(const Conv2DGeometry& g) {
  return static_cast<int64_t>(g.batch) * g.outHeight * g.outWidth * g.outChannels;
}
int64_t filterSize(const Conv2DGeometry& g) {
  return static_cast<int64_t>(g.filterHeight) * g.filterWidth * g.inChannels * g.outChannels;
}

// conv2d(geometry, x, filter, y, bias, act, alpha)
Napi::Value Conv2D(const Napi::CallbackInfo& info) {
  Conv2DGeometry g = geometry(info, 0);
  View x = floats(info, 1), f = floats(info, 2), y = floats(info, 3), bias = floats(info, 4, true);
  need(info, x, inputSize(g), "x");
  need(info, f, filterSize(g), "filter");
  need(info, y, outputSize(g), "y");
  if (bias.data && bias.length != 1 && static_cast<int>(bias.length) != g.outChannels)
    throw Napi::RangeError::New(info.Env(), "bias must have 1 or outChannels values");
  reglab::conv2d(g, x.data, f.data, y.data, bias.data, static_cast<int>(bias.length),
                 static_cast<int>(integer(info, 5)), number(info, 6));
  return info.Env().Undefined();
}

// conv2dBackpropInput(geometry, dy, filter, dx)
Napi::Value Conv2DBackpropInput(const Napi::CallbackInfo& info) {
  Conv2DGeometry g = geometry(info, 0);
  View dy = floats(info, 1), f = floats(info, 2), dx = floats(info, 3);
  need(info, dy, outputSize(g), "dy");
  need(info, f, filterSize(g), "filter");
  need(info, dx, inputSize(g), "dx");
  reglab::conv2dBackpropInput(g, dy.data, f.data, dx.data);
  return info.Env().Undefined();
}

// conv2dBackpropFilter(geometry, x, dy, dw)
Napi::Value Conv2DBackpropFilter(const Napi::CallbackInfo& info) {
  Conv2DGeometry g = geometry(info, 0);
  View x = floats(info, 1), dy = floats(info, 2), dw = floats(info, 3);
  need(info, x, inputSize(g), "x");
  need(info, dy, outputSize(g), "dy");
  need(info, dw, filterSize(g), "dw");
  reglab::conv2dBackpropFilter(g, x.data, dy.data, dw.data);
  return info.Env().Undefined();
}

// maxPool(geometry, x, y) and avgPool(geometry, x, y): one binding, the pooling as a parameter.
template <void (*Pool)(const Conv2DGeometry&, const float*, float*)>
Napi::Value PoolForward(const Napi::CallbackInfo& info) {
  Conv2DGeometry g = geometry(info, 0);
  View x = floats(info, 1), y = floats(info, 2);
  need(info, x, inputSize(g), "x");
  need(info, y, outputSize(g), "y");
  Pool(g, x.data, y.data);
  return info.Env().Undefined();
}

// maxPoolGrad(geometry, dy, x, dx)
Napi::Value MaxPoolGrad(const Napi::CallbackInfo& info) {
  Conv2DGeometry g = geometry(info, 0);
  View dy = floats(info, 1), x = floats(info, 2), dx = floats(info, 3);
  need(info, dy, outputSize(g), "dy");
  need(info, x, inputSize(g), "x");
  need(info, dx, inputSize(g), "dx");
  reglab::maxPoolGrad(g, dy.data, x.data, dx.data);
  return info.Env().Undefined();
}

// binary(op, a, b, out, dims) with dims = [rank, shape…, aStrides…, bStrides…]
Napi::Value Binary(const Napi::CallbackInfo& info) {
  const int op = static_cast<int>(integer(info, 0));
  View a = floats(info, 1), b = floats(info, 2), out = floats(info, 3);
  std::vector<int64_t> d = ints(info, 4);
  const int rank = d.empty() ? -1 : static_cast<int>(d[0]);
  if (rank < 0 || d.size() != static_cast<size_t>(1 + 3 * rank))
    throw Napi::RangeError::New(info.Env(), "binary dims must be [rank, shape, aStrides, bStrides]");
  const int64_t* shape = d.data() + 1;
  const int64_t* sa = shape + rank;
  const int64_t* sb = sa + rank;
  int64_t total = 1, lastA = 0, lastB = 0;
  for (int k = 0; k < rank; ++k) {
    total *= shape[k];
    lastA += (shape[k] - 1) * sa[k];
    lastB += (shape[k] - 1) * sb[k];
  }
  if (total == 0) return info.Env().Undefined();
  need(info, out, total, "out");
  need(info, a, lastA + 1, "a");
  need(info, b, lastB + 1, "b");
  reglab::binary(op, a.data, b.data, out.data, rank, shape, sa, sb);
  return info.Env().Undefined();
}

// unary(op, x, out, alpha)
Napi::Value Unary(const Napi::CallbackInfo& info) {
  View x = floats(info, 1), out = floats(info, 2);
  need(info, out, static_cast<int64_t>(x.length), "out");
  reglab::unary(static_cast<int>(integer(info, 0)), x.data, out.data, static_cast<int64_t>(x.length), number(info, 3));
  return info.Env().Undefined();
}

// reduce(op, x, out, outer, reduceSize, inner)
Napi::Value Reduce(const Napi::CallbackInfo& info) {
  View x = floats(info, 1), out = floats(info, 2);
  const int64_t outer = integer(info, 3), size = integer(info, 4), inner = integer(info, 5);
  if (size < 1) throw Napi::RangeError::New(info.Env(), "reduce over an empty axis");
  need(info, x, outer * size * inner, "x");
  need(info, out, outer * inner, "out");
  reglab::reduce(static_cast<int>(integer(info, 0)), x.data, out.data, outer, size, inner);
  return info.Env().Undefined();
}

// softmax(x, out, cols): softmax of every row of `cols` values
Napi::Value Softmax(const Napi::CallbackInfo& info) {
  View x = floats(info, 0), out = floats(info, 1);
  const int64_t cols = integer(info, 2);
  if (cols < 1 || x.length % cols != 0) throw Napi::RangeError::New(info.Env(), "softmax: x is not rows of cols values");
  need(info, out, static_cast<int64_t>(x.length), "out");
  reglab::softmax(x.data, out.data, static_cast<int64_t>(x.length) / cols, cols);
  return info.Env().Undefined();
}

// transpose(x, out, shape, perm)
Napi::Value Transpose(const Napi::CallbackInfo& info) {
  View x = floats(info, 0), out = floats(info, 1);
  std::vector<int64_t> shape = ints(info, 2), perm64 = ints(info, 3);
  const int rank = static_cast<int>(shape.size());
  if (perm64.size() != shape.size()) throw Napi::RangeError::New(info.Env(), "perm and shape differ in length");
  std::vector<int> perm(rank);
  std::vector<bool> seen(rank, false);
  int64_t total = 1;
  for (int d = 0; d < rank; ++d) {
    if (perm64[d] < 0 || perm64[d] >= rank || seen[perm64[d]]) throw Napi::RangeError::New(info.Env(), "bad perm");
    seen[perm64[d]] = true;
    perm[d] = static_cast<int>(perm64[d]);
    total *= shape[d];
  }
  need(info, x, total, "x");
  need(info, out, total, "out");
  reglab::transpose(x.data, out.data, rank, shape.data(), perm.data());
  return info.Env().Undefined();
}

// projectedError(x, value, erf)
Napi::Value ProjectedError(const Napi::CallbackInfo& info) {
  View x = floats(info, 0), value = floats(info, 1), erf = floats(info, 2);
  need(info, value, static_cast<int64_t>(x.length), "value");
  need(info, erf, static_cast<int64_t>(x.length), "erf");
  reglab::projectedError(x.data, value.data, erf.data, static_cast<int64_t>(x.length));
  return info.Env().Undefined();
}

// The ziggurat tables as three Float64Arrays of 128 values at info[i], info[i+1], info[i+2].
reglab::NormalTables normalTables(const Napi::CallbackInfo& info, size_t i) {
  const double* t[3];
  for (size_t j = 0; j < 3; ++j) {
    if (!info[i + j].IsTypedArray() || info[i + j].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array ||
        info[i + j].As<Napi::Float64Array>().ElementLength() != 128)
      throw Napi::TypeError::New(info.Env(), "argument " + std::to_string(i + j) + " must be a Float64Array of 128");
    t[j] = info[i + j].As<Napi::Float64Array>().Data();
  }
  return reglab::NormalTables{t[0], t[1], t[2]};
}

// fillNormal(out, seed, k, w, f)
Napi::Value FillNormal(const Napi::CallbackInfo& info) {
  View out = floats(info, 0);
  reglab::fillNormal(out.data, static_cast<int64_t>(out.length), static_cast<int32_t>(integer(info, 1)),
                     normalTables(info, 2));
  return info.Env().Undefined();
}

// unitColumns(out, rows, cols, seed, k, w, f)
Napi::Value UnitColumns(const Napi::CallbackInfo& info) {
  View out = floats(info, 0);
  const int64_t rows = integer(info, 1), cols = integer(info, 2);
  if (rows < 0 || cols < 0) throw Napi::RangeError::New(info.Env(), "unitColumns: negative size");
  need(info, out, rows * cols, "out");
  reglab::unitColumns(out.data, rows, cols, static_cast<int32_t>(integer(info, 3)), normalTables(info, 4));
  return info.Env().Undefined();
}

// Turns C++ exceptions other than Napi::Error (std::bad_alloc of a packing buffer) into
// JavaScript errors instead of terminating the process.
template <Napi::Value (*F)(const Napi::CallbackInfo&)>
Napi::Value Guarded(const Napi::CallbackInfo& info) {
  try {
    return F(info);
  } catch (const Napi::Error&) {
    throw;
  } catch (const std::exception& e) {
    throw Napi::Error::New(info.Env(), std::string("reglab native kernel: ") + e.what());
  }
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
#ifdef REGLAB_OPENBLAS
  // One thread unless the user asked for more: tfjs kernels are single-threaded, benches
  // compare at one thread, and small matrices run slower with OpenBLAS's thread pool.
  if (!std::getenv("OPENBLAS_NUM_THREADS") && !std::getenv("OMP_NUM_THREADS")) openblas_set_num_threads(1);
#endif
  exports.Set("info", Napi::Function::New(env, Guarded<Info>));
  exports.Set("setGemm", Napi::Function::New(env, Guarded<SetGemm>));
  exports.Set("matmul", Napi::Function::New(env, Guarded<MatMul>));
  exports.Set("conv2d", Napi::Function::New(env, Guarded<Conv2D>));
  exports.Set("conv2dBackpropInput", Napi::Function::New(env, Guarded<Conv2DBackpropInput>));
  exports.Set("conv2dBackpropFilter", Napi::Function::New(env, Guarded<Conv2DBackpropFilter>));
  exports.Set("maxPool", Napi::Function::New(env, Guarded<PoolForward<reglab::maxPool>>));
  exports.Set("avgPool", Napi::Function::New(env, Guarded<PoolForward<reglab::avgPool>>));
  exports.Set("maxPoolGrad", Napi::Function::New(env, Guarded<MaxPoolGrad>));
  exports.Set("binary", Napi::Function::New(env, Guarded<Binary>));
  exports.Set("unary", Napi::Function::New(env, Guarded<Unary>));
  exports.Set("reduce", Napi::Function::New(env, Guarded<Reduce>));
  exports.Set("transpose", Napi::Function::New(env, Guarded<Transpose>));
  exports.Set("softmax", Napi::Function::New(env, Guarded<Softmax>));
  exports.Set("projectedError", Napi::Function::New(env, Guarded<ProjectedError>));
  exports.Set("fillNormal", Napi::Function::New(env, Guarded<FillNormal>));
  exports.Set("unitColumns", Napi::Function::New(env, Guarded<UnitColumns>));
  return exports;
}

}  // namespace

NODE_API_MODULE(reglab_native, Init)
