/** `reglab train`: one run, with a progress bar, a summary line per epoch and a run folder. */
import path from 'node:path';
import type { Command } from 'commander';
import { selectBackend } from '../../backend/select.js';
import { datasetSize } from '../../data/dataset.js';
import { trainRun } from '../../lab/run.js';
import { builtinRegistries } from '../../registry.js';
import {
  addBackendOption,
  addDataOptions,
  addTrainingOptions,
  positiveInt,
  registryHelp,
  runConfigFromFlags,
  type TrainingFlags,
} from '../options.js';
import { consoleProgress } from '../progress.js';
import { reconstruct } from '../../methods/racecar/index.js';
import { reconstructionSnapshots } from '../../lab/snapshots.js';
import { type RunResult } from '../../lab/run-config.js';
import { loadRunData } from '../../lab/run-config.js';

interface TrainCommandFlags extends TrainingFlags {
  out?: string;
  snapshots?: number;
}

/** Default run folder: runs/<dataset>-<model>-<regs>-s<seed>. */
export function defaultRunName(flags: TrainingFlags): string {
  const regs = flags.reg.map((r) => r.replace(/[^a-zA-Z0-9.-]+/g, '_')).join('+') || 'std';
  return path.join(
    'runs',
    `${flags.dataset}-${flags.model.replace(/[^a-zA-Z0-9]+/g, '_')}-${regs}-s${flags.seed}`,
  );
}

/** The `train` action, exported for tests. */
export async function trainAction(
  flags: TrainCommandFlags,
  print: (line: string) => void = console.log,
): Promise<RunResult> {
  await selectBackend(flags.backend, { log: print });
  const config = runConfigFromFlags(flags);
  const out = flags.out ?? defaultRunName(flags);
  const data = loadRunData(config);
  print(
    `data: ${data.train.name} ${datasetSize(data.train)} train / ${datasetSize(data.test)} test, shape [${data.train.sampleShape}]`,
  );
  print(`run folder: ${out}`);
  const batches = Math.ceil(datasetSize(data.train) / config.batchSize);
  const progress = consoleProgress(config.epochs, batches, print);
  const result = await trainRun(config, out, {
    data,
    log: print,
    callbacks: progress,
    onTrainer: (trainer) => {
      if (flags.snapshots === undefined) return;
      trainer.addCallbacks(
        reconstructionSnapshots({
          model: trainer.model,
          every: flags.snapshots,
          dir: out,
          samples: data.test,
          reconstruct,
        }),
      );
    },
  });
  print(
    `test accuracy ${(100 * result.testAccuracy).toFixed(2)}%, test loss ${result.testLoss.toFixed(4)} (${result.seconds.toFixed(1)} s, ${result.backend})`,
  );
  return result;
}

/** Registers `reglab train`. */
export function registerTrainCommand(program: Command): void {
  const command = program
    .command('train')
    .description('train one model with optional regularization terms');
  addDataOptions(command);
  addTrainingOptions(command);
  addBackendOption(command);
  command
    .option(
      '--out <dir>',
      'run folder (default runs/<dataset>-<model>-<regs>-s<seed>); an existing checkpoint there is resumed',
    )
    .option(
      '--snapshots <n>',
      'write reverse-pass reconstructions of test images every N epochs (racecar)',
      positiveInt,
    )
    .addHelpText('after', () => registryHelp(builtinRegistries()))
    .action((flags: TrainCommandFlags) => trainAction(flags).then(() => undefined));
}
