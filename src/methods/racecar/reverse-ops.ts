/**
 * Reverse operators of the racecar reverse pass (Xie & Thuerey, arXiv 2007.00024, Sec. 3).
 *
 * Every node of a model graph (models/graph.ts) plays one of four roles in the reverse pass:
 *
 * - **weight** layers (Dense, Conv2D, {@link ResidualDense}) are reversed by the transpose of
 *   their linear map after subtracting the bias: x' = Aᵀ(y' − b) (paper Eq. 2, `W_mᵀ(d'_{m+1} − b_m)`);
 *   a 1×1 projection shortcut and a stride-2 convolution are Conv2D layers like any other;
 * - **structural** layers (Flatten, Reshape, pooling, global average pooling, zero padding,
 *   a ResNet's zero-padded subsampling shortcut, Dropout) are reversed by their adjoint
 *   (reshape back, un-pool, broadcast, crop, scatter back, identity);
 * - **merge** layers (Add, Concatenate, Average, Multiply) are reversed by the adjoint of the
 *   merge, which maps one reverse value to one per input ({@link reverseMerge});
 * - **shared** layers (Activation layers, BatchNormalization, a weight layer's fused activation)
 *   are not inverted: the reverse pass applies the very same layer *forwards* to the reverse
 *   tensor, as the official code does (`f_{m-1}(BN_{m-1}(·))` in Eq. 2).
 *
 * Each operator here is one small function; {@link reverse-pass.ts} walks the graph with them.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { ReglabError } from '../../core/errors.js';
import { RESIDUAL_DENSE_CLASS, type ResidualDense } from '../../models/residual.js';
import { ZERO_PAD_SHORTCUT_CLASS, type ZeroPadShortcut } from '../../models/shortcut.js';

/** How a layer takes part in the reverse pass (see the file comment). */
export type ReverseRole = 'weight' | 'structural' | 'merge' | 'shared';

/** Layer classes the reverse pass supports, by role. */
export const SUPPORTED_LAYERS: Readonly<Record<string, ReverseRole>> = {
  Dense: 'weight',
  Conv2D: 'weight',
  [RESIDUAL_DENSE_CLASS]: 'weight',
  Flatten: 'structural',
  Reshape: 'structural',
  MaxPooling2D: 'structural',
  AveragePooling2D: 'structural',
  GlobalAveragePooling2D: 'structural',
  ZeroPadding2D: 'structural',
  [ZERO_PAD_SHORTCUT_CLASS]: 'structural',
  Dropout: 'structural',
  Add: 'merge',
  Concatenate: 'merge',
  Average: 'merge',
  Multiply: 'merge',
  Activation: 'shared',
  ReLU: 'shared',
  LeakyReLU: 'shared',
  ELU: 'shared',
  Softmax: 'shared',
  BatchNormalization: 'shared',
};

/** The role of `layer`, or a ReglabError naming the layer, its class and what is supported. */
export function reverseRole(layer: tfl.layers.Layer): ReverseRole {
  const className = layer.getClassName();
  const role = SUPPORTED_LAYERS[className];
  if (role === undefined) {
    throw new ReglabError(
      `layer "${layer.name}" (${className}) has no reverse operator for the racecar reverse pass`,
      `the reverse pass supports ${Object.keys(SUPPORTED_LAYERS).join(', ')}`,
    );
  }
  return role;
}

/** How MaxPooling2D is reversed: to the forward argmax positions, or spread over the window. */
export type UnpoolMode = 'argmax' | 'nearest';

type LayerConfig = Record<string, unknown>;

function config(layer: tfl.layers.Layer): LayerConfig {
  return layer.getConfig() as LayerConfig;
}

function pair(value: unknown): [number, number] {
  return Array.isArray(value)
    ? [value[0] as number, value[1] as number]
    : [value as number, value as number];
}

function requireChannelsLast(layer: tfl.layers.Layer): void {
  const format = config(layer).dataFormat;
  if (format !== undefined && format !== 'channelsLast') {
    throw new ReglabError(
      `layer "${layer.name}" uses dataFormat ${String(format)}`,
      'the reverse pass supports channelsLast only',
    );
  }
}

