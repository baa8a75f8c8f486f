/**
 * A small model zoo with predictable layer names, so flags and reports can refer to layers:
 * `dense_1, dense_2, …` for dense layers, `conv_1, …` for convolutions, `bn_k` / `act_k` for the
 * batch norm and activation that follow weight layer k, `pool_k`, `flatten`.
 *
 * Specs: `linear`, `mlp:256,256`, `cnn`, `cnn-bn`, `resnet:20` (a functional CIFAR ResNet,
 * built in `resnet.ts` with its own names); `models/io.ts` loads a saved `model.json`.
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { ReglabError } from '../core/errors.js';
import type { Random } from '../core/random.js';
import { parseSpec, type SpecSchema } from '../core/spec.js';
import { buildResNet } from './resnet.js';
import { buildLanguageModel } from './language.js';

/** Hidden-layer activations the zoo offers. */
export const ACTIVATIONS = ['relu', 'tanh', 'elu', 'sigmoid', 'linear'] as const;
export type ActivationName = (typeof ACTIVATIONS)[number];

export interface ModelOptions {
  /** Shape of one input sample, e.g. `[28, 28, 1]`. */
  inputShape: readonly number[];
  numClasses: number;
  /** Seeds the initialisers (Glorot-uniform kernels, zero biases). */
  rng: Random;
  /** Hidden activation (default relu). */
  activation?: ActivationName;
  /** Batch normalisation after every hidden weight layer (default false; `cnn-bn` sets it). */
  batchNorm?: boolean;
}

/** One weight layer's worth of building blocks; the zoo's only mechanism for adding layers. */
class ModelBuilder {
  private readonly model = tfl.sequential();
  private readonly counts: Record<string, number> = {};
  private first = true;

  constructor(private readonly options: ModelOptions) {}

  private next(kind: string): number {
    this.counts[kind] = (this.counts[kind] ?? 0) + 1;
    return this.counts[kind];
  }

  private add(layer: tfl.layers.Layer): void {
    this.model.add(layer);
    this.first = false;
  }

  private inputArgs(): { inputShape?: number[] } {
    return this.first ? { inputShape: [...this.options.inputShape] } : {};
  }

  private initializers() {
    return {
      kernelInitializer: tfl.initializers.glorotUniform({ seed: this.options.rng.seed() }),
      biasInitializer: tfl.initializers.zeros(),
    };
  }

  /** Adds a weight layer and, for hidden layers, its batch norm and activation. */
  private weightLayer(
    make: (name: string, activation: ActivationName) => tfl.layers.Layer,
    kind: string,
    hidden: boolean,
  ) {
    const k = this.next(kind);
    const activation = this.options.activation ?? 'relu';
    const splitActivation = hidden && this.options.batchNorm;
    this.add(
      make(
        `${kind}_${k}`,
        splitActivation ? 'linear' : hidden ? activation : ('softmax' as ActivationName),
      ),
    );
    if (splitActivation) {
      this.add(tfl.layers.batchNormalization({ name: `bn_${k}` }));
      this.add(tfl.layers.activation({ name: `act_${k}`, activation }));
    }
  }

  dense(units: number, hidden: boolean): this {
    this.weightLayer(
      (name, activation) =>
        tfl.layers.dense({ name, units, activation, ...this.initializers(), ...this.inputArgs() }),
      'dense',
      hidden,
    );
    return this;
  }

  conv(filters: number, kernelSize: number): this {
    this.weightLayer(
      (name, activation) =>
        tfl.layers.conv2d({
          name,
          filters,
          kernelSize,
          activation,
          padding: 'same',
          ...this.initializers(),
          ...this.inputArgs(),
        }),
      'conv',
      true,
    );
    return this;
  }

  maxPool(size: number): this {
    this.add(tfl.layers.maxPooling2d({ name: `pool_${this.next('pool')}`, poolSize: size }));
    return this;
  }

  flatten(): this {
    if (this.options.inputShape.length > 1)
      this.add(tfl.layers.flatten({ name: 'flatten', ...this.inputArgs() }));
    return this;
  }

  build(): tfl.Sequential {
    return this.model;
  }
}

/**
 * The zoo's own specs in the one grammar (core/spec.ts), like `resnet` and `lstm-lm`: `mlp` takes
 * its hidden widths as the value, the fixed models take nothing, so `cnn:foo` or `mlp:8:tanh`
 * is an error listing what the spec accepts, never a plain cnn or mlp:8.
 */
export const ZOO_SCHEMAS: Readonly<Record<'linear' | 'mlp' | 'cnn' | 'cnn-bn', SpecSchema>> = {
  linear: { name: 'linear', summary: 'softmax regression: one dense layer' },
  mlp: {
    name: 'mlp',
    summary: 'dense hidden layers of the given widths, then the softmax layer',
    value: {
      name: 'widths',
      type: 'numbers',
      integer: true,
      min: 1,
      required: false,
      default: [256, 256],
    },
  },
  cnn: { name: 'cnn', summary: 'conv 32 – pool – conv 64 – pool – dense' },
  'cnn-bn': {
    name: 'cnn-bn',
    summary: 'the cnn with batch normalisation after each hidden weight layer',
  },
};

/** Builds a zoo model from `spec` (see the file comment). */
export function buildModel(spec: string, options: ModelOptions): tfl.LayersModel {
  checkActivation(options.activation);
  const kind = spec.split(':')[0].trim();
  const builder = new ModelBuilder(options);
  switch (kind) {
    case 'linear':
      parseSpec(spec, ZOO_SCHEMAS.linear);
      return builder.flatten().dense(options.numClasses, false).build();
    case 'mlp': {
      const parsed = parseSpec(spec, ZOO_SCHEMAS.mlp);
      const widths = (parsed.value ?? ZOO_SCHEMAS.mlp.value?.default) as readonly number[];
      builder.flatten();
      for (const width of widths) builder.dense(width, true);
      return builder.dense(options.numClasses, false).build();
    }
    case 'cnn':
    case 'cnn-bn': {
      parseSpec(spec, ZOO_SCHEMAS[kind]);
      checkImageInput(spec, options.inputShape);
      const withBn = new ModelBuilder({
        ...options,
        batchNorm: kind === 'cnn-bn' || options.batchNorm,
      });
      return withBn
        .conv(32, 3)
        .maxPool(2)
        .conv(64, 3)
        .maxPool(2)
        .flatten()
        .dense(options.numClasses, false)
        .build();
    }
    case 'resnet':
      return buildResNet(spec, options);
    case 'lstm-lm':
      return buildLanguageModel(spec, options);
    default:
      throw new ReglabError(
        `unknown model "${spec}"`,
        'use linear, mlp:256,256, cnn, cnn-bn, resnet:20, lstm-lm or the path of a model.json',
      );
  }
}

function checkActivation(activation: string | undefined): void {
  if (activation !== undefined && !(ACTIVATIONS as readonly string[]).includes(activation)) {
    throw new ReglabError(
      `unknown activation "${activation}"`,
      `use one of ${ACTIVATIONS.join(', ')}`,
    );
  }
}

function checkImageInput(spec: string, shape: readonly number[]): void {
  if (shape.length !== 3) {
    throw new ReglabError(
      `model ${spec} needs image inputs [H, W, C], got [${shape}]`,
      'use an image data set or an mlp',
    );
  }
}
