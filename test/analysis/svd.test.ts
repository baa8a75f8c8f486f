import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { Matrix, QrDecomposition } from 'ml-matrix';
import { ReglabError } from '../../src/core/errors.js';
import { Random } from '../../src/core/random.js';
import { makeDataset } from '../../src/data/dataset.js';
import { buildModel } from '../../src/models/zoo.js';
import {
  firstLayerSingularImages,
  kernelAsMatrix,
  projectionOntoSpan,
  spanBasis,
  weightSpectrum,
} from '../../src/analysis/svd.js';
import { assertClose, useBackend } from '../support.js';

before(() => useBackend());

/** A rows × columns matrix with orthonormal columns: Q of the QR of a seeded Gaussian matrix. */
function randomOrthonormal(rows: number, columns: number, rng: Random): Matrix {
  const gaussian = Matrix.from1DArray(
    rows,
    columns,
    Array.from({ length: rows * columns }, () => rng.normal()),
  );
  return new QrDecomposition(gaussian).orthogonalMatrix;
}

const SIGMAS = [3.5, 2, 1.25, 0.5];

/** W = V Σ Uᵀ ∈ ℝ^{16×4} with known input-space vectors V (16×4), output vectors U (4×4) and σ's. */
function knownKernel(seed: number) {
  const rng = new Random(seed);
  const v = randomOrthonormal(16, 4, rng);
  const u = randomOrthonormal(4, 4, rng);
  const w = v.mmul(Matrix.diag(SIGMAS)).mmul(u.transpose());
  return { v, u, w };
}

