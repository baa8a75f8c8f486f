/**
 * The bad-input table of `test/cli/bad-inputs.test.ts`: inputs a new user tries (issue 17:
 * wrong numbers, unknown words, degenerate data, damaged files, unwritable folders), each run
 * through the real CLI entry point in a child process, in a sandbox folder that is also its
 * working directory (so a default `runs/…` folder would show up too).
 *
 * A case states the exit code, the words the one-line message must contain (the flag, the value
 * or the file it is about) and, by default, that the sandbox is left exactly as it was: no new,
 * removed or modified files (names, sizes and mtimes).
 */
import { spawn } from 'node:child_process';
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  truncateSync,
  writeFileSync,
  appendFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { idxBytes, writeBytes, writeIdxSplit, writePng } from '../data/fixtures.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The entry points the docs use: `npx tsx src/cli/main.ts …` and `bin/reglab.js` (built). */
export const ENTRY_POINTS = {
  tsx: ['--import', import.meta.resolve('tsx'), path.join(repo, 'src', 'cli', 'main.ts')],
  bin: [path.join(repo, 'bin', 'reglab.js')],
} as const;

/** Folders built once per test run and copied into the sandboxes that need them. */
export interface Fixtures {
  /** A finished run: `train --dataset peak --train-size 20 --test-size 10 --model mlp:4 --epochs 1`. */
  run: string;
  /** A finished `pretrain --layers 4` folder (peak data). */
  pretrain: string;
}

/** What a case's `setup` and `args` see. */
export interface CaseContext {
  /** The sandbox: a fresh folder, the child's working directory, snapshotted before and after. */
  dir: string;
  fixtures: Fixtures;
  /** Copies a fixture folder into the sandbox under `name`; returns its path. */
  copy(fixture: string, name: string): string;
}

/** One bad input. */
export interface BadInput {
  name: string;
  /** Fixtures and damaged files, written into the sandbox before the snapshot. */
  setup?: (ctx: CaseContext) => void;
  /** Arguments after `reglab` (paths inside `ctx.dir`). */
  args: (ctx: CaseContext) => string[];
  /** Expected exit code (default 1). */
  exit?: number;
  /** Words the message must contain (case-insensitive): the flag, the value, the file. */
  names: (ctx: CaseContext) => string[];
  /** Which entry point runs it (default tsx). */
  entry?: keyof typeof ENTRY_POINTS;
  /** Extra environment. */
  env?: Record<string, string>;
}

/** The tiny run every training case starts from (so a case that wrongly trains stays fast). */
const TINY = ['--dataset', 'peak', '--train-size', '20', '--test-size', '10', '--model', 'mlp:4'];
const T = (...more: string[]) => ['train', ...TINY, '--epochs', '1', '--backend', 'cpu', ...more];
const out = (ctx: CaseContext, name = 'out') => path.join(ctx.dir, name);

/** A `train` case: the tiny run with `flags`, whose message must contain `names`. */
const trainCase = (name: string, flags: string[], names: string[]): BadInput => ({
  name,
  args: (ctx) => T(...flags, '--out', out(ctx)),
  names: () => names,
});

/** `train` on `dataset` read from the sandbox folder `folder`, with a tiny model. */
const trainOn = (dataset: string, folder: string) => (ctx: CaseContext) => [
  'train',
  '--dataset',
  dataset,
  '--data-dir',
  path.join(ctx.dir, folder),
  '--model',
  'mlp:4',
  '--epochs',
  '1',
  '--out',
  out(ctx),
];

/** Copies the run fixture into the sandbox as `run` and damages one of its files. */
const trainFolder = trainOn('folder', 'images');

const damagedRun =
  (file: string, damage: (file: string) => void) =>
  (ctx: CaseContext): void =>
    damage(path.join(ctx.copy(ctx.fixtures.run, 'run'), file));
const runFile = (ctx: CaseContext, file: string) => path.join(ctx.dir, 'run', file);

