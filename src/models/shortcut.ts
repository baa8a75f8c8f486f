/**
 * The parameter-free "option A" shortcut of He et al. 2016 (CIFAR ResNets) as one tfjs-layers
 * layer: where a residual unit halves the feature map and widens the channels, the identity is
 * subsampled with stride s and the new channels are zeros,
 *
 *   S(x)[b, i, j, c] = x[b, s·i, s·j, c]   for c < C,   0 for C ≤ c < filters,
 *
 * x: [B, H, W, C] → [B, ⌈H/s⌉, ⌈W/s⌉, filters] (the pixels a stride-s 1×1 convolution reads;
 * PyTorch's `F.pad(x[:, :, ::2, ::2], …)` with the zeros after the existing channels). S is
 * linear, so racecar's reverse pass uses its exact adjoint ({@link ZeroPadShortcut.adjoint}):
 *
 *   Sᵀ(y)[b, h, w, c] = y[b, h/s, w/s, c]   when s divides h and w (c < C),   0 elsewhere,
 *
 * the first C channels put back on the sampled pixels and zeros between them.
 *
 * Both directions use only reshape, pad and slice on rank-4 tensors (TF.js has no gradient for
 * `stridedSlice`): subsampling pads H and W up to multiples of s, folds each row pair into the
 * channel axis (`[B, H/s, s·W·C]`… see `subsample`) and keeps the first slice; the adjoint pads
 * the zeros back in and unfolds.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { ReglabError } from '../core/errors.js';

/** Registered class name (the anatomy and the reverse pass recognise the layer by it). */
export const ZERO_PAD_SHORTCUT_CLASS = 'ZeroPadShortcut';

/** Options of {@link ZeroPadShortcut}. */
export interface ZeroPadShortcutArgs {
  /** Output channels (≥ the input's). */
  filters: number;
  /** Subsampling stride (default 2). */
  strides?: number;
  name?: string;
  /** Set by deserialisation (the base layer's config). */
  batchInputShape?: (number | null)[];
  trainable?: boolean;
  dtype?: tf.DataType;
}

/** Rounds `n` up to a multiple of `s`. */
function ceilTo(n: number, s: number): number {
  return Math.ceil(n / s) * s;
}

/** x[:, ::s, ::s, :] for x: [B, H, W, C], with reshape/pad/slice only (see the file comment). */
function subsample(x: tf.Tensor4D, s: number): tf.Tensor4D {
  const [b, h, w, c] = x.shape;
  if (s === 1) return x;
  const h2 = ceilTo(h, s);
  const w2 = ceilTo(w, s);
  const padded: tf.Tensor4D = tf.pad(x, [
    [0, 0],
    [0, h2 - h],
    [0, w2 - w],
    [0, 0],
  ]);
  // Rows: [B, H2/s, s, W2·C] → keep row offset 0.
  const rows = tf.slice(
    tf.reshape(padded, [b, h2 / s, s, w2 * c]),
    [0, 0, 0, 0],
    [b, h2 / s, 1, w2 * c],
  );
  // Columns: [B, H2/s, W2/s, s·C] → keep column offset 0 (the first C entries).
  const cols: tf.Tensor4D = tf.reshape(rows, [b, h2 / s, w2 / s, s * c]);
  return tf.slice(cols, [0, 0, 0, 0], [b, h2 / s, w2 / s, c]);
}

/** The adjoint of {@link subsample}: y [B, ⌈H/s⌉, ⌈W/s⌉, C] → [B, H, W, C] with zeros between. */
function subsampleAdjoint(y: tf.Tensor4D, s: number, h: number, w: number): tf.Tensor4D {
  if (s === 1) return y;
  const [b, hs, ws, c] = y.shape;
  const h2 = hs * s;
  const w2 = ws * s;
  const cols = tf.reshape(
    tf.pad(y, [
      [0, 0],
      [0, 0],
      [0, 0],
      [0, (s - 1) * c],
    ]),
    [b, hs, 1, w2 * c],
  );
  const rows: tf.Tensor4D = tf.reshape(
    tf.pad(cols, [
      [0, 0],
      [0, 0],
      [0, s - 1],
      [0, 0],
    ]),
    [b, h2, w2, c],
  );
  return h2 === h && w2 === w ? rows : tf.slice(rows, [0, 0, 0, 0], [b, h, w, c]);
}

/** S(x): subsample with stride s, then zero channels up to `filters` (see the file comment). */
export class ZeroPadShortcut extends tfl.layers.Layer {
  static readonly className = ZERO_PAD_SHORTCUT_CLASS;
  readonly filters: number;
  readonly strides: number;

  constructor(args: ZeroPadShortcutArgs) {
    super({
      name: args.name,
      batchInputShape: args.batchInputShape,
      trainable: args.trainable,
      dtype: args.dtype,
    });
    this.filters = args.filters;
    this.strides = args.strides ?? 2;
    if (!Number.isInteger(this.filters) || this.filters < 1)
      throw new ReglabError(
        `ZeroPadShortcut "${this.name}": filters ${this.filters} is not a positive integer`,
        'give the number of output channels',
      );
    if (!Number.isInteger(this.strides) || this.strides < 1)
      throw new ReglabError(
        `ZeroPadShortcut "${this.name}": strides ${this.strides} is not a positive integer`,
        'use strides 1 or 2',
      );
  }

  private inputChannels(shape: tfl.Shape): number {
    const channels = shape[3];
    if (shape.length !== 4 || channels == null || channels > this.filters)
      throw new ReglabError(
        `ZeroPadShortcut "${this.name}" needs an input [B, H, W, C] with C ≤ ${this.filters}, got [${shape}]`,
        'put it on an image feature map with at most `filters` channels',
      );
    return channels;
  }

  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
    this.inputChannels(shape);
    const down = (n: number | null) => (n == null ? null : Math.ceil(n / this.strides));
    return [shape[0], down(shape[1]), down(shape[2]), this.filters];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
      const c = this.inputChannels(x.shape);
      return tf.pad(subsample(x, this.strides), [
        [0, 0],
        [0, 0],
        [0, 0],
        [0, this.filters - c],
      ]);
    });
  }

  /** Sᵀ(y) for a forward input of shape `inputShape` ([B, H, W, C]); see the file comment. */
  adjoint(y: tf.Tensor, inputShape: readonly number[]): tf.Tensor {
    return tf.tidy(() => {
      const [b, h, w, c] = inputShape;
      const y4 = y as tf.Tensor4D;
      const kept = tf.slice(y4, [0, 0, 0, 0], [b, y4.shape[1], y4.shape[2], c]);
      return subsampleAdjoint(kept, this.strides, h, w);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), filters: this.filters, strides: this.strides };
  }
}
tf.serialization.registerClass(ZeroPadShortcut);