function linearModelWith(w: Matrix): tfl.LayersModel {
  const model = buildModel('linear', {
    inputShape: [4, 4, 1],
    numClasses: w.columns,
    rng: new Random(1),
  });
  model.getLayer('dense_1').setWeights([tf.tensor2d(w.to2DArray()), tf.zeros([w.columns])]);
  return model;
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

test('singular values and input-space vectors of a kernel with a known SVD; W = VΣUᵀ rebuilt to 1e-5', () => {
  const { v, u, w } = knownKernel(3);
  const model = linearModelWith(w);
  const [spectrum] = weightSpectrum(model, { vectors: true });
  assert.equal(spectrum.name, 'dense_1');
  assert.deepEqual(spectrum.matrixShape, [16, 4]);
  assertClose(spectrum.singularValues, SIGMAS, { atol: 1e-5 });
  const vectors = spectrum.inputVectors!;
  const rebuilt = Matrix.zeros(16, 4);
  vectors.forEach((vector, k) => {
    // Same direction as the known column of V, up to the sign convention.
    const alignment = dot(vector, v.getColumn(k));
    assertClose(Math.abs(alignment), 1, { atol: 1e-5, message: `vector ${k}` });
    const uColumn = Matrix.columnVector(u.getColumn(k)).mul(Math.sign(alignment));
    rebuilt.add(
      Matrix.columnVector(Array.from(vector))
        .mmul(uColumn.transpose())
        .mul(spectrum.singularValues[k]),
    );
  });
  assertClose(rebuilt.to1DArray(), w.to1DArray(), { atol: 1e-5 });
  model.dispose();
});

test('input-space vectors are right singular vectors of the forward map M = Wᵀ: MᵀM v = σ² v', () => {
  const { w } = knownKernel(5);
  const model = linearModelWith(w);
  const [spectrum] = weightSpectrum(model, { vectors: true });
  const stored = kernelAsMatrix(model.getLayer('dense_1')).matrix;
  spectrum.inputVectors!.forEach((vector, k) => {
    const column = Matrix.columnVector(Array.from(vector));
    // M v = Wᵀ v lives in output space and has length σ; MᵀM v = W Wᵀ v = σ² v.
    assertClose(stored.transpose().mmul(column).norm(), spectrum.singularValues[k], { atol: 1e-5 });
    assertClose(
      stored.mmul(stored.transpose()).mmul(column).to1DArray(),
      column.mul(SIGMAS[k] ** 2).to1DArray(),
      { atol: 1e-4 },
    );
    // Sign convention: the largest-magnitude entry is positive.
    const largest = vector.reduce(
      (best, value) => (Math.abs(value) > Math.abs(best) ? value : best),
      0,
    );
    assert.ok(largest > 0);
  });
  model.dispose();
});

test('a Conv2D kernel [kh, kw, in, out] is read as W = [kh·kw·in, out] with y = Wᵀ vec(patch)', () => {
  const rng = new Random(11);
  const layer = tfl.layers.conv2d({
    filters: 4,
    kernelSize: 2,
    padding: 'valid',
    useBias: false,
    inputShape: [2, 2, 3],
    name: 'conv_1',
  });
  const model = tfl.sequential({ layers: [layer] });
  const kernel = Array.from({ length: 2 * 2 * 3 * 4 }, () => rng.normal());
  layer.setWeights([tf.tensor4d(kernel, [2, 2, 3, 4])]);
  const { matrix, kernelShape } = kernelAsMatrix(layer);
  assert.deepEqual(kernelShape, [2, 2, 3, 4]);
  assert.deepEqual([matrix.rows, matrix.columns], [12, 4]);
  // Entry by entry: row (i·kw + j)·in + c, column o holds K[i, j, c, o].
  for (let i = 0; i < 2; i++)
    for (let j = 0; j < 2; j++)
      for (let c = 0; c < 3; c++)
        for (let o = 0; o < 4; o++)
          assert.equal(
            matrix.get((i * 2 + j) * 3 + c, o),
            Math.fround(kernel[((i * 2 + j) * 3 + c) * 4 + o]),
          );
  // And it is the forward map: a 2×2×3 input is exactly one patch, the output one pixel.
  const patch = Array.from({ length: 12 }, () => rng.normal());
  const output = tf.tidy(() =>
    (model.predict(tf.tensor4d(patch, [1, 2, 2, 3])) as tf.Tensor).dataSync(),
  );
  assertClose(output, matrix.transpose().mmul(Matrix.columnVector(patch)).to1DArray(), {
    atol: 1e-5,
  });
  const [spectrum] = weightSpectrum(model);
  assert.deepEqual(spectrum.matrixShape, [12, 4]);
  assert.equal(spectrum.singularValues.length, 4);
  const images = firstLayerSingularImages(model);
  assert.deepEqual(images.imageShape, [2, 2, 3]);
  model.dispose();
});

test('weightSpectrum covers every Dense/Conv layer in order, skips batch norm, and rejects bad names', () => {
  const model = buildModel('cnn-bn', { inputShape: [8, 8, 1], numClasses: 3, rng: new Random(2) });
  const spectra = weightSpectrum(model);
  assert.deepEqual(
    spectra.map((s) => s.name),
    ['conv_1', 'conv_2', 'dense_1'],
  );
  assert.deepEqual(
    spectra.map((s) => s.matrixShape),
    [
      [9, 32],
      [288, 64],
      [4 * 64, 3],
    ],
  );
  for (const s of spectra) {
    assert.equal(s.singularValues.length, Math.min(...s.matrixShape));
    for (let k = 1; k < s.singularValues.length; k++)
      assert.ok(s.singularValues[k] <= s.singularValues[k - 1]);
  }
  assert.throws(
    () => weightSpectrum(model, { layers: ['nope'] }),
    (e: Error) => e instanceof ReglabError && /conv_1, conv_2, dense_1/.test(e.message),
  );
  assert.throws(
    () => weightSpectrum(model, { layers: ['bn_1'] }),
    /no weight layer is named "bn_1" — the weight layers are conv_1, conv_2, dense_1/,
  );
  model.dispose();
});

test('first-layer singular images: input shape, sorted by σ, min-max mapped to [0, 1]', () => {
  const { v, w } = knownKernel(7);
  const model = linearModelWith(w);
  const result = firstLayerSingularImages(model);
  assert.equal(result.layer, 'dense_1');
  assert.deepEqual(result.imageShape, [4, 4, 1]);
  assert.deepEqual(
    result.images.map((image) => image.rank),
    [0, 1, 2, 3],
  );
  assertClose(
    result.images.map((image) => image.sigma),
    SIGMAS,
    { atol: 1e-5 },
  );
  result.images.forEach((image, k) => {
    assert.equal(image.data.length, 16);
    assert.equal(Math.min(...image.data), 0);
    assertClose(Math.max(...image.data), 1, { atol: 1e-6 });
    // The image is an affine map of the unit vector: (v − min v)/(max v − min v).
    const lo = Math.min(...image.vector);
    const hi = Math.max(...image.vector);
    assertClose(
      image.data,
      Array.from(image.vector, (x) => (x - lo) / (hi - lo)),
      { atol: 1e-6 },
    );
    assertClose(Math.abs(dot(image.vector, v.getColumn(k))), 1, { atol: 1e-5 });
  });
  assert.throws(() => firstLayerSingularImages(model, [5, 5, 1]), /reads 16 values/);
  model.dispose();
});

/** Unit vectors e_a, e_b in ℝ^dim rotated by a random orthogonal matrix, as plain arrays. */
function rotatedBasis(dim: number, rng: Random): number[][] {
  const q = randomOrthonormal(dim, dim, rng);
  return Array.from({ length: dim }, (_, k) => q.getColumn(k));
}

test('projection norm: inside the span 1, orthogonal 0, at 45° 1/√2', () => {
  const basis = rotatedBasis(6, new Random(4));
  // Two samples spanning span{b0, b1}, neither of them a basis vector.
  const samples = new Float32Array([
    ...basis[0].map((x, i) => 2 * x + basis[1][i]),
    ...basis[0].map((x, i) => x - 3 * basis[1][i]),
  ]);
  const inside = basis[0].map((x, i) => 0.6 * x - 0.8 * basis[1][i]);
  const orthogonal = basis[2];
  const diagonal = basis[1].map((x, i) => 5 * (x + basis[3][i]));
  const norms = projectionOntoSpan([inside, orthogonal, diagonal], samples);
  assertClose(norms, [1, 0, Math.SQRT1_2], { atol: 1e-6 });
});

test('projection norm with more samples than dimensions and a rank-deficient set', () => {
  const rng = new Random(9);
  const basis = rotatedBasis(5, rng);
  // 20 samples in the 3-dimensional span of b0, b1, b2 (float32, so the rank tolerance matters).
  const rows = new Float32Array(20 * 5);
  for (let s = 0; s < 20; s++) {
    const [a, b, c] = [rng.normal(), rng.normal(), rng.normal()];
    for (let i = 0; i < 5; i++)
      rows[s * 5 + i] = a * basis[0][i] + b * basis[1][i] + c * basis[2][i];
  }
  const span = spanBasis(rows, 5);
  assert.equal(span.rank, 3);
  const gram = span.basis.transpose().mmul(span.basis);
  assertClose(gram.to1DArray(), Matrix.eye(3).to1DArray(), { atol: 1e-9 });
  const norms = projectionOntoSpan(
    [basis[1], basis[4], basis[2].map((x, i) => x + basis[3][i])],
    rows,
  );
  assertClose(norms, [1, 0, Math.SQRT1_2], { atol: 1e-5 });
  // The same samples fewer than the dimension (3 of them) and a Dataset as the input.
  const data = makeDataset({
    name: 'toy',
    x: rows.slice(0, 3 * 5),
    labels: new Int32Array(3),
    sampleShape: [5],
    numClasses: 1,
  });
  assertClose(projectionOntoSpan([basis[0], basis[3]], data), [1, 0], { atol: 1e-5 });
  // Full-rank data span everything.
  const full = Float32Array.from({ length: 20 * 5 }, () => rng.normal());
  assert.equal(spanBasis(full, 5).rank, 5);
  assertClose(projectionOntoSpan([basis[4]], full), [1], { atol: 1e-9 });
  // maxSamples keeps the first N only: one sample spans one direction.
  assert.equal(spanBasis(rows, 5, { maxSamples: 1 }).rank, 1);
});
