/**
 * The word-level LSTM language model through the trainer: perplexity of a uniform model, a
 * hand-computed sequence cross-entropy, truncated BPTT with the state carried across windows
 * (against one long window), PER and the activation baselines on every time step, constrained
 * Langevin training, and no tensor leak over steps. Tiny models and corpora: seconds.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { Random } from '../../src/core/random.js';
import { makeBatch, disposeBatch, makeDataset, type Dataset } from '../../src/data/dataset.js';
import { streamWindows } from '../../src/data/text.js';
import { buildModel } from '../../src/models/zoo.js';
import { resolveSites } from '../../src/models/anatomy.js';
import { l1Activation, per, vcl } from '../../src/methods/per/index.js';
import { projectedErrorLoss } from '../../src/methods/per/projected-error.js';
import { UnderdampedLangevin } from '../../src/methods/langevin/index.js';
import { perplexity, softmaxCrossEntropy } from '../../src/train/losses.js';
import { siteActivations } from '../../src/train/sites.js';
import { forwardTrace, type ForwardTrace } from '../../src/train/trace.js';
import { Trainer } from '../../src/train/trainer.js';
import { assertClose, assertNoLeak, useBackend } from '../support.js';

before(() => useBackend());

const V = 7;

/** Seeded random tokens batched into `streams` streams of windows of `bptt`. */
function tokenStreams(tokens: number, streams: number, bptt: number, seed = 1): Dataset {
  const rng = new Random(seed);
  const ids = Int32Array.from({ length: tokens }, () => rng.int(V));
  return streamWindows(ids, { streams, bptt, vocabularySize: V, name: `random/${bptt}` });
}

function tinyModel(bptt: number, spec = 'lstm-lm:6:embed=4', seed = 2) {
  return buildModel(spec, { inputShape: [bptt], numClasses: V, rng: new Random(seed) });
}

test('lstm-lm: layer names, hidden sites are the LSTM outputs (every time step a sample), no pre placement', () => {
  const model = tinyModel(3, 'lstm-lm:6,5:embed=4');
  assert.deepEqual(
    model.layers.map((l) => l.name),
    ['embedding', 'lstm_1', 'lstm_2', 'dense_1'],
  );
  const sites = resolveSites(model);
  assert.deepEqual(
    sites.map((s) => [s.name, s.sequence]),
    [
      ['lstm_1', true],
      ['lstm_2', true],
    ],
  );
  assert.throws(() => resolveSites(model, undefined, 'pre'), /placement pre is not defined/);
  assert.throws(
    () => buildModel('lstm-lm:6', { inputShape: [4, 4, 1], numClasses: V, rng: new Random(1) }),
    /reads token windows/,
  );
  model.dispose();
});

test('a uniform model (zero decoder) has perplexity = vocabulary size on a token stream', () => {
  const data = tokenStreams(200, 4, 5);
  const model = tinyModel(5);
  const decoder = model.getLayer('dense_1');
  decoder.setWeights(decoder.getWeights().map((w) => tf.zerosLike(w)));
  const trainer = new Trainer({ model, optimizer: tf.train.sgd(0.1) });
  const { loss } = trainer.evaluate(data);
  assertClose(perplexity(loss), V, { rtol: 1e-5 });
  model.dispose();
});

