/**
 * `reglab pretrain`: greedy DBN pretraining (CD-k / PCD, optionally with generative DR), then
 * the unrolled sigmoid MLP is written as a run folder that `reglab train --init` reads:
 *
 *   reglab pretrain --dataset mnist --train-size 2000 --layers 500,500 --epochs 5 \
 *     --dr bhattacharyya:1e-2 --seed 1 --out runs/PRETRAIN
 *   reglab train --init runs/PRETRAIN --model mlp:500,500 --activation sigmoid ...
 *
 * The folder holds model.json + weights.bin (the unrolled model), config.json (the flags) and
 * metrics.jsonl (one line per epoch per level), and the stack checkpoint
 * (stack.json + stack-<levels>.bin). It follows the rules of a run folder (lab/run-folder.ts):
 * everything is checked before the first write, one writer at a time, an interrupted stack
 * resumes after its last finished level (bit for bit), a folder of `reglab train` is refused.
 */
import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { selectBackend, type BackendName } from '../../backend/select.js';
import { Random } from '../../core/random.js';
import { datasetSize, loadDataset } from '../../data/index.js';
import {
  DIVERGENCES,
  saveUnrolled,
  trainDbnResumably,
  unrollDbn,
  type RbmEpochMetrics,
} from '../../methods/diversify/generative/index.js';
import {
  openPretrainForWriting,
  writePretrainMetrics,
  type PretrainConfig,
} from '../../lab/run-folder.js';
import { parseGenerativeDr } from '../../methods/diversify/generative/spec.js';
import { addBackendOption, addDataOptions, positiveInt, positiveNumber } from '../options.js';

/** The flags of `reglab pretrain`: the stack's config (lab/run-folder.ts) as flags. */
export interface PretrainFlags extends Omit<
  PretrainConfig,
  'command' | 'dr' | 'model' | 'activation'
> {
  /** Generative DR spec, `divergence[:maxPairs=N]:λ`. */
  dr?: string;
  out?: string;
  backend: BackendName;
}

/** Parses `--dr divergence[:maxPairs=N]:λ`, e.g. `bhattacharyya:1e-2`. */
export const parseDrFlag = parseGenerativeDr;

function widths(value: string): number[] {
  const parts = value.split(',').map((part) => Number(part.trim()));
  if (parts.length === 0 || parts.some((n) => !Number.isInteger(n) || n <= 0)) {
    throw new InvalidArgumentError(`"${value}" is not a list of positive widths, e.g. 500,500.`);
  }
  return parts;
}

/** The `pretrain` action, exported for tests; returns the run folder. */
export async function pretrainAction(
  flags: PretrainFlags,
  print: (line: string) => void = console.log,
): Promise<string> {
  await selectBackend(flags.backend, { log: print });
  const dr = flags.dr ? parseDrFlag(flags.dr) : undefined;
  const out =
    flags.out ??
    path.join(
      'runs',
      `pretrain-${flags.dataset}-${flags.layers.join('_')}-${dr ? `${dr.divergence}_${dr.lambda}` : 'cd'}-s${flags.seed}`,
    );
  const { train } = loadDataset({ ...flags, testSize: flags.testSize ?? 1, seed: flags.seed });
  print(
    `data: ${train.name} ${datasetSize(train)} samples, shape [${train.sampleShape}]; run folder: ${out}`,
  );
  const config: PretrainConfig = {
    command: 'pretrain',
    dataset: flags.dataset,
    dataDir: flags.dataDir,
    trainSize: flags.trainSize,
    testSize: flags.testSize,
    rawPixels: flags.rawPixels,
    transfer: flags.transfer,
    layers: flags.layers,
    epochs: flags.epochs,
    batchSize: flags.batchSize,
    lr: flags.lr,
    k: flags.k,
    persistent: flags.persistent,
    dr,
    seed: flags.seed,
    model: `mlp:${flags.layers.join(',')}`,
    activation: 'sigmoid',
  };
  const writer = await openPretrainForWriting(out, config, print);
  try {
    const start = writer.checkpoint;
    if (start) print(`resuming after level ${start.rbms.length} of ${flags.layers.length}`);
    // a resumed stack continues the generator where its last finished level left it
    const rng = new Random(start?.rng ?? flags.seed);
    const onEpoch = (level: number, metrics: RbmEpochMetrics) =>
      print(
        `level ${level} epoch ${metrics.epoch}/${flags.epochs}: reconstruction ${metrics.reconstructionError.toFixed(3)}, free energy ${metrics.freeEnergy.toFixed(2)}` +
          (dr ? `, DR penalty ${metrics.drPenalty.toFixed(4)}` : '') +
          ` (${metrics.seconds.toFixed(1)} s)`,
      );
    const { layers, epochs, batchSize, lr, k, persistent } = config;
    const { rbms, history } = await trainDbnResumably(
      train,
      { layers, epochs, batchSize, lr, k, persistent, dr, rng, onEpoch },
      out,
      start,
    );
    const model = unrollDbn(rbms, {
      inputShape: train.sampleShape,
      numClasses: train.numClasses,
      rng,
    });
    await writePretrainMetrics(out, history);
    await saveUnrolled(model, out);
    model.dispose();
    for (const rbm of rbms) rbm.dispose();
  } finally {
    await writer.release();
  }
  print(
    `fine-tune with: reglab train --init ${out} --model mlp:${flags.layers.join(',')} --activation sigmoid --dataset ${flags.dataset}`,
  );
  return out;
}

/** Registers `reglab pretrain`. */
export function registerPretrainCommand(program: Command): void {
  const command = program
    .command('pretrain')
    .description(
      'greedy DBN pretraining (CD-k, optional generative DR); writes a model for train --init',
    );
  addDataOptions(command);
  addBackendOption(command);
  command
    .option('--layers <widths>', 'hidden widths bottom up', widths, [500, 500])
    .option('--epochs <n>', 'CD epochs per level', positiveInt, 5)
    .option('--batch-size <n>', 'batch size', positiveInt, 100)
    .option('--lr <x>', 'CD learning rate', positiveNumber, 0.1)
    .option('--k <n>', 'Gibbs steps of CD-k', positiveInt, 1)
    .option('--persistent', 'persistent CD (a chain kept across batches)')
    .option(
      '--dr <spec>',
      `generative DR, divergence[:maxPairs=N]:λ with divergence ${DIVERGENCES.join(' | ')}, e.g. bhattacharyya:1e-2`,
    )
    .option('--seed <n>', 'seed of every random draw', (v) => Number(v), 0)
    .option('--out <dir>', 'run folder (default runs/pretrain-<dataset>-<layers>-<dr>-s<seed>)')
    .action((flags: PretrainFlags) => pretrainAction(flags).then(() => undefined));
}
