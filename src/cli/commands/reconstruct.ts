/**
 * `reglab reconstruct --run runs/NAME --out DIR`: test images beside their reverse-pass
 * reconstructions d'_1 (racecar's explainability view), as one PNG grid.
 */
import path from 'node:path';
import { Option, type Command } from 'commander';
import { checkOutputFolder } from '../../core/fs.js';
import { check } from '../../core/errors.js';
import { datasetSize } from '../../data/dataset.js';
import { IMAGE_SCALES, type ImageScale } from '../../analysis/images.js';
import { reconstruct, reverseStart } from '../../methods/racecar/index.js';
import { writeReconstructionGrid, type ReconstructFunction } from '../../lab/snapshots.js';
import { selectBackend, type BackendName } from '../../backend/select.js';
import { addBackendOption, flagParser, pathFlag, positiveInt } from '../options.js';
import { openRunFolder, runFolderData } from '../../lab/run-folder.js';

/** Flags of `reglab reconstruct`. */
export interface ReconstructFlags {
  run: string;
  out: string;
  /** TF.js backend; left unset, the current one is used (tests select theirs). */
  backend?: BackendName;
  /** Number of images (default 16). */
  count?: number;
  /** Another data set with the run's options (e.g. a transfer task). */
  dataset?: string;
  /** Which split the images come from (default test). */
  split?: 'train' | 'test';
  pairsPerRow?: number;
  scale?: ImageScale;
  upscale?: number;
  /** Where the reverse chain starts (default pre-softmax, as the official code). */
  start?: string;
}

/** What the action wrote. */
export interface ReconstructResult {
  file: string;
  count: number;
}

/**
 * The `reconstruct` action, exported for tests; `reverse` defaults to racecar's
 * `reconstruct` (the chained reverse pass, inference-mode batch norm).
 */
export async function reconstructAction(
  flags: ReconstructFlags,
  reverse?: ReconstructFunction,
  print: (line: string) => void = console.log,
): Promise<ReconstructResult> {
  const start = reverseStart(flags.start);
  const reverseFn: ReconstructFunction =
    reverse ?? ((model, x) => reconstruct(model, x, { start }));
  const split = flags.split ?? 'test';
  check(
    split === 'test' || split === 'train',
    `--split ${split} is neither test nor train`,
    'use --split test or --split train',
  );
  check(
    IMAGE_SCALES.includes(flags.scale ?? 'minmax'),
    `unknown --scale ${flags.scale}`,
    `use one of ${IMAGE_SCALES.join(', ')}`,
  );
  const count = flags.count ?? 16;
  check(Number.isInteger(count) && count > 0, `--count ${flags.count} is not a positive integer`);
  await checkOutputFolder(flags.out);
  if (flags.backend) await selectBackend(flags.backend, { log: print });
  const run = await openRunFolder(flags.run);
  try {
    const samples = runFolderData(run.config, flags.dataset)[split];
    const file = path.join(flags.out, 'reconstructions.png');
    const layout = await writeReconstructionGrid(file, run.model, samples, reverseFn, count, flags);
    const shown = layout.images.length / 2;
    print(
      `${shown} ${split} images of ${samples.name} (of ${datasetSize(samples)}) beside their reconstructions: ${file}`,
    );
    return { file, count: shown };
  } finally {
    run.model.dispose();
  }
}

/** Registers `reglab reconstruct`. */
export function registerReconstructCommand(program: Command): void {
  const command = program.command('reconstruct');
  addBackendOption(command);
  command
    .description(
      "write a PNG grid of test images beside the network's reverse-pass reconstructions d'_1 (racecar)",
    )
    .requiredOption(
      '--run <dir>',
      'run folder written by reglab train (config.json, model.json, weights.bin)',
      pathFlag,
    )
    .requiredOption('--out <dir>', 'folder for reconstructions.png', pathFlag)
    .option('--count <n>', 'number of images', positiveInt, 16)
    .option(
      '--dataset <name>',
      "another data set, loaded with the run's size and pixel options (e.g. for transfer)",
    )
    .addOption(
      new Option('--split <split>', 'test or train').choices(['test', 'train']).default('test'),
    )
    .option('--pairs-per-row <n>', 'input/reconstruction pairs per row', positiveInt, 4)
    .addOption(
      new Option('--scale <scale>', 'per-image mapping to [0, 1]')
        .choices(IMAGE_SCALES as unknown as string[])
        .default('minmax'),
    )
    .option('--upscale <n>', 'integer magnification (default: tiles at least 56 px)', positiveInt)
    .option(
      '--start <start>',
      'where the reverse pass starts: pre-softmax (as the official code) or probabilities',
      flagParser(reverseStart),
      'pre-softmax',
    )
    .addHelpText(
      'after',
      "\nEach tile pair is the input (left) and d'_1 (right), each stretched to its own value range.\n" +
        "d'_1 is the chained reverse pass from the last value before the softmax (src/racecar), as the\n" +
        'official code does; readable images mean the\n' +
        'network keeps the information of its input (racecar training); noise means it does not.\n',
    )
    .action((flags: ReconstructFlags) => reconstructAction(flags).then(() => undefined));
}
