/**
 * Fast seeded standard normals for PER's random directions. PER needs d·s fresh normals per
 * layer and step (65,536 for d = s = 256) — as many as the b×d·d×s product has rows of work,
 * and `tf.randomNormal` (seedrandom's Alea + Box–Muller, in JavaScript on every backend) made
 * drawing them cost as much as the product itself. Here: xoshiro128** (Blackman & Vigna 2018)
 * for the uniforms and Marsaglia's polar method for the normals, seeded from the run's
 * generator, so a run stays reproducible from its seed.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Random } from '../core/random.js';

const TWO_POW_M32 = 2 ** -32;

/** A `[rows, cols]` tensor of N(0, 1) draws seeded by one draw of `rng`. */
export function fastNormalTensor(rng: Random, shape: [number, number]): tf.Tensor2D {
  const values = new Float32Array(shape[0] * shape[1]);
  // splitmix-style expansion of one 31-bit seed into the four state words (never all zero).
  let seed = rng.seed() | 0;
  const next32 = () => {
    seed = (seed + 0x9e3779b9) | 0;
    let z = seed;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) | 0;
  };
  let s0 = next32();
  let s1 = next32();
  let s2 = next32();
  let s3 = next32() | 1;
  /** Uniform on (−1, 1) from xoshiro128**. */
  const symmetric = () => {
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9);
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = rotl(s3, 11);
    return (result >>> 0) * TWO_POW_M32 * 2 - 1;
  };
  for (let i = 0; i < values.length; i += 2) {
    let u: number;
    let v: number;
    let r: number;
    do {
      u = symmetric();
      v = symmetric();
      r = u * u + v * v;
    } while (r >= 1 || r === 0);
    const scale = Math.sqrt((-2 * Math.log(r)) / r);
    values[i] = u * scale;
    if (i + 1 < values.length) values[i + 1] = v * scale;
  }
  return tf.tensor2d(values, shape);
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
