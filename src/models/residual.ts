/**
 * A dense residual block as one tfjs-layers layer, so that residual networks stay Sequential
 * (the forward trace and the reverse pass walk Sequential models):
 *
 *   y = x + f(x W + b),   W: [d, d], b: [d]
 *
 * Reverse (racecar): the transpose of the block's linear part after subtracting the bias,
 *
 *   x' = (I + W)ᵀ(y' − b) = (y' − b) + (y' − b) Wᵀ,
 *
 * i.e. the Dense rule x' = Wᵀ(y' − b) applied to the block's whole linear map I + W, with the
 * inner activation f left out (linearised). We chose this over the fixed-point inverse
 * (x' = y' − f(x'W + b), iterated) because it is exact for the linear block, costs one matmul,
 * has a clean adjoint (tested) and keeps the skip path in the reverse pass, so reconstructions
 * flow through the identity just as gradients do in the forward pass.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { ReglabError } from '../core/errors.js';
import type { Random } from '../core/random.js';

/** Registered class name (also used by the reverse pass to recognise the layer). */
export const RESIDUAL_DENSE_CLASS = 'ResidualDense';

const ACTIVATIONS: Record<string, (x: tf.Tensor) => tf.Tensor> = {
  linear: (x) => x,
  relu: (x) => tf.relu(x),
  tanh: (x) => tf.tanh(x),
  sigmoid: (x) => tf.sigmoid(x),
  elu: (x) => tf.elu(x),
};

/** Options of {@link ResidualDense}. */
export interface ResidualDenseArgs {
  /** Set by deserialisation (the base layer's config). */
  batchInputShape?: (number | null)[];
  trainable?: boolean;
  dtype?: tf.DataType;
  /** Inner activation f (default relu). */
  activation?: string;
  name?: string;
  inputShape?: number[];
  /** Seed of the Glorot-uniform kernel initialiser (reglab seeds every draw). */
  seed?: number;
  /** Scale of the initial kernel (default 0.1: the block starts close to the identity). */
  initScale?: number;
}

/** y = x + f(xW + b) with a square kernel; see the file comment for its reverse. */
export class ResidualDense extends tfl.layers.Layer {
  static readonly className = RESIDUAL_DENSE_CLASS;
  readonly activationName: string;
  private readonly seed?: number;
  private readonly initScale: number;
  private kernel?: tfl.LayerVariable;
  private bias?: tfl.LayerVariable;

  constructor(args: ResidualDenseArgs = {}) {
    super({
      name: args.name,
      inputShape: args.inputShape,
      batchInputShape: args.batchInputShape,
      trainable: args.trainable,
      dtype: args.dtype,
    });
    this.activationName = args.activation ?? 'relu';
    if (!(this.activationName in ACTIVATIONS)) {
      throw new ReglabError(
        `ResidualDense activation "${this.activationName}" is unknown`,
        `use one of ${Object.keys(ACTIVATIONS).join(', ')}`,
      );
    }
    this.seed = args.seed ?? undefined;
    this.initScale = args.initScale ?? 0.1;
  }

  override build(inputShape: tfl.Shape | tfl.Shape[]): void {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
    const units = shape[shape.length - 1];
    if (units == null)
      throw new ReglabError(`ResidualDense "${this.name}" needs a known last input dimension`);
    const initializer = tfl.initializers.varianceScaling({
      scale: this.initScale,
      mode: 'fanAvg',
      distribution: 'uniform',
      seed: this.seed,
    });
    this.kernel = this.addWeight('kernel', [units, units], 'float32', initializer);
    this.bias = this.addWeight('bias', [units], 'float32', tfl.initializers.zeros());
    this.built = true;
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape | tfl.Shape[] {
    return inputShape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      const inner = tf.add(
        tf.matMul(x as tf.Tensor2D, this.kernel!.read() as tf.Tensor2D),
        this.bias!.read(),
      );
      return tf.add(x, ACTIVATIONS[this.activationName](inner));
    });
  }

  /** The racecar reverse, x' = (y' − b) + (y' − b)Wᵀ. */
  reverse(y: tf.Tensor): tf.Tensor {
    const centered = tf.sub(y, this.bias!.read());
    return tf.add(
      centered,
      tf.matMul(centered as tf.Tensor2D, tf.transpose(this.kernel!.read()) as tf.Tensor2D),
    );
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      activation: this.activationName,
      seed: this.seed ?? null,
      initScale: this.initScale,
    };
  }
}
tf.serialization.registerClass(ResidualDense);

/** Convenience constructor taking reglab's seeded generator. */
export function residualDense(
  args: Omit<ResidualDenseArgs, 'seed'> & { rng?: Random } = {},
): ResidualDense {
  const { rng, ...rest } = args;
  return new ResidualDense({ ...rest, seed: rng?.seed() });
}