/** The kernel and (optional) bias of a Dense or Conv2D layer; the live variables, so gradients flow. */
function kernelAndBias(layer: tfl.layers.Layer): { kernel: tf.Tensor; bias?: tf.Tensor } {
  const [kernel, bias] = layer.getWeights();
  return { kernel, bias: config(layer).useBias === false ? undefined : bias };
}

function subtractBias(y: tf.Tensor, bias: tf.Tensor | undefined): tf.Tensor {
  return bias ? tf.sub(y, bias) : y;
}

/**
 * Dense: x' = Wᵀ(y' − b). With y = xW + b in row-vector form (W: [in, out]) the transpose is a
 * right-multiplication by Wᵀ, asked for with matMul's `transposeB` flag rather than a
 * materialised `tf.transpose(W)`: the backward pass then multiplies by W in its stored layout
 * (d(y' − b) = dx'·W, no transpose at all) and only dW = dx'ᵀ(y' − b) needs one, where a
 * materialised Wᵀ costs a transpose forwards, one inside each of its two gradient products
 * (the wasm fix transposes first) and one back to W's layout.
 */
export function reverseDense(layer: tfl.layers.Layer, y: tf.Tensor): tf.Tensor {
  const { kernel, bias } = kernelAndBias(layer);
  return tf.matMul(subtractBias(y, bias) as tf.Tensor2D, kernel as tf.Tensor2D, false, true);
}

/**
 * Conv2D: x' = convᵀ(y' − b), the transposed convolution with the same kernel, strides and
 * padding, whose output shape is the forward input shape (given, because with stride > 1
 * several input sizes map to the same output size).
 */
export function reverseConv2D(
  layer: tfl.layers.Layer,
  y: tf.Tensor,
  inputShape: readonly number[],
): tf.Tensor {
  requireChannelsLast(layer);
  const cfg = config(layer);
  const dilation = pair(cfg.dilationRate ?? 1);
  if (dilation[0] !== 1 || dilation[1] !== 1) {
    throw new ReglabError(
      `layer "${layer.name}" is a dilated convolution`,
      'the reverse pass supports dilationRate 1 only',
    );
  }
  const { kernel, bias } = kernelAndBias(layer);
  return tf.conv2dTranspose(
    subtractBias(y, bias) as tf.Tensor4D,
    kernel as tf.Tensor4D,
    inputShape as [number, number, number, number],
    pair(cfg.strides ?? 1),
    cfg.padding as 'same' | 'valid',
  );
}

/** Pool window and padding of a non-overlapping pooling layer (poolSize = strides). */
function poolGeometry(layer: tfl.layers.Layer): {
  size: [number, number];
  padding: 'same' | 'valid';
} {
  requireChannelsLast(layer);
  const cfg = config(layer);
  const size = pair(cfg.poolSize);
  const strides = pair(cfg.strides ?? cfg.poolSize);
  if (size[0] !== strides[0] || size[1] !== strides[1]) {
    throw new ReglabError(
      `layer "${layer.name}" pools with poolSize [${size}] and strides [${strides}]`,
      'the reverse pass supports non-overlapping pooling only (strides = poolSize)',
    );
  }
  return { size, padding: cfg.padding as 'same' | 'valid' };
}

/**
 * Repeats every pixel of `y` [B, h, w, C] into a `size` block and fits the result to the forward
 * input's [H, W]: with `valid` padding the rows/columns the pool dropped get zeros, with `same`
 * the padding TF.js added (⌊total/2⌋ before, the rest after) is cropped away.
 */
