import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Random, decodeRandomState, encodeRandomState } from '../../src/core/random.js';

const draws = (rng: Random, n: number) =>
  Array.from({ length: n }, () => [rng.uniform(), rng.normal(), rng.int(1000)]);

test('the same seed gives the same stream; another seed another', () => {
  assert.deepEqual(draws(new Random(42), 50), draws(new Random(42), 50));
  assert.notDeepEqual(draws(new Random(42), 5), draws(new Random(43), 5));
});

test('a restored state continues the stream exactly, including a pending Box–Muller normal', () => {
  const rng = new Random('seed');
  rng.normal(); // leaves the second normal of the pair pending
  const restored = new Random(rng.state());
  assert.deepEqual(draws(restored, 20), draws(rng, 20));
});

test('derived streams depend on the root seed and label only, not on earlier draws', () => {
  const a = new Random(7);
  const b = new Random(7);
  draws(b, 100);
  assert.deepEqual(draws(a.derive('shuffle'), 10), draws(b.derive('shuffle'), 10));
  assert.notDeepEqual(draws(a.derive('shuffle'), 3), draws(a.derive('terms'), 3));
  assert.deepEqual(draws(new Random(a.state()).derive('x'), 3), draws(a.derive('x'), 3));
});

test('permutation is a permutation; normals have mean 0 and variance 1', () => {
  const rng = new Random(1);
  const p = Array.from(rng.permutation(1000)).sort((x, y) => x - y);
  assert.deepEqual(
    p,
    Array.from({ length: 1000 }, (_, i) => i),
  );
  const n = 20000;
  const xs = Array.from({ length: n }, () => rng.normal());
  const mean = xs.reduce((s, x) => s + x, 0) / n;
  const variance = xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1);
  // 5 standard errors: mean ± 5/√n, variance ± 5·√(2/n).
  assert.ok(Math.abs(mean) < 5 / Math.sqrt(n), `mean ${mean}`);
  assert.ok(Math.abs(variance - 1) < 5 * Math.sqrt(2 / n), `variance ${variance}`);
});

test('a state encoded as int32 words restores the exact stream (uniforms and the spare normal)', () => {
  const rng = new Random(42);
  for (let i = 0; i < 7; i++) rng.uniform();
  rng.normal(); // leaves a spare normal
  const restored = new Random(decodeRandomState(encodeRandomState(rng.state())));
  const a = [rng.normal(), rng.uniform(), rng.normal(), rng.seed()];
  const b = [restored.normal(), restored.uniform(), restored.normal(), restored.seed()];
  assert.deepEqual(b, a);
});