test('sequence cross-entropy: hand-computed mean over every token, rows sample-major', () => {
  // Sample 0: logits [1,2,3] → target 2, [2,0,0] → target 1; sample 1: [0,ln 3,0] → 0, [1,2,3] → 2.
  // −log softmax: ln(1+e⁻¹+e⁻²) = 0.4076060, ln(e²+2) = 2.2395448, ln 5 = 1.6094379.
  const expected = (0.4076059644 + 2.2395447662 + 1.6094379124 + 0.4076059644) / 4;
  const data = makeDataset({
    name: 'ce',
    x: new Float32Array(4),
    labels: Int32Array.from([1, 2]),
    targets: Int32Array.from([2, 1, 0, 2]),
    sampleShape: [2],
    numClasses: 3,
  });
  const batch = makeBatch(data, [0, 1]);
  const logits = tf.tensor3d([
    [
      [1, 2, 3],
      [2, 0, 0],
    ],
    [
      [0, Math.log(3), 0],
      [1, 2, 3],
    ],
  ]);
  const loss = softmaxCrossEntropy({ logits } as unknown as ForwardTrace, batch);
  assertClose(loss.dataSync()[0], expected, { rtol: 1e-6 });
  tf.dispose([logits, loss]);
  disposeBatch(batch);
});

test('truncated BPTT: windows of 3 with the state carried = one window of 6, in evaluation and training; without carrying it differs', async () => {
  // 2 streams of 13 tokens: 12 targets each = 4 windows of 3 or 2 windows of 6, same tokens.
  const short = tokenStreams(26, 2, 3);
  const long = tokenStreams(26, 2, 6);
  const modelShort = tinyModel(3);
  const modelLong = tinyModel(6);
  modelLong.setWeights(modelShort.getWeights());
  const carried = new Trainer({ model: modelShort, optimizer: tf.train.sgd(0) }).evaluate(short);
  const oneWindow = new Trainer({ model: modelLong, optimizer: tf.train.sgd(0) }).evaluate(long);
  assertClose(carried.loss, oneWindow.loss, { rtol: 1e-5 });
  // Training carries it too (no update with a zero learning rate: the same forward values).
  const training = await new Trainer({ model: modelShort, optimizer: tf.train.sgd(0) }).trainEpoch(
    short,
    2,
  );
  assertClose(training.task, oneWindow.loss, { rtol: 1e-5 });
  // The same windows from zero states (no streams: one batch of all windows) differ.
  const fromZeros = new Trainer({ model: modelShort, optimizer: tf.train.sgd(0) }).evaluate({
    ...short,
    streams: undefined,
  });
  assert.ok(Math.abs(fromZeros.loss - carried.loss) > 1e-4, `${fromZeros.loss} vs ${carried.loss}`);
  modelShort.dispose();
  modelLong.dispose();
});

test('PER, L1 and VCL on the LSTM outputs = the same terms on the [T·B, H] matrix of time steps', () => {
  const data = tokenStreams(60, 4, 3);
  const model = tinyModel(3);
  const batch = makeBatch(data, [0, 1, 2, 3]);
  tf.tidy(() => {
    const trace = forwardTrace(model, batch.x, true);
    const output = trace.layers.find((l) => l.name === 'lstm_1')?.output as tf.Tensor3D;
    const [b, steps, units] = output.shape;
    const values = output.arraySync();
    // Row t·B + i is step t of sequence i (time-major).
    const rows = Array.from({ length: steps * b }, (_, r) => values[r % b][Math.floor(r / b)]);
    const [site] = siteActivations(trace, resolveSites(model, ['lstm_1']), 'flatten');
    assert.equal(site.batchSize, b * steps);
    assertClose(site.samples.dataSync(), rows.flat(), { atol: 0 });
    const context = { trace, batch, model, step: 0 };
    const perValue = per({ lambda: 1, slices: 16, layers: ['lstm_1'] }).compute({
      ...context,
      rng: new Random(9),
    });
    const expected = projectedErrorLoss(
      tf.tensor2d(rows),
      new Random(9).unitDirections(units, 16) as tf.Tensor2D,
    );
    assertClose(perValue.dataSync()[0], expected.dataSync()[0], { rtol: 1e-6 });
    const l1 = l1Activation({ lambda: 1, layers: ['lstm_1'] }).compute({
      ...context,
      rng: new Random(1),
    });
    const sumAbs = rows.flat().reduce((sum, v) => sum + Math.abs(v), 0);
    assertClose(l1.dataSync()[0], sumAbs / (b * steps), { rtol: 1e-5 });
    // VCL (group 2, β = 1): rows 0–1 (step 0 of sequences 0, 1) against rows 2–3 (sequences 2, 3).
    const term = vcl({ lambda: 1, groupSize: 2, placement: 'post', layers: ['lstm_1'] });
    const variance = (group: number[][]) =>
      group[0].map((_, j) => {
        const m = group.reduce((s, r) => s + r[j], 0) / group.length;
        return group.reduce((s, r) => s + (r[j] - m) ** 2, 0) / group.length;
      });
    const a = variance(rows.slice(0, 2));
    const bVar = variance(rows.slice(2, 4));
    const vclExpected = a.reduce((s, v, j) => s + (1 - v / (bVar[j] + 1)) ** 2, 0) / units;
    const vclValue = term.compute({ ...context, rng: new Random(1) });
    assertClose(vclValue.dataSync()[0], vclExpected, { rtol: 1e-5 });
    term.dispose();
  });
  disposeBatch(batch);
  model.dispose();
});

