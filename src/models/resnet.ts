/**
 * The CIFAR ResNets of He et al. 2016 ("Deep Residual Learning for Image Recognition",
 * Sec. 4.2) as functional `tf.model`s with predictable layer names.
 *
 * Spec: `resnet:DEPTH[:width=K][:zero-pad|projection]`, DEPTH = 6n + 2 (`resnet:20|32|44|56|110`
 * are the paper's; `resnet:8`, n = 1, is the tiny one for tests). The paper (Sec. 4.2): "The
 * first layer is 3×3 convolutions. Then we use a stack of 6n layers with 3×3 convolutions on
 * the feature maps of sizes {32, 16, 8} respectively, with 2n layers for each feature map size.
 * The numbers of filters are {16, 32, 64} respectively. The subsampling is performed by
 * convolutions with a stride of 2. The network ends with a global average pooling, a 10-way
 * fully-connected layer, and softmax. There are totally 6n+2 stacked weighted layers." On
 * 28×28 inputs the maps are 28, 14, 7. `width=K` multiplies the channels (16K, 32K, 64K; our
 * option, rounded, at least 1).
 *
 * Layers (s = stage 1..3, b = block 1..n):
 *
 *   stem_conv → stem_bn → stem_relu
 *   stage{s}_block{b}_conv1 → _bn1 → _relu1 → _conv2 → _bn2 ─┐
 *   (block input, or the shortcut)                              ├→ _add → _out (relu)
 *   stage{s}_block1_shortcut   (zero-pad, stages 2 and 3)  ──────┘
 *   stage{s}_block1_proj_conv → _proj_bn   (projection, stages 2 and 3)
 *   pool (global average) → dense (softmax)
 *
 * Shortcuts where the shape changes (first block of stages 2 and 3): `zero-pad` (**default**,
 * as the paper: "On this dataset we use identity shortcuts in all cases (i.e., option A), so
 * our residual models have exactly the same depth, width, and number of parameters as the
 * plain counterparts", with option A "(A) The shortcut still performs identity mapping, with
 * extra zero entries padded for increasing dimensions. This option introduces no extra
 * parameter"; the layer {@link ZeroPadShortcut}) or `projection` (option B, "(B) The
 * projection shortcut in Eqn.(2) is used to match dimensions (done by 1×1 convolutions)", with
 * its batch norm). "For both options, when the shortcuts go across feature maps of two sizes,
 * they are performed with a stride of 2."
 *
 * Our choices where the paper is silent or framework-specific, written so a PyTorch twin can
 * match them: convolutions without bias (BN follows each), He-normal kernels as TF.js draws
 * them (truncated normal, σ = √(2 / fan_in), cut at 2σ; the paper cites He et al. 2015 for its
 * init), the dense head Glorot-uniform with zero bias; BN momentum 0.9 and ε = 1e-5 (PyTorch's
 * defaults); stride-2 convolutions with TF.js `same` padding (for even sizes: 0 rows/columns
 * before, 1 after — PyTorch: `F.pad(x, (0, 1, 0, 1))` then `padding=0`). Every initialiser is
 * seeded from reglab's `Random`.
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { ReglabError } from '../core/errors.js';
import { parseSpec, type SpecSchema } from '../core/spec.js';
import type { Random } from '../core/random.js';
import { ZeroPadShortcut } from './shortcut.js';

/** How a unit that changes the shape builds its shortcut (see the file comment). */
export type ShortcutKind = 'zero-pad' | 'projection';

/** The spec schema of `resnet:…` (the one grammar, core/spec.ts). */
export const RESNET_SCHEMA: SpecSchema = {
  name: 'resnet',
  summary: 'CIFAR ResNet of He et al. 2016 (depth 6n+2: 20, 32, 44, 56, 110; 8 is the tiny one)',
  value: { name: 'depth', type: 'number', integer: true, min: 8, required: true },
  options: {
    width: {
      type: 'number',
      above: 0,
      default: 1,
      description: 'channel multiplier: stages of 16·width, 32·width, 64·width channels',
    },
    shortcut: {
      type: 'choice',
      values: ['zero-pad', 'projection'],
      default: 'zero-pad',
      description: 'option A (zero-padded identity, the paper on CIFAR) or B (1×1 conv + BN)',
    },
  },
};

/** A parsed `resnet:…` spec. */
export interface ResNetConfig {
  /** 6n + 2. */
  readonly depth: number;
  /** Residual units per stage (n). */
  readonly blocksPerStage: number;
  /** Channels of the three stages. */
  readonly channels: readonly [number, number, number];
  readonly shortcut: ShortcutKind;
}