function upsampleToInput(
  y: tf.Tensor,
  size: [number, number],
  padding: 'same' | 'valid',
  inputShape: readonly number[],
): tf.Tensor {
  const [batch, h, w, channels] = y.shape;
  const [ph, pw] = size;
  // A broadcasting multiply, not tf.tile: TF.js has no rank-6 Tile gradient.
  const blocks = tf.mul(
    tf.reshape(y, [batch, h, 1, w, 1, channels]),
    tf.ones([1, 1, ph, 1, pw, 1]),
  );
  const up = tf.reshape(blocks, [batch, h * ph, w * pw, channels]);
  const [H, W] = [inputShape[1], inputShape[2]];
  if (up.shape[1] === H && up.shape[2] === W) return up;
  if (padding === 'valid')
    return tf.pad(up, [
      [0, 0],
      [0, H - h * ph],
      [0, W - w * pw],
      [0, 0],
    ]);
  const [top, left] = [Math.floor((h * ph - H) / 2), Math.floor((w * pw - W) / 2)];
  return tf.slice(up, [0, top, left, 0], [batch, H, W, channels]);
}

/**
 * The adjoint of {@link upsampleToInput}: undo the fit to [H, W] (crop what `valid` padded, pad
 * back what `same` cropped), then sum every block — a sum pool, as the fast AvgPool kernel times
 * the block size (autodiff of the broadcast instead reduces a rank-6 tensor over inner axes).
 */
function upsampleAdjoint(
  x: tf.Tensor,
  size: [number, number],
  padding: 'same' | 'valid',
  pooledShape: readonly number[],
): tf.Tensor {
  const [batch, h, w, channels] = pooledShape;
  const [ph, pw] = size;
  const [H, W] = [x.shape[1] as number, x.shape[2] as number];
  let blocks = x;
  if (H !== h * ph || W !== w * pw) {
    if (padding === 'valid') {
      blocks = tf.slice(x, [0, 0, 0, 0], [batch, h * ph, w * pw, channels]);
    } else {
      const [top, left] = [Math.floor((h * ph - H) / 2), Math.floor((w * pw - W) / 2)];
      blocks = tf.pad(x, [
        [0, 0],
        [top, h * ph - H - top],
        [left, w * pw - W - left],
        [0, 0],
      ]);
    }
  }
  return tf.mul(tf.avgPool(blocks as tf.Tensor4D, size, size, 'valid'), ph * pw);
}

/**
 * The linear map y ↦ upsampleToInput(y) ⊙ mask as one differentiable op whose backward is its
 * adjoint, g ↦ upsampleAdjoint(g ⊙ mask). `mask` (a function, evaluated inside the op) is
 * computed off the gradient tape: it depends on the forward pass only through comparisons
 * (piecewise constant, zero gradient), so differentiating it would only produce zeros.
 */
function routedUpsample(
  y: tf.Tensor,
  size: [number, number],
  padding: 'same' | 'valid',
  inputShape: readonly number[],
  mask?: () => tf.Tensor,
): tf.Tensor {
  const pooledShape = y.shape;
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [input, save] = args as [tf.Tensor, tf.GradSaveFunc];
    const spread = upsampleToInput(input, size, padding, inputShape);
    const routing = mask?.();
    if (routing) save([routing]);
    return {
      value: routing ? tf.mul(spread, routing) : spread,
      gradFunc: (g: tf.Tensor, saved: tf.Tensor[]) =>
        upsampleAdjoint(routing ? tf.mul(g, saved[0]) : g, size, padding, pooledShape),
    };
  });
  return op(y);
}

/**
 * AveragePooling2D: the adjoint of a mean over each window is "copy y' into every cell of the
 * window and divide by its size" (non-overlapping windows; with `same` padding the edge windows
 * of TF.js average over their valid cells only, which this adjoint ignores — use `valid`).
 */
export function reverseAveragePooling2D(
  layer: tfl.layers.Layer,
  y: tf.Tensor,
  inputShape: readonly number[],
): tf.Tensor {
  const { size, padding } = poolGeometry(layer);
  return tf.div(routedUpsample(y, size, padding, inputShape), size[0] * size[1]);
}

/**
 * The argmax mask of a forward max pool: 1 where the input equals its window's maximum, as
 * 1 − step(max − x) (max − x ≥ 0, and 0 exactly at the maximum). Ties: every tied cell gets a 1.
 * Rows/columns a `valid` pool dropped belong to no window and get 0.
 */