test('trainer over a token stream: PER and L1 train, state carried, no tensor leak over epochs; wrong batching is an error', async () => {
  const data = tokenStreams(400, 4, 5);
  const model = tinyModel(5);
  const trainer = new Trainer({
    model,
    optimizer: tf.train.adam(0.02),
    terms: [per({ lambda: 1e-2, slices: 8 }), l1Activation({ lambda: 1e-3 })],
    rng: new Random(3),
  });
  const first = await trainer.trainEpoch(data, 4);
  await assertNoLeak(() => trainer.trainEpoch(data, 4), 2);
  const last = await trainer.trainEpoch(data, 4);
  assert.ok(last.task < first.task, `task ${first.task} → ${last.task}`);
  assert.ok(last.terms.per > 0 && last.terms.l1act > 0);
  await assert.rejects(
    () => trainer.trainEpoch(data, 8),
    /4 token streams but the batch size is 8/,
  );
  await assert.rejects(() => trainer.trainEpoch(data, 4, true), /cannot be shuffled/);
  const history = await trainer.fit(data, {
    epochs: trainer.epoch + 1,
    batchSize: 4,
    validation: data,
  });
  const metrics = history.at(-1);
  assertClose(metrics?.perplexity ?? 0, Math.exp(metrics?.task ?? 0), { rtol: 1e-12 });
  assertClose(metrics?.valPerplexity ?? 0, Math.exp(metrics?.valLoss ?? 0), { rtol: 1e-12 });
  model.dispose();
});

test('a circle-constrained underdamped Langevin optimizer trains the LSTM: kernels stay within r, the loss falls', async () => {
  const data = tokenStreams(400, 4, 5);
  const model = tinyModel(5);
  const r = 0.5;
  const optimizer = new UnderdampedLangevin({
    h: 0.3,
    gamma: 1,
    tau: 0,
    constraints: `circle:${r}@lstm_1`,
  });
  const trainer = new Trainer({ model, optimizer, rng: new Random(5) });
  const first = await trainer.trainEpoch(data, 4);
  await trainer.trainEpoch(data, 4);
  const last = await trainer.trainEpoch(data, 4);
  assert.ok(last.task < first.task, `task ${first.task} → ${last.task}`);
  // Both kernels of lstm_1 (tfjs may suffix the names of a second model's variables).
  const constrained = Object.keys(optimizer.residuals()).map((name) => name.replace(/_\d+$/, ''));
  assert.deepEqual(constrained.sort(), ['lstm_1/kernel', 'lstm_1/recurrent_kernel']);
  for (const weight of model.getLayer('lstm_1').getWeights().slice(0, 2)) {
    const maxAbs = tf.tidy(() => tf.max(tf.abs(weight)).dataSync()[0]);
    assert.ok(maxAbs <= r * (1 + 1e-6), `max|w| = ${maxAbs}`);
  }
  model.dispose();
});