/** A folder data set `DIR/<class>/*.png` of `size×size` gray images. */
function imageFolder(
  root: string,
  classes: Record<string, number>,
  size = 4,
  sizeOf?: (cls: string, i: number) => number,
): string {
  for (const [cls, count] of Object.entries(classes)) {
    mkdirSync(path.join(root, cls), { recursive: true });
    for (let i = 0; i < count; i++) {
      const s = sizeOf?.(cls, i) ?? size;
      writePng(path.join(root, cls, `${i}.png`), s, s, (x, y) => {
        const v = (x * 40 + y * 20 + i * 7) % 256;
        return [v, v, v];
      });
    }
  }
  return root;
}

const numberCases = (
  command: string[],
  flag: string,
  values: readonly string[],
  extra: string[] = [],
): BadInput[] =>
  values.map((value) => ({
    name: `${command[0]} ${flag} ${JSON.stringify(value)}`,
    args: (ctx) => [...command, ...extra, flag, value, '--out', out(ctx)],
    names: () => [flag, ...(value.trim() === '' ? [] : [value])],
  }));

/** The table. */
export const BAD_INPUTS: BadInput[] = [
  // --- class 2: numbers and words, parsed and range-checked in one place -------------------------
  ...numberCases(T(), '--seed', ['abc', '-1.5', '']),
  ...numberCases(['pretrain', ...TINY.slice(0, 6)], '--seed', ['abc', '-1.5', '']),
  ...numberCases(T(), '--lr', ['-5', '0', 'abc', '1e999']),
  ...numberCases(T(), '--momentum', ['abc', '1.5'], ['--optimizer', 'momentum']),
  ...numberCases(T(), '--epochs', ['0', '1.5']),
  ...numberCases(T(), '--batch-size', ['0']),
  ...numberCases(T(), '--eval-every', ['-1']),
  {
    name: 'train --seed given to compare (compare runs --seeds 1..N)',
    args: (ctx) => ['compare', ...TINY, '--epochs', '1', '--seed', '7', '--out', out(ctx)],
    names: () => ['--seed', '--seeds'],
  },
  {
    name: 'compare --seed abc',
    args: (ctx) => ['compare', ...TINY, '--seed', 'abc', '--out', out(ctx)],
    names: () => ['--seed', 'abc'],
  },
  {
    name: 'demo --seed (demo has --seeds)',
    args: (ctx) => ['demo', '--seed', '1', '--out', out(ctx)],
    names: () => ['--seed'],
  },
  ...(
    [
      ['reconstruct', '--seed', '1'],
      ['svd', '--seed', '1'],
      ['reconstruct', '--count', 'abc'],
      ['reconstruct', '--pairs-per-row', '0'],
      ['reconstruct', '--upscale', '2.5'],
      ['reconstruct', '--split', 'validation'],
      ['reconstruct', '--start', 'logit'],
      ['svd', '--max-samples', 'abc'],
      ['svd', '--images', '0'],
      ['svd', '--scale', 'loud'],
    ] as const
  ).map(([command, flag, value]): BadInput => ({
    name: `${command} ${flag} ${value}`,
    args: (ctx) => [command, '--run', ctx.fixtures.run, '--out', out(ctx), flag, value],
    names: () => (flag === '--seed' ? [flag] : [flag, value]),
  })),
  {
    name: 'report --seed (it draws nothing)',
    args: (ctx) => ['report', ctx.fixtures.run, '--out', out(ctx), '--seed', '1'],
    names: () => ['--seed'],
  },
  {
    name: 'svd --layers names no layer',
    args: (ctx) => ['svd', '--run', ctx.fixtures.run, '--out', out(ctx), '--layers', 'dense_9'],
    names: () => ['dense_9'],
  },
  {
    name: 'report --reconstructions 0',
    args: (ctx) => ['report', ctx.fixtures.run, '--out', out(ctx), '--reconstructions', '0'],
    names: () => ['--reconstructions', '0'],
  },
  {
    name: 'compare --seeds 0',
    args: (ctx) => ['compare', ...TINY, '--seeds', '0', '--out', out(ctx)],
    names: () => ['--seeds', '0'],
  },
  {
    name: 'compare --method on a layer that does not exist (checked before any cell runs)',
    args: (ctx) => [
      'compare',
      ...TINY,
      '--epochs',
      '1',
      '--method',
      'per:1e-4@dens_1',
      '--out',
      out(ctx),
    ],
    names: () => ['dens_1', 'dense_1'],
  },
  {
    name: 'compare --constraint matching no variable (checked before any cell runs)',
    args: (ctx) => [
      'compare',
      ...TINY,
      '--epochs',
      '1',
      '--optimizer',
      'cola-ud:h=0.01:gamma=1:tau=0',
      '--constraint',
      'circle:0.05@dens_1',
      '--out',
      out(ctx),
    ],
    names: () => ['circle:0.05@dens_1'],
  },
  {
    name: 'compare --workers 1.5',
    args: (ctx) => ['compare', ...TINY, '--workers', '1.5', '--out', out(ctx)],
    names: () => ['--workers', '1.5'],
  },
  {
    name: 'pretrain --layers 4,abc',
    args: (ctx) => ['pretrain', ...TINY.slice(0, 6), '--layers', '4,abc', '--out', out(ctx)],
    names: () => ['--layers', '4,abc'],
  },
  {
    name: 'pretrain --k 0',
    args: (ctx) => ['pretrain', ...TINY.slice(0, 6), '--k', '0', '--out', out(ctx)],
    names: () => ['--k', '0'],
  },
  {
    name: 'pretrain --dr with an unknown divergence',
    args: (ctx) => ['pretrain', ...TINY.slice(0, 6), '--dr', 'kullback:1e-2', '--out', out(ctx)],
    names: () => ['kullback'],
  },
  trainCase(
    'optimizer adam:lr=5 (the learning rate is --lr)',
    ['--optimizer', 'adam:lr=5'],
    ['lr', 'adam:lr=5'],
  ),
  trainCase(
    'optimizer adam:beta=9 (unknown key)',
    ['--optimizer', 'adam:beta=9'],
    ['beta', 'beta1'],
  ),
  trainCase(
    'optimizer adam:beta1=9 (out of range)',
    ['--optimizer', 'adam:beta1=9'],
    ['beta1', '9'],
  ),
  trainCase('unknown optimizer', ['--optimizer', 'adamw'], ['adamw', 'adam']),
  trainCase(
    '--lr with a Langevin optimizer',
    ['--optimizer', 'cola-od:h=0.01:tau=0', '--lr', '0.1'],
    ['cola-od', 'learning rate'],
  ),
  trainCase('--momentum with adam', ['--momentum', '0.5'], ['adam', 'momentum']),
  trainCase(
    'contradictory term words ort:srip:frobenius',
    ['--reg', 'ort:srip:frobenius:0.1'],
    ['ort:srip:frobenius'],
  ),
  trainCase(
    'misspelt term word racecar:layerwize',
    ['--reg', 'racecar:layerwize:1e-5'],
    ['layerwize'],
  ),
  trainCase('unknown term', ['--reg', 'dropout:0.5'], ['dropout', 'racecar']),
  trainCase('term without its weight', ['--reg', 'per'], ['per']),
  trainCase('unknown monitor word mi:kdee', ['--track', 'mi:kdee'], ['kdee']),
  trainCase(
    'constraint with a TF.js optimizer',
    ['--constraint', 'circle:0.05@dense_1'],
    ['circle:0.05@dense_1'],
  ),
  trainCase(
    'constraint on a layer that does not exist',
    ['--optimizer', 'cola-od:h=0.01:tau=0', '--constraint', 'circle:0.05@dense_9'],
    ['dense_9'],
  ),
  trainCase(
    'two constraint rules on one variable',
    [
      '--optimizer',
      'cola-od:h=0.01:tau=0',
      '--constraint',
      'circle:0.05@dense_1',
      '--constraint',
      'sphere:1@dense_1',
    ],
    ['dense_1', 'circle', 'sphere'],
  ),
  trainCase('model mlp:abc', ['--model', 'mlp:abc'], ['mlp:abc']),
  trainCase('model mlp:0', ['--model', 'mlp:0'], ['mlp:0']),
  trainCase('unknown model resnet', ['--model', 'resnet'], ['resnet']),
  trainCase(
    'model cnn:foo (a fixed model takes no options)',
    ['--model', 'cnn:foo'],
    ['cnn:foo', 'write cnn'],
  ),
  trainCase(
    'model mlp:8:tanh (one width list)',
    ['--model', 'mlp:8:tanh'],
    ['mlp:8:tanh', '"tanh"'],
  ),
  trainCase(
    'model.json that does not exist',
    ['--model', 'missing/model.json'],
    ['missing/model.json'],
  ),
  trainCase('transfer rotate:abc', ['--transfer', 'rotate:abc'], ['rotate:abc']),
  trainCase('unknown dataset', ['--dataset', 'svhn'], ['--dataset', 'svhn']),
  trainCase('unknown backend', ['--backend', 'cuda'], ['--backend', 'cuda']),
  trainCase('unknown flag --learning-rate', ['--learning-rate', '0.1'], ['--learning-rate']),
  {
    name: '--out empty',
    args: () => T('--out', ''),
    names: () => ['--out'],
  },
  {
    name: 'train --train-size larger than the set',
    args: (ctx) => [...trainFolder(ctx), '--train-size', '100'],
    setup: (ctx) => imageFolder(path.join(ctx.dir, 'images'), { a: 5, b: 5 }),
    names: () => ['--train-size', '100'],
  },
  {
    name: 'test+rest with the whole training set',
    args: (ctx) =>
      T('--dataset', 'mnist', '--test-set', 'test+rest', '--out', out(ctx)).filter(
        (a, i, all) => !(all[i - 1] === '--train-size' || a === '--train-size'),
      ),
    names: () => ['test+rest', '--train-size'],
  },
  // --- --init -------------------------------------------------------------------------------
  {
    name: '--init from a folder that does not exist',
    args: (ctx) => T('--init', path.join(ctx.dir, 'nothing'), '--out', out(ctx)),
    names: (ctx) => [path.join(ctx.dir, 'nothing')],
  },
  {
    name: '--init from a run whose layer names differ',
    setup: (ctx) => {
      const dir = ctx.copy(ctx.fixtures.run, 'renamed');
      const file = path.join(dir, 'model.json');
      writeFileSync(file, readFileSync(file, 'utf8').replaceAll('dense_', 'fc_'));
    },
    args: (ctx) => T('--init', path.join(ctx.dir, 'renamed'), '--out', out(ctx)),
    names: () => ['--init', 'fc_1', 'dense_1'],
  },
  {
    name: '--init from a run with other widths',
    args: (ctx) => T('--init', ctx.fixtures.run, '--model', 'mlp:8', '--out', out(ctx)),
    names: () => ['--init', 'dense_1'],
  },
  // --- class 3: degenerate data ----------------------------------------------------------------
  {
    name: 'folder data set with no images',
    setup: (ctx) => {
      mkdirSync(path.join(ctx.dir, 'images', 'a'), { recursive: true });
      mkdirSync(path.join(ctx.dir, 'images', 'b'), { recursive: true });
    },
    args: trainFolder,
    names: (ctx) => [path.join(ctx.dir, 'images')],
  },
  {
    name: 'folder data set with an empty class folder',
    setup: (ctx) => {
      imageFolder(path.join(ctx.dir, 'images'), { a: 4, b: 4 });
      mkdirSync(path.join(ctx.dir, 'images', 'c'));
    },
    args: trainFolder,
    names: () => ['class', 'c'],
  },
  {
    name: 'folder data set with a single class',
    setup: (ctx) => imageFolder(path.join(ctx.dir, 'images'), { only: 6 }),
    args: trainFolder,
    names: () => ['only', 'class'],
  },
  {
    name: 'train and test images of different sizes',
    setup: (ctx) => {
      imageFolder(path.join(ctx.dir, 'images', 'train'), { a: 3, b: 3 }, 4);
      imageFolder(path.join(ctx.dir, 'images', 'test'), { a: 2, b: 2 }, 6);
    },
    args: trainFolder,
    names: () => ['6×6', '4×4'],
  },
  {
    name: 'a .png that is not a PNG',
    setup: (ctx) => {
      imageFolder(path.join(ctx.dir, 'images'), { a: 3, b: 3 });
      writeFileSync(path.join(ctx.dir, 'images', 'b', '9.png'), 'not a png');
    },
    args: trainFolder,
    names: () => ['9.png'],
  },
  {
    name: 'folder data set without --data-dir',
    args: (ctx) => [
      'train',
      '--dataset',
      'folder',
      '--model',
      'mlp:4',
      '--epochs',
      '1',
      '--out',
      out(ctx),
    ],
    names: () => ['--data-dir'],
  },
  {
    name: '--data-dir that does not exist',
    args: (ctx) =>
      T(
        '--dataset',
        'fashion-mnist',
        '--data-dir',
        path.join(ctx.dir, 'nowhere'),
        '--out',
        out(ctx),
      ),
    names: (ctx) => [path.join(ctx.dir, 'nowhere')],
  },
  {
    name: '--data-dir that is a file',
    setup: (ctx) => writeFileSync(path.join(ctx.dir, 'file'), 'x'),
    args: (ctx) =>
      T('--dataset', 'folder', '--data-dir', path.join(ctx.dir, 'file'), '--out', out(ctx)),
    names: (ctx) => [path.join(ctx.dir, 'file')],
  },
  {
    name: 'IDX folder with unknown files only',
    setup: (ctx) => writeBytes(path.join(ctx.dir, 'idx', 'train.csv'), Buffer.from('1,2,3')),
    args: (ctx) =>
      T('--dataset', 'kmnist', '--data-dir', path.join(ctx.dir, 'idx'), '--out', out(ctx)),
    names: () => ['train-images-idx3-ubyte'],
  },
  {
    name: 'truncated IDX image file',
    setup: (ctx) => {
      const dir = path.join(ctx.dir, 'idx');
      writeIdxSplit(dir, 'train', 20);
      writeIdxSplit(dir, 't10k', 10);
      truncateSync(path.join(dir, 'train-images-idx3-ubyte'), 50);
    },
    args: (ctx) =>
      T('--dataset', 'kmnist', '--data-dir', path.join(ctx.dir, 'idx'), '--out', out(ctx)),
    names: () => ['train-images-idx3-ubyte'],
  },
  {
    name: 'IDX with 0 images',
    setup: (ctx) => {
      const dir = path.join(ctx.dir, 'idx');
      writeBytes(path.join(dir, 'train-images-idx3-ubyte'), idxBytes([0, 3, 2], []));
      writeBytes(path.join(dir, 'train-labels-idx1-ubyte'), idxBytes([0], []));
      writeIdxSplit(dir, 't10k', 10);
    },
    args: trainOn('kmnist', 'idx'),
    names: () => ['0', 'train'],
  },
  {
    name: 'IDX labels beyond the classes',
    setup: (ctx) => {
      const dir = path.join(ctx.dir, 'idx');
      writeIdxSplit(dir, 'train', 20, { classes: 12 });
      writeIdxSplit(dir, 't10k', 10);
    },
    args: trainOn('kmnist', 'idx'),
    names: () => ['label', '10'],
  },
  // --- class 4: damaged files, unwritable folders -----------------------------------------------
  {
    name: 'reconstruct from a run with a truncated weights.bin',
    setup: damagedRun('weights.bin', (file) => truncateSync(file, 10)),
    args: (ctx) => ['reconstruct', '--run', path.join(ctx.dir, 'run'), '--out', out(ctx)],
    names: (ctx) => [runFile(ctx, 'weights.bin')],
  },
  {
    name: 'svd of a run with an over-long weights.bin',
    setup: damagedRun('weights.bin', (file) => appendFileSync(file, Buffer.alloc(64))),
    args: (ctx) => ['svd', '--run', path.join(ctx.dir, 'run'), '--out', out(ctx)],
    names: (ctx) => [runFile(ctx, 'weights.bin')],
  },
  {
    name: '--init from a run with a truncated weights.bin',
    setup: damagedRun('weights.bin', (file) => truncateSync(file, 10)),
    args: (ctx) => T('--init', path.join(ctx.dir, 'run'), '--out', out(ctx)),
    names: (ctx) => [runFile(ctx, 'weights.bin')],
  },
  {
    name: '--init from a run with a truncated weights.bin (wasm)',
    setup: damagedRun('weights.bin', (file) => truncateSync(file, 10)),
    args: (ctx) => [
      ...T('--init', path.join(ctx.dir, 'run'), '--out', out(ctx)).filter(
        (a) => a !== 'cpu' && a !== '--backend',
      ),
      '--backend',
      'wasm',
    ],
    names: (ctx) => [runFile(ctx, 'weights.bin')],
  },
  {
    name: 'reconstruct from a run with a corrupt model.json',
    setup: damagedRun('model.json', (file) => writeFileSync(file, '{"modelTopology": ')),
    args: (ctx) => ['reconstruct', '--run', path.join(ctx.dir, 'run'), '--out', out(ctx)],
    names: (ctx) => [runFile(ctx, 'model.json')],
  },
  {
    name: 'model.json without a topology',
    setup: damagedRun('model.json', (file) => writeFileSync(file, '{"weightsManifest": []}')),
    args: (ctx) => ['svd', '--run', path.join(ctx.dir, 'run'), '--out', out(ctx)],
    names: (ctx) => [runFile(ctx, 'model.json')],
  },
  {
    name: 'svd of a run with a corrupt config.json',
    setup: damagedRun('config.json', (file) => writeFileSync(file, '{"dataset": "peak",')),
    args: (ctx) => ['svd', '--run', path.join(ctx.dir, 'run'), '--out', out(ctx)],
    names: (ctx) => [runFile(ctx, 'config.json')],
  },
  {
    name: 'train --out a run with a corrupt config.json',
    setup: (ctx) => {
      const dir = ctx.copy(ctx.fixtures.run, 'out');
      writeFileSync(path.join(dir, 'config.json'), 'garbage');
    },
    args: (ctx) => T('--out', out(ctx)),
    names: (ctx) => [path.join(ctx.dir, 'out', 'config.json')],
  },
  {
    name: 'report of a run with a corrupt metrics.jsonl',
    setup: damagedRun('metrics.jsonl', (file) => appendFileSync(file, '{"epoch": 2, "loss"')),
    args: (ctx) => ['report', path.join(ctx.dir, 'run'), '--out', out(ctx)],
    names: (ctx) => [runFile(ctx, 'metrics.jsonl')],
  },
  {
    name: 'reconstruct of a folder that is no run',
    setup: (ctx) => mkdirSync(path.join(ctx.dir, 'empty')),
    args: (ctx) => ['reconstruct', '--run', path.join(ctx.dir, 'empty'), '--out', out(ctx)],
    names: (ctx) => [path.join(ctx.dir, 'empty'), 'config.json'],
  },
  {
    name: 'report of a folder that does not exist',
    args: (ctx) => ['report', path.join(ctx.dir, 'nothing')],
    names: (ctx) => [path.join(ctx.dir, 'nothing')],
  },
  {
    name: 'train --out that is a file',
    setup: (ctx) => writeFileSync(path.join(ctx.dir, 'file'), 'x'),
    args: (ctx) => T('--out', path.join(ctx.dir, 'file')),
    names: (ctx) => [path.join(ctx.dir, 'file')],
  },
  {
    name: 'train --out inside a file',
    setup: (ctx) => writeFileSync(path.join(ctx.dir, 'file'), 'x'),
    args: (ctx) => T('--out', path.join(ctx.dir, 'file', 'run')),
    names: (ctx) => [path.join(ctx.dir, 'file')],
  },
  {
    name: 'train --out on a read-only file system',
    args: () => T('--out', '/sys/reglab-bad-input'),
    names: () => ['/sys/reglab-bad-input'],
  },
  ...(
    [
      ['compare', (_ctx: CaseContext) => ['compare', ...TINY, '--epochs', '1', '--seeds', '1']],
      [
        'pretrain',
        (_ctx: CaseContext) => ['pretrain', ...TINY.slice(0, 6), '--layers', '4', '--epochs', '1'],
      ],
      ['svd', (ctx: CaseContext) => ['svd', '--run', ctx.fixtures.run]],
      ['reconstruct', (ctx: CaseContext) => ['reconstruct', '--run', ctx.fixtures.run]],
      ['report', (ctx: CaseContext) => ['report', ctx.fixtures.run]],
    ] as const
  ).map(([command, args]): BadInput => ({
    name: `${command} --out that is a file (checked before any work)`,
    setup: (ctx) => writeFileSync(path.join(ctx.dir, 'file'), 'x'),
    args: (ctx) => [...args(ctx), '--out', path.join(ctx.dir, 'file')],
    names: (ctx) => [path.join(ctx.dir, 'file')],
  })),
  // --- compare --config files -------------------------------------------------------------------
  ...(
    [
      ['missing file', undefined, ['experiment.json']],
      ['not JSON', '{"base": ', ['experiment.json']],
      [
        '"lr": -5',
        {
          base: {
            dataset: 'peak',
            model: 'mlp:4',
            epochs: 1,
            batchSize: 10,
            optimizer: 'adam',
            lr: -5,
            trainSize: 20,
            testSize: 10,
          },
          methods: ['std'],
          seeds: 1,
        },
        ['lr', '-5'],
      ],
      [
        'an unknown key',
        {
          base: {
            dataset: 'peak',
            model: 'mlp:4',
            epochs: 1,
            batchSize: 10,
            optimizer: 'adam',
            learningRate: 0.1,
          },
          methods: ['std'],
          seeds: 1,
        },
        ['learningRate'],
      ],
      [
        'an unknown top-level key',
        {
          base: { dataset: 'peak', model: 'mlp:4', epochs: 1, batchSize: 10, optimizer: 'adam' },
          methods: ['std'],
          seeds: 1,
          workers: 2,
        },
        ['workers'],
      ],
      [
        'seeds "three"',
        {
          base: { dataset: 'peak', model: 'mlp:4', epochs: 1, batchSize: 10, optimizer: 'adam' },
          methods: ['std'],
          seeds: 'three',
        },
        ['seeds', 'three'],
      ],
      [
        'epochs 0',
        {
          base: { dataset: 'peak', model: 'mlp:4', epochs: 0, batchSize: 10, optimizer: 'adam' },
          methods: ['std'],
          seeds: 1,
        },
        ['epochs', '0'],
      ],
      [
        'a bad method',
        {
          base: { dataset: 'peak', model: 'mlp:4', epochs: 1, batchSize: 10, optimizer: 'adam' },
          methods: ['racecar:layerwize:1e-5'],
          seeds: 1,
        },
        ['layerwize'],
      ],
    ] as const
  ).map(([what, content, names]): BadInput => ({
    name: `compare --config with ${what}`,
    setup: (ctx) => {
      if (content !== undefined)
        writeFileSync(
          path.join(ctx.dir, 'experiment.json'),
          typeof content === 'string' ? content : JSON.stringify(content),
        );
    },
    args: (ctx) => [
      'compare',
      '--config',
      path.join(ctx.dir, 'experiment.json'),
      '--out',
      out(ctx),
    ],
    names: () => [...names],
  })),
  // --- the published entry point ----------------------------------------------------------------
  {
    name: 'bin/reglab.js: --seed abc',
    entry: 'bin',
    args: (ctx) => T('--seed', 'abc', '--out', out(ctx)),
    names: () => ['--seed', 'abc'],
  },
  {
    name: 'bin/reglab.js: corrupt weights.bin',
    entry: 'bin',
    setup: damagedRun('weights.bin', (file) => truncateSync(file, 10)),
    args: (ctx) => ['svd', '--run', path.join(ctx.dir, 'run'), '--out', out(ctx)],
    names: (ctx) => [runFile(ctx, 'weights.bin')],
  },
];