export function maxPoolMask(
  layer: tfl.layers.Layer,
  forwardInput: tf.Tensor,
  forwardOutput: tf.Tensor,
): tf.Tensor {
  const { size, padding } = poolGeometry(layer);
  const windowMax = upsampleToInput(forwardOutput, size, padding, forwardInput.shape);
  const atMax = tf.sub(1, tf.step(tf.sub(windowMax, forwardInput)));
  const [, h, w] = forwardOutput.shape as number[];
  const dropped = windowMax.shape[1] !== h * size[0] || windowMax.shape[2] !== w * size[1];
  return padding === 'valid' && dropped
    ? tf.mul(atMax, upsampleToInput(tf.onesLike(forwardOutput), size, padding, forwardInput.shape))
    : atMax;
}

/**
 * MaxPooling2D, `argmax` (default): y' is routed back to the position of each window's
 * forward maximum, zeros elsewhere — the adjoint of "pick the argmax", the linear map that the
 * forward pool applies with its routing fixed. When several cells tie for the maximum, each of
 * them receives y' (ties are rare with real-valued inputs; exact zeros after a ReLU are the
 * common case, and there the forward value is 0 anyway). The routing is held fixed in the
 * gradient too (it is piecewise constant in the forward values).
 *
 * `nearest`: y' is copied into every cell of its window (nearest-neighbour upsampling),
 * independent of the forward pass — the documented alternative, smoother but not an adjoint.
 */
export function reverseMaxPooling2D(
  layer: tfl.layers.Layer,
  y: tf.Tensor,
  forwardInput: tf.Tensor,
  forwardOutput: tf.Tensor,
  mode: UnpoolMode = 'argmax',
): tf.Tensor {
  const { size, padding } = poolGeometry(layer);
  const mask =
    mode === 'nearest' ? undefined : () => maxPoolMask(layer, forwardInput, forwardOutput);
  return routedUpsample(y, size, padding, forwardInput.shape, mask);
}

/**
 * GlobalAveragePooling2D: y = mean over H·W of x [B, H, W, C]; its adjoint copies y' [B, C] to
 * every pixel and divides by H·W.
 */
export function reverseGlobalAveragePooling2D(
  layer: tfl.layers.Layer,
  y: tf.Tensor,
  inputShape: readonly number[],
): tf.Tensor {
  requireChannelsLast(layer);
  const [batch, height, width, channels] = inputShape;
  const perPixel = tf.div(tf.reshape(y, [batch, 1, 1, channels]), height * width);
  // A broadcasting multiply: its gradient is the sum over the pixels, the adjoint's adjoint.
  return tf.mul(perPixel, tf.ones([1, height, width, 1]));
}

/** ZeroPadding2D: the adjoint of padding with zeros is cropping the padding away. */
export function reverseZeroPadding2D(
  layer: tfl.layers.Layer,
  y: tf.Tensor,
  inputShape: readonly number[],
): tf.Tensor {
  requireChannelsLast(layer);
  const [[top], [left]] = config(layer).padding as [[number, number], [number, number]];
  return tf.slice(y, [0, top, left, 0], [...inputShape]);
}

/**
 * ZeroPadShortcut (a ResNet's option-A shortcut, S(x) = zero-pad(x[:, ::s, ::s, :])): its exact
 * adjoint, the kept channels put back on the sampled pixels with zeros between (see
 * models/shortcut.ts).
 */
export function reverseZeroPadShortcut(
  layer: tfl.layers.Layer,
  y: tf.Tensor,
  inputShape: readonly number[],
): tf.Tensor {
  return (layer as ZeroPadShortcut).adjoint(y, inputShape);
}

/** Flatten / Reshape: reshape back to the forward input shape (an orthogonal map, so its own adjoint). */
export function reverseReshape(y: tf.Tensor, inputShape: readonly number[]): tf.Tensor {
  return tf.reshape(y, [...inputShape]);
}

