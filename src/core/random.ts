/**
 * The one seeded generator of a run. Weight initialisation, shuffling, noise and random
 * projections all draw from it, so the same seed gives the same run on the same backend.
 *
 * It wraps seedrandom's Alea generator (the one TF.js itself uses), whose state can be saved
 * and restored: checkpoints store {@link Random.state} and resume the exact stream.
 */
import seedrandom from 'seedrandom';
import * as tf from '@tensorflow/tfjs-core';
import { nullable, number, object, optional, string, type Schema } from './schema.js';
import { ReglabError } from './errors.js';
import { fillNormal, fillUnitColumns } from './fast-normal.js';

/** Serialisable generator state (stored in checkpoints). */
export interface RandomState {
  alea: seedrandom.State.Alea;
  /** Second Box–Muller normal, kept so that a restored stream continues exactly. */
  spareNormal: number | null;
  /** The root seed, so a restored generator can still {@link Random.derive} streams. */
  root?: string;
}

/** The checked form of a {@link RandomState} read back from a file (core/schema.ts). */
export const randomStateSchema: Schema<RandomState> = object({
  alea: object({ c: number, s0: number, s1: number, s2: number }),
  spareNormal: nullable(number),
  root: optional(string),
});

export class Random {
  private alea: seedrandom.StatefulPRNG<seedrandom.State.Alea>;
  private spareNormal: number | null = null;
  private readonly root?: string;

  /** @param seed any integer or string; the same seed gives the same stream. */
  constructor(seed: number | string | RandomState = 0) {
    if (typeof seed === 'object') {
      this.alea = seedrandom.alea('', { state: seed.alea });
      this.spareNormal = seed.spareNormal;
      this.root = seed.root;
    } else {
      this.root = String(seed);
      this.alea = seedrandom.alea(this.root, { state: true });
    }
  }

  /**
   * A generator for one purpose (`'shuffle'`, `'init'`, `'terms'`), derived from the root seed
   * alone — not from this stream's draws — so adding a consumer of randomness (a term that
   * draws directions) never shifts another's stream (the batch order). That keeps runs of
   * different methods with the same seed paired: same initial weights, same batches.
   */
  derive(label: string): Random {
    if (this.root === undefined) {
      throw new ReglabError(
        'this generator was restored from a state without its root seed',
        'derive streams from the run generator created with new Random(seed)',
      );
    }
    return new Random(`${this.root}/${label}`);
  }

  /** Uniform float in [0, 1). */
  uniform(): number {
    return this.alea.double();
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.alea.double() * n);
  }

  /** Standard normal draw (Box–Muller, both values used). */
  normal(): number {
    if (this.spareNormal !== null) {
      const value = this.spareNormal;
      this.spareNormal = null;
      return value;
    }
    let u = 0;
    while (u === 0) u = this.alea.double();
    const v = this.alea.double();
    const radius = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = radius * Math.sin(2 * Math.PI * v);
    return radius * Math.cos(2 * Math.PI * v);
  }

  /** A fresh 31-bit seed for an op that takes its own seed (TF.js initialisers, random ops). */
  seed(): number {
    return this.alea.int32() >>> 1;
  }

  /** A random permutation of 0..n-1 (Fisher–Yates). */
  permutation(n: number): Int32Array {
    const order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = order[i];
      order[i] = order[j];
      order[j] = tmp;
    }
    return order;
  }

  /** An independent child generator, e.g. one per worker or per data set. */
  fork(label: string | number): Random {
    return new Random(`${this.seed()}:${label}`);
  }

  /** Standard normal tensor, drawn with a seed taken from this generator. */
  normalTensor(shape: number[]): tf.Tensor {
    return tf.randomNormal(shape, 0, 1, 'float32', this.seed());
  }

  /** Uniform tensor on [min, max), drawn with a seed taken from this generator. */
  uniformTensor(shape: number[], min = 0, max = 1): tf.Tensor {
    return tf.randomUniform(shape, min, max, 'float32', this.seed());
  }

  /**
   * A `[rows, cols]` tensor of N(0, 1) draws from the fast ziggurat stream (fast-normal.ts)
   * seeded by one draw of this generator: for the many normals PER and the monitors need.
   */
  fastNormalTensor(shape: [number, number]): tf.Tensor2D {
    const values = new Float32Array(shape[0] * shape[1]);
    fillNormal(values, this.seed());
    return tf.tensor2d(values, shape);
  }

  /**
   * `count` directions uniform on the unit sphere S^{d−1}, as the columns of a `[d, count]`
   * matrix: θ = v/‖v‖ with v ~ N(0, I_d) from the fast stream (fast-normal.ts
   * `fillUnitColumns`). Drawn and normalised on the CPU and uploaded once: on wasm, four
   * elementwise kernels on a d×s matrix cost more than the loop; the native backend does the
   * loop in C++.
   */
  unitDirections(dimension: number, count: number): tf.Tensor2D {
    const values = new Float32Array(dimension * count);
    fillUnitColumns(values, dimension, count, this.seed());
    return tf.tensor2d(values, [dimension, count]);
  }

  /** The generator's state, for checkpoints. */
  state(): RandomState {
    return { alea: this.alea.state(), spareNormal: this.spareNormal, root: this.root };
  }
}

/**
 * A {@link RandomState} as 7 int32 words (for optimizer weights, which TF.js saves as tensors):
 * Alea's carry and three fractional state words at 2⁻³² resolution (exact: Alea keeps them as
 * multiples of 2⁻³²), then the spare normal's presence and its float64 bits. The root seed is
 * not kept (a restored stream continues; it does not derive new ones).
 */
export function encodeRandomState(state: RandomState): Int32Array {
  const alea = state.alea as unknown as { c: number; s0: number; s1: number; s2: number };
  const spare = new Float64Array([state.spareNormal ?? 0]);
  const spareWords = new Int32Array(spare.buffer);
  const word = (x: number): number => Math.round(x * 2 ** 32) | 0;
  return new Int32Array([
    alea.c,
    word(alea.s0),
    word(alea.s1),
    word(alea.s2),
    state.spareNormal === null ? 0 : 1,
    spareWords[0],
    spareWords[1],
  ]);
}

/** The inverse of {@link encodeRandomState}. */
export function decodeRandomState(words: Int32Array): RandomState {
  const fraction = (x: number): number => (x >>> 0) / 2 ** 32;
  const spare = new Float64Array(new Int32Array([words[5], words[6]]).buffer)[0];
  return {
    alea: {
      c: words[0],
      s0: fraction(words[1]),
      s1: fraction(words[2]),
      s2: fraction(words[3]),
    } as unknown as seedrandom.State.Alea,
    spareNormal: words[4] ? spare : null,
  };
}