/** Parses and checks a `resnet:…` spec (see the file comment). */
export function parseResNetSpec(text: string): ResNetConfig {
  const spec = parseSpec(text, RESNET_SCHEMA);
  const depth = spec.value as number;
  if ((depth - 2) % 6 !== 0)
    throw new ReglabError(
      `"${text}": depth ${depth} is not 6n + 2`,
      'use resnet:20, resnet:32, resnet:44, resnet:56, resnet:110 (or resnet:8 for a tiny one)',
    );
  const width = spec.options.width as number;
  const channels = [16, 32, 64].map((c) => Math.max(1, Math.round(c * width)));
  return {
    depth,
    blocksPerStage: (depth - 2) / 6,
    channels: channels as [number, number, number],
    shortcut: spec.options.shortcut as ShortcutKind,
  };
}

/** What {@link buildResNet} needs besides the spec. */
export interface ResNetOptions {
  /** One sample, `[H, W, C]`. */
  readonly inputShape: readonly number[];
  readonly numClasses: number;
  /** Seeds every initialiser. */
  readonly rng: Random;
}

/** Builds the layers of one CIFAR ResNet into a functional model. */
class ResNetBuilder {
  constructor(
    private readonly config: ResNetConfig,
    private readonly rng: Random,
  ) {}

  private conv(name: string, filters: number, kernelSize: number, strides: number) {
    return tfl.layers.conv2d({
      name,
      filters,
      kernelSize,
      strides,
      padding: 'same',
      useBias: false,
      kernelInitializer: tfl.initializers.heNormal({ seed: this.rng.seed() }),
    });
  }

  private bn(name: string) {
    return tfl.layers.batchNormalization({ name, momentum: 0.9, epsilon: 1e-5 });
  }

  private relu(name: string) {
    return tfl.layers.activation({ name, activation: 'relu' });
  }

  /** conv → bn (→ relu), the paper's "3×3 conv, BN, ReLU". */
  private convBn(
    x: tfl.SymbolicTensor,
    prefix: string,
    suffix: string,
    filters: number,
    strides: number,
  ) {
    const conv = this.conv(`${prefix}conv${suffix}`, filters, 3, strides).apply(x);
    return this.bn(`${prefix}bn${suffix}`).apply(conv) as tfl.SymbolicTensor;
  }

  /** One residual unit: relu(bn₂(conv₂(relu(bn₁(conv₁(x))))) + shortcut(x)). */
  private unit(x: tfl.SymbolicTensor, prefix: string, filters: number, strides: number) {
    const branch = this.convBn(
      this.relu(`${prefix}relu1`).apply(
        this.convBn(x, prefix, '1', filters, strides),
      ) as tfl.SymbolicTensor,
      prefix,
      '2',
      filters,
      1,
    );
    const inChannels = x.shape[3] as number;
    let shortcut = x;
    if (strides !== 1 || inChannels !== filters) {
      shortcut =
        this.config.shortcut === 'zero-pad'
          ? (new ZeroPadShortcut({ name: `${prefix}shortcut`, filters, strides }).apply(
              x,
            ) as tfl.SymbolicTensor)
          : (this.bn(`${prefix}proj_bn`).apply(
              this.conv(`${prefix}proj_conv`, filters, 1, strides).apply(x),
            ) as tfl.SymbolicTensor);
    }
    const sum = tfl.layers.add({ name: `${prefix}add` }).apply([branch, shortcut]);
    return this.relu(`${prefix}out`).apply(sum) as tfl.SymbolicTensor;
  }

  build(options: ResNetOptions): tfl.LayersModel {
    const input = tfl.input({ shape: [...options.inputShape], name: 'image' });
    const [c1] = this.config.channels;
    let x = this.relu('stem_relu').apply(
      this.convBn(input, 'stem_', '', c1, 1),
    ) as tfl.SymbolicTensor;
    this.config.channels.forEach((filters, s) => {
      for (let b = 0; b < this.config.blocksPerStage; b++) {
        const strides = s > 0 && b === 0 ? 2 : 1;
        x = this.unit(x, `stage${s + 1}_block${b + 1}_`, filters, strides);
      }
    });
    const pooled = tfl.layers.globalAveragePooling2d({ name: 'pool' }).apply(x);
    const output = tfl.layers
      .dense({
        name: 'dense',
        units: options.numClasses,
        activation: 'softmax',
        kernelInitializer: tfl.initializers.glorotUniform({ seed: this.rng.seed() }),
        biasInitializer: tfl.initializers.zeros(),
      })
      .apply(pooled) as tfl.SymbolicTensor;
    return tfl.model({ inputs: input, outputs: output, name: `resnet${this.config.depth}` });
  }
}

/** Builds `resnet:…` (see the file comment). */
export function buildResNet(spec: string, options: ResNetOptions): tfl.LayersModel {
  const config = parseResNetSpec(spec);
  if (options.inputShape.length !== 3)
    throw new ReglabError(
      `model ${spec} needs image inputs [H, W, C], got [${options.inputShape}]`,
      'use an image data set (mnist, fashion-mnist, cifar10) or an mlp',
    );
  return new ResNetBuilder(config, options.rng).build(options);
}