/** Dropout: the identity (the reverse pass is not regularized by dropout). */
export function reverseDropout(y: tf.Tensor): tf.Tensor {
  return y;
}

/**
 * BatchNormalization, shared: the same γ, β applied forwards to the reverse tensor. In training
 * mode it normalizes with the reverse tensor's own batch statistics (what the official TF1 code
 * gets from reusing the BN layer); in inference mode with the moving statistics. Unlike calling
 * the layer again, it never updates the moving averages, so the reverse pass does not leak into
 * the statistics used at test time.
 */
export function sharedBatchNormalization(
  layer: tfl.layers.Layer,
  x: tf.Tensor,
  training: boolean,
): tf.Tensor {
  const cfg = config(layer);
  const axis = cfg.axis as number;
  if (axis !== -1 && axis !== x.rank - 1) {
    throw new ReglabError(
      `layer "${layer.name}" normalizes axis ${axis}`,
      'the reverse pass supports the last axis (channelsLast) only',
    );
  }
  const byName = (suffix: string) =>
    layer.weights.find((w) => w.originalName.endsWith(`/${suffix}`))?.read();
  const gamma = byName('gamma');
  const beta = byName('beta');
  let mean: tf.Tensor;
  let variance: tf.Tensor;
  if (training) {
    ({ mean, variance } = tf.moments(
      x,
      Array.from({ length: x.rank - 1 }, (_, i) => i),
    ));
  } else {
    [mean, variance] = [byName('moving_mean') as tf.Tensor, byName('moving_variance') as tf.Tensor];
  }
  return tf.batchNorm(x, mean, variance, beta, gamma, cfg.epsilon as number);
}

/** A weight layer's fused activation (`dense({activation: 'relu'})`), applied forwards; identity when linear. */
export function sharedFusedActivation(layer: tfl.layers.Layer, x: tf.Tensor): tf.Tensor {
  const activation = (
    layer as { activation?: { apply(t: tf.Tensor): tf.Tensor; getClassName(): string } | null }
  ).activation;
  return activation && activation.getClassName() !== 'linear' ? activation.apply(x) : x;
}

/** A shared layer (Activation, ReLU, …, BatchNormalization) applied forwards to the reverse tensor. */
export function sharedLayer(layer: tfl.layers.Layer, x: tf.Tensor, training: boolean): tf.Tensor {
  if (layer.getClassName() === 'BatchNormalization')
    return sharedBatchNormalization(layer, x, training);
  return layer.apply(x, { training }) as tf.Tensor;
}

/** The residual block's reverse, (I + W)ᵀ(y' − b) (see {@link ResidualDense}). */
export function reverseResidualDense(layer: tfl.layers.Layer, y: tf.Tensor): tf.Tensor {
  return (layer as ResidualDense).reverse(y);
}

/** What the reverse of one layer needs from the forward pass. */
export interface ReverseContext {
  /** The layer's forward input and output (shapes; the max-pool routing). */
  readonly forwardInput: tf.Tensor;
  readonly forwardOutput: tf.Tensor;
  readonly unpool?: UnpoolMode;
}

/** Reverses one weight or structural layer: maps a tensor shaped like its output to one shaped like its input. */
export function reverseLayer(
  layer: tfl.layers.Layer,
  y: tf.Tensor,
  context: ReverseContext,
): tf.Tensor {
  const inputShape = context.forwardInput.shape;
  switch (layer.getClassName()) {
    case 'Dense':
      return inputShape.length === 2
        ? reverseDense(layer, y)
        : reverseDenseNd(layer, y, inputShape);
    case 'Conv2D':
      return reverseConv2D(layer, y, inputShape);
    case RESIDUAL_DENSE_CLASS:
      return reverseResidualDense(layer, y);
    case 'Flatten':
    case 'Reshape':
      return reverseReshape(y, inputShape);
    case 'MaxPooling2D':
      return reverseMaxPooling2D(
        layer,
        y,
        context.forwardInput,
        context.forwardOutput,
        context.unpool,
      );
    case 'AveragePooling2D':
      return reverseAveragePooling2D(layer, y, inputShape);
    case 'GlobalAveragePooling2D':
      return reverseGlobalAveragePooling2D(layer, y, inputShape);
    case 'ZeroPadding2D':
      return reverseZeroPadding2D(layer, y, inputShape);
    case ZERO_PAD_SHORTCUT_CLASS:
      return reverseZeroPadShortcut(layer, y, inputShape);
    case 'Dropout':
      return reverseDropout(y);
    default:
      throw new ReglabError(
        `layer "${layer.name}" (${layer.getClassName()}) is not a weight or structural layer`,
        'shared layers are applied forwards with sharedLayer(), merges reversed with reverseMerge()',
      );
  }
}