/** Names, sizes and mtimes of every file and folder under `dir`. */
export function snapshot(dir: string): Record<string, string> {
  const entries: Record<string, string> = {};
  const walk = (folder: string) => {
    for (const name of readdirSync(folder).sort()) {
      const file = path.join(folder, name);
      const stats = statSync(file);
      entries[path.relative(dir, file)] = stats.isDirectory()
        ? 'dir'
        : `${stats.size} bytes, mtime ${stats.mtimeMs}`;
      if (stats.isDirectory()) walk(file);
    }
  };
  walk(dir);
  return entries;
}

/** What a case did. */
export interface CaseOutcome {
  code: number | null;
  stdout: string;
  stderr: string;
  before: Record<string, string>;
  after: Record<string, string>;
  ctx: CaseContext;
  seconds: number;
}

/** Runs one case in a fresh sandbox under `root` (the caller removes it). */
export async function runCase(
  item: BadInput,
  fixtures: Fixtures,
  { root = tmpdir(), timeoutMs = 120_000 } = {},
): Promise<CaseOutcome> {
  const dir = mkdtempSync(path.join(root, 'reglab-bad-input-'));
  const ctx: CaseContext = {
    dir,
    fixtures,
    copy(fixture, name) {
      const target = path.join(dir, name);
      cpSync(fixture, target, { recursive: true });
      return target;
    },
  };
  item.setup?.(ctx);
  const before = snapshot(dir);
  const started = performance.now();
  const argv = [...ENTRY_POINTS[item.entry ?? 'tsx'], ...item.args(ctx)];
  const { code, stdout, stderr } = await new Promise<{
    code: number | null;
    stdout: string;
    stderr: string;
  }>((resolve) => {
    const child = spawn(process.execPath, argv, {
      cwd: dir,
      env: { ...process.env, REGLAB_DEBUG: '', NODE_OPTIONS: '', ...item.env },
      timeout: timeoutMs,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
  return {
    code,
    stdout,
    stderr,
    before,
    after: snapshot(dir),
    ctx,
    seconds: (performance.now() - started) / 1000,
  };
}

/** Runs `items` with at most `workers` children at a time, in table order of results. */
export async function runPool<T, R>(
  items: readonly T[],
  workers: number,
  run: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(workers, items.length) }, async () => {
      while (next < items.length) {
        const k = next++;
        results[k] = await run(items[k]);
      }
    }),
  );
  return results;
}

/** How an outcome reads to a user (the issue's four counts). */
export type Verdict = 'named error' | 'silently accepted' | 'internal message' | 'unnamed error';

/** Classifies an outcome: exit 0 = silently accepted; a stack trace = internal message. */
export function verdict(item: BadInput, outcome: CaseOutcome): Verdict {
  if (outcome.code === 0) return 'silently accepted';
  if (/^\s+at .*(\(|:\d+)/m.test(outcome.stderr) || outcome.code === null)
    return 'internal message';
  const text = outcome.stderr.toLowerCase();
  return item.names(outcome.ctx).every((word) => text.includes(word.toLowerCase()))
    ? 'named error'
    : 'unnamed error';
}

/** Whether the sandbox changed (files left). */
export function filesChanged(outcome: CaseOutcome): string[] {
  const keys = new Set([...Object.keys(outcome.before), ...Object.keys(outcome.after)]);
  return [...keys].filter((key) => outcome.before[key] !== outcome.after[key]).sort();
}

/** Builds the shared fixtures under `root` in this process (cpu backend). */
export async function buildFixtures(root: string): Promise<Fixtures> {
  const { trainRun } = await import('../../src/lab/run.js');
  const { pretrainAction } = await import('../../src/cli/commands/pretrain.js');
  const run = path.join(root, 'run');
  await trainRun(
    {
      dataset: 'peak',
      trainSize: 20,
      testSize: 10,
      model: 'mlp:4',
      epochs: 1,
      batchSize: 10,
      optimizer: 'adam',
      seed: 1,
    },
    run,
  );
  const pretrain = await pretrainAction(
    {
      dataset: 'peak',
      trainSize: 20,
      testSize: 10,
      layers: [4],
      epochs: 1,
      batchSize: 10,
      lr: 0.1,
      k: 1,
      seed: 1,
      out: path.join(root, 'pretrain'),
      backend: 'cpu',
    },
    () => {},
  );
  return { run, pretrain };
}
