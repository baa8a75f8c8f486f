/**
 * A word-level LSTM language model for the zoo: token ids `[b, T]` → embedding → LSTM layers
 * (every step's output kept) → a dense softmax over the vocabulary at every step, `[b, T, V]`.
 *
 * Spec `lstm-lm[:W1,W2,…][:embed=E]`: the LSTM widths (default `200,200`, the PyTorch
 * word-language-model example's `--nhid 200 --nlayers 2`) and the embedding size (default the
 * first width, the example's `--emsize 200`). Layer names: `embedding`, `lstm_1`, `lstm_2`, …,
 * `dense_1` (the decoder); PER and the activation terms read `lstm_k` by default (the hidden
 * blocks, models/anatomy.ts), every time step a sample (train/sites.ts).
 *
 * Initialisation as the PyTorch example where tfjs-layers allows it: embedding and decoder
 * weights uniform in [−0.1, 0.1] and a zero decoder bias (`init_weights`); LSTM kernels uniform
 * in [−1/√H, 1/√H] (PyTorch's `nn.LSTM` default), the LSTM bias zero with the forget gate's
 * bias at 1 (tfjs-layers' `unitForgetBias`; PyTorch draws its two biases uniformly too). Every
 * initialiser is seeded from the run's generator.
 *
 * Left out: dropout (tfjs-layers' dropout with a fixed seed draws the same mask at every call,
 * and without one it bypasses reglab's seeded generator), tied embedding/decoder weights.
 * The recurrent state is carried between batches by the trainer (train/recurrent-state.ts),
 * not by tfjs-layers' `stateful`, which fixes the batch size in the model.
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { ReglabError } from '../core/errors.js';
import { parseSpec, type SpecSchema } from '../core/spec.js';
import type { Random } from '../core/random.js';

/** The schema of the `lstm-lm` model spec. */
export const LSTM_LM_SCHEMA: SpecSchema = {
  name: 'lstm-lm',
  summary: 'word-level LSTM language model: embedding → LSTM layers → softmax over the words',
  options: {
    embed: { type: 'number', integer: true, min: 1, description: 'embedding size' },
  },
  value: {
    name: 'widths',
    type: 'numbers',
    integer: true,
    min: 1,
    required: false,
    default: [200, 200],
  },
};

/** What {@link buildLanguageModel} needs. */
export interface LanguageModelOptions {
  /** `[T]`: the window length (any T works at run time; this one builds the model). */
  inputShape: readonly number[];
  /** Vocabulary size V. */
  numClasses: number;
  rng: Random;
  /** Must be absent: the model has no batch normalisation. */
  batchNorm?: boolean;
  /**
   * Must be absent or `relu` (the CLI's default, which only the feed-forward zoo models read):
   * the LSTM's gate non-linearities are fixed.
   */
  activation?: string;
}

/** Builds the `lstm-lm` model of `spec` (see the file comment). */
export function buildLanguageModel(spec: string, options: LanguageModelOptions): tfl.Sequential {
  const parsed = parseSpec(spec, LSTM_LM_SCHEMA);
  const widths = (parsed.value ?? LSTM_LM_SCHEMA.value?.default) as readonly number[];
  const embed = (parsed.options.embed as number | undefined) ?? widths[0];
  if (options.inputShape.length !== 1) {
    throw new ReglabError(
      `model ${spec} reads token windows [T], got samples of shape [${options.inputShape}]`,
      'use a text data set (--dataset ptb, wikitext2 or grammar)',
    );
  }
  if (options.batchNorm) {
    throw new ReglabError(`model ${spec} has no batch normalisation`, 'drop --batch-norm');
  }
  if (options.activation !== undefined && options.activation !== 'relu') {
    throw new ReglabError(
      `model ${spec} takes no hidden activation (got ${options.activation})`,
      "the LSTM's gates use sigmoid and tanh; drop --activation",
    );
  }
  const vocabulary = options.numClasses;
  const uniform = (limit: number) =>
    tfl.initializers.randomUniform({ minval: -limit, maxval: limit, seed: options.rng.seed() });
  const model = tfl.sequential();
  model.add(
    tfl.layers.embedding({
      name: 'embedding',
      inputDim: vocabulary,
      outputDim: embed,
      inputShape: [...options.inputShape],
      embeddingsInitializer: uniform(0.1),
    }),
  );
  widths.forEach((units, k) =>
    model.add(
      tfl.layers.lstm({
        name: `lstm_${k + 1}`,
        units,
        returnSequences: true,
        kernelInitializer: uniform(1 / Math.sqrt(units)),
        recurrentInitializer: uniform(1 / Math.sqrt(units)),
        recurrentActivation: 'sigmoid',
        biasInitializer: tfl.initializers.zeros(),
        unitForgetBias: true,
      }),
    ),
  );
  model.add(
    tfl.layers.dense({
      name: 'dense_1',
      units: vocabulary,
      activation: 'softmax',
      kernelInitializer: uniform(0.1),
      biasInitializer: tfl.initializers.zeros(),
    }),
  );
  return model;
}