/** Dense on a rank > 2 input acts on the last axis: flatten the leading axes around {@link reverseDense}. */
function reverseDenseNd(
  layer: tfl.layers.Layer,
  y: tf.Tensor,
  inputShape: readonly number[],
): tf.Tensor {
  const flat = tf.reshape(y, [-1, y.shape[y.rank - 1]]);
  return tf.reshape(reverseDense(layer, flat), [...inputShape]);
}

/**
 * The adjoint of a merge of the forward inputs `inputs` into one output, applied to the
 * reverse value `y` (shaped like the output): one tensor per input, shaped like it.
 *
 * - Add, y = Σ_i x_i: every input gets y' (the adjoint of a sum is a copy; a value that fans
 *   out in the forward pass is summed again where its consumers' reverse values meet);
 * - Average, y = (1/n) Σ_i x_i: every input gets y'/n;
 * - Concatenate along an axis: y' is split along that axis into the inputs' sizes;
 * - Multiply, y = Π_i x_i: not linear, so it is linearised at the forward values, the others
 *   held at their forward values — dy = Σ_i (Π_{j≠i} x_j) ⊙ dx_i — and reversed by the exact
 *   adjoint of that linear map, x'_i = y' ⊙ Π_{j≠i} x_j. The forward factors play the part the
 *   kernel plays for a weight layer: part of the operator, and they receive gradients.
 *
 * Broadcasting merges (inputs of different shapes) are refused: no ResNet needs them.
 */
export function reverseMerge(
  layer: tfl.layers.Layer,
  y: tf.Tensor,
  inputs: readonly tf.Tensor[],
): tf.Tensor[] {
  const className = layer.getClassName();
  if (className === 'Concatenate') {
    const rank = inputs[0].rank;
    const axis = (config(layer).axis as number | undefined) ?? -1;
    if (axis < -1)
      // tfjs-layers 4.22's backend `concatenate` turns every negative axis into the last one
      // at run time (while its output shape reads the axis correctly): refuse the ambiguity.
      throw new ReglabError(
        `merge "${layer.name}" (Concatenate) has axis ${axis}, which tfjs-layers 4.22 runs as the last axis`,
        `write the axis as a non-negative number (${rank + axis})`,
      );
    const along = axis < 0 ? rank + axis : axis;
    return tf.split(
      y,
      inputs.map((input) => input.shape[along]),
      along,
    );
  }
  const mismatch = inputs.find((input) => !sameShape(input.shape, y.shape));
  if (mismatch)
    throw new ReglabError(
      `merge "${layer.name}" (${className}) broadcasts an input of shape [${mismatch.shape}] to [${y.shape}]`,
      'the reverse pass supports merges of equally shaped inputs',
    );
  switch (className) {
    case 'Add':
      return inputs.map(() => y);
    case 'Average':
      return inputs.map(() => tf.div(y, inputs.length));
    case 'Multiply':
      return inputs.map((_, i) =>
        inputs.reduce((product, other, j) => (j === i ? product : tf.mul(product, other)), y),
      );
    default:
      throw new ReglabError(
        `layer "${layer.name}" (${className}) is not a merge with a reverse operator`,
        'the reverse pass supports the merges Add, Concatenate, Average, Multiply',
      );
  }
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((n, i) => n === b[i]);
}
