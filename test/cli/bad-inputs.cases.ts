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
  {
    name: 'reconstruct --count abc',
    args: (ctx) => ['reconstruct', '--run', ctx.fixtures.run, '--out', out(ctx), '--count', 'abc'],
    names: () => ['--count', 'abc'],
  },
  {
    name: 'reconstruct --pairs-per-row 0',
    args: (ctx) => [
      'reconstruct',
      '--run',
      ctx.fixtures.run,
      '--out',
      out(ctx),
      '--pairs-per-row',
      '0',
    ],
    names: () => ['--pairs-per-row', '0'],
  },
  {
    name: 'reconstruct --upscale 2.5',
    args: (ctx) => [
      'reconstruct',
      '--run',
      ctx.fixtures.run,
      '--out',
      out(ctx),
      '--upscale',
      '2.5',
    ],
    names: () => ['--upscale', '2.5'],
  },
  {
    name: 'reconstruct --split validation',
    args: (ctx) => [
      'reconstruct',
      '--run',
      ctx.fixtures.run,
      '--out',
      out(ctx),
      '--split',
      'validation',
    ],
    names: () => ['--split', 'validation'],
  },
  {
    name: 'reconstruct --start logit',
    args: (ctx) => [
      'reconstruct',
      '--run',
      ctx.fixtures.run,
      '--out',
      out(ctx),
      '--start',
      'logit',
    ],
    names: () => ['--start', 'logit'],
  },
  {
    name: 'svd --max-samples abc',
    args: (ctx) => ['svd', '--run', ctx.fixtures.run, '--out', out(ctx), '--max-samples', 'abc'],
    names: () => ['--max-samples', 'abc'],
  },
  {
    name: 'svd --images 0',
    args: (ctx) => ['svd', '--run', ctx.fixtures.run, '--out', out(ctx), '--images', '0'],
    names: () => ['--images', '0'],
  },
  {
    name: 'svd --scale loud',
    args: (ctx) => ['svd', '--run', ctx.fixtures.run, '--out', out(ctx), '--scale', 'loud'],
    names: () => ['--scale', 'loud'],
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
  {
    name: 'optimizer adam:lr=5 (the learning rate is --lr)',
    args: (ctx) => T('--optimizer', 'adam:lr=5', '--out', out(ctx)),
    names: () => ['lr', 'adam:lr=5'],
  },
  {
    name: 'optimizer adam:beta=9 (unknown key)',
    args: (ctx) => T('--optimizer', 'adam:beta=9', '--out', out(ctx)),
    names: () => ['beta', 'beta1'],
  },
  {
    name: 'optimizer adam:beta1=9 (out of range)',
    args: (ctx) => T('--optimizer', 'adam:beta1=9', '--out', out(ctx)),
    names: () => ['beta1', '9'],
  },
  {
    name: 'unknown optimizer',
    args: (ctx) => T('--optimizer', 'adamw', '--out', out(ctx)),
    names: () => ['adamw', 'adam'],
  },
  {
    name: '--lr with a Langevin optimizer',
    args: (ctx) => T('--optimizer', 'cola-od:h=0.01:tau=0', '--lr', '0.1', '--out', out(ctx)),
    names: () => ['cola-od', 'learning rate'],
  },
  {
    name: '--momentum with adam',
    args: (ctx) => T('--momentum', '0.5', '--out', out(ctx)),
    names: () => ['adam', 'momentum'],
  },
  {
    name: 'contradictory term words ort:srip:frobenius',
    args: (ctx) => T('--reg', 'ort:srip:frobenius:0.1', '--out', out(ctx)),
    names: () => ['ort:srip:frobenius'],
  },
  {
    name: 'misspelt term word racecar:layerwize',
    args: (ctx) => T('--reg', 'racecar:layerwize:1e-5', '--out', out(ctx)),
    names: () => ['layerwize'],
  },
  {
    name: 'unknown term',
    args: (ctx) => T('--reg', 'dropout:0.5', '--out', out(ctx)),
    names: () => ['dropout', 'racecar'],
  },
  {
    name: 'term without its weight',
    args: (ctx) => T('--reg', 'per', '--out', out(ctx)),
    names: () => ['per'],
  },
  {
    name: 'unknown monitor word mi:kdee',
    args: (ctx) => T('--track', 'mi:kdee', '--out', out(ctx)),
    names: () => ['kdee'],
  },
  {
    name: 'constraint with a TF.js optimizer',
    args: (ctx) => T('--constraint', 'circle:0.05@dense_1', '--out', out(ctx)),
    names: () => ['circle:0.05@dense_1'],
  },
  {
    name: 'constraint on a layer that does not exist',
    args: (ctx) =>
      T(
        '--optimizer',
        'cola-od:h=0.01:tau=0',
        '--constraint',
        'circle:0.05@dense_9',
        '--out',
        out(ctx),
      ),
    names: () => ['dense_9'],
  },
  {
    name: 'two constraint rules on one variable',
    args: (ctx) =>
      T(
        '--optimizer',
        'cola-od:h=0.01:tau=0',
        '--constraint',
        'circle:0.05@dense_1',
        '--constraint',
        'sphere:1@dense_1',
        '--out',
        out(ctx),
      ),
    names: () => ['dense_1', 'circle', 'sphere'],
  },
  {
    name: 'model mlp:abc',
    args: (ctx) => T('--model', 'mlp:abc', '--out', out(ctx)),
    names: () => ['mlp:abc'],
  },
  {
    name: 'model mlp:0',
    args: (ctx) => T('--model', 'mlp:0', '--out', out(ctx)),
    names: () => ['mlp:0'],
  },
  {
    name: 'unknown model resnet',
    args: (ctx) => T('--model', 'resnet', '--out', out(ctx)),
    names: () => ['resnet'],
  },
  {
    name: 'model.json that does not exist',
    args: (ctx) => T('--model', 'missing/model.json', '--out', out(ctx)),
    names: () => ['missing/model.json'],
  },
  {
    name: 'transfer rotate:abc',
    args: (ctx) => T('--transfer', 'rotate:abc', '--out', out(ctx)),
    names: () => ['rotate:abc'],
  },
  {
    name: 'unknown dataset',
    args: (ctx) => T('--dataset', 'svhn', '--out', out(ctx)),
    names: () => ['--dataset', 'svhn'],
  },
  {
    name: 'unknown backend',
    args: (ctx) => T('--backend', 'cuda', '--out', out(ctx)),
    names: () => ['--backend', 'cuda'],
  },
  {
    name: 'unknown flag --learning-rate',
    args: (ctx) => T('--learning-rate', '0.1', '--out', out(ctx)),
    names: () => ['--learning-rate'],
  },
  {
    name: '--out empty',
    args: () => T('--out', ''),
    names: () => ['--out'],
  },
  {
    name: 'train --train-size larger than the set',
    args: (ctx) => [
      'train',
      '--dataset',
      'folder',
      '--data-dir',
      path.join(ctx.dir, 'images'),
      '--train-size',
      '100',
      '--model',
      'mlp:4',
      '--epochs',
      '1',
      '--out',
      out(ctx),
    ],
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
    args: (ctx) => [
      ...T('--out', out(ctx)).slice(0, 1),
      '--dataset',
      'folder',
      '--data-dir',
      path.join(ctx.dir, 'images'),
      '--model',
      'mlp:4',
      '--epochs',
      '1',
      '--out',
      out(ctx),
    ],
    names: (ctx) => [path.join(ctx.dir, 'images')],
  },
  {
    name: 'folder data set with an empty class folder',
    setup: (ctx) => {
      imageFolder(path.join(ctx.dir, 'images'), { a: 4, b: 4 });
      mkdirSync(path.join(ctx.dir, 'images', 'c'));
    },
    args: (ctx) => [
      'train',
      '--dataset',
      'folder',
      '--data-dir',
      path.join(ctx.dir, 'images'),
      '--model',
      'mlp:4',
      '--epochs',
      '1',
      '--out',
      out(ctx),
    ],
    names: () => ['class', 'c'],
  },
  {
    name: 'folder data set with a single class',
    setup: (ctx) => imageFolder(path.join(ctx.dir, 'images'), { only: 6 }),
    args: (ctx) => [
      'train',
      '--dataset',
      'folder',
      '--data-dir',
      path.join(ctx.dir, 'images'),
      '--model',
      'mlp:4',
      '--epochs',
      '1',
      '--out',
      out(ctx),
    ],
    names: () => ['only', 'class'],
  },
  {
    name: 'train and test images of different sizes',
    setup: (ctx) => {
      imageFolder(path.join(ctx.dir, 'images', 'train'), { a: 3, b: 3 }, 4);
      imageFolder(path.join(ctx.dir, 'images', 'test'), { a: 2, b: 2 }, 6);
    },
    args: (ctx) => [
      'train',
      '--dataset',
      'folder',
      '--data-dir',
      path.join(ctx.dir, 'images'),
      '--model',
      'mlp:4',
      '--epochs',
      '1',
      '--out',
      out(ctx),
    ],
    names: () => ['6×6', '4×4'],
  },
  {
    name: 'a .png that is not a PNG',
    setup: (ctx) => {
      imageFolder(path.join(ctx.dir, 'images'), { a: 3, b: 3 });
      writeFileSync(path.join(ctx.dir, 'images', 'b', '9.png'), 'not a png');
    },
    args: (ctx) => [
      'train',
      '--dataset',
      'folder',
      '--data-dir',
      path.join(ctx.dir, 'images'),
      '--model',
      'mlp:4',
      '--epochs',
      '1',
      '--out',
      out(ctx),
    ],
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
    args: (ctx) => [
      'train',
      '--dataset',
      'kmnist',
      '--data-dir',
      path.join(ctx.dir, 'idx'),
      '--model',
      'mlp:4',
      '--epochs',
      '1',
      '--out',
      out(ctx),
    ],
    names: () => ['0', 'train'],
  },
  {
    name: 'IDX labels beyond the classes',
    setup: (ctx) => {
      const dir = path.join(ctx.dir, 'idx');
      writeIdxSplit(dir, 'train', 20, { classes: 12 });
      writeIdxSplit(dir, 't10k', 10);
    },
    args: (ctx) => [
      'train',
      '--dataset',
      'kmnist',
      '--data-dir',
      path.join(ctx.dir, 'idx'),
      '--model',
      'mlp:4',
      '--epochs',
      '1',
      '--out',
      out(ctx),
    ],
    names: () => ['label', '10'],
  },
  // --- class 4: damaged files, unwritable folders -----------------------------------------------
  {
    name: 'reconstruct from a run with a truncated weights.bin',
    setup: (ctx) => {
      const dir = ctx.copy(ctx.fixtures.run, 'run');
      truncateSync(path.join(dir, 'weights.bin'), 10);
    },
    args: (ctx) => ['reconstruct', '--run', path.join(ctx.dir, 'run'), '--out', out(ctx)],
    names: (ctx) => [path.join(ctx.dir, 'run', 'weights.bin')],
  },
  {
    name: 'svd of a run with an over-long weights.bin',
    setup: (ctx) => {
      const dir = ctx.copy(ctx.fixtures.run, 'run');
      appendFileSync(path.join(dir, 'weights.bin'), Buffer.alloc(64));
    },
    args: (ctx) => ['svd', '--run', path.join(ctx.dir, 'run'), '--out', out(ctx)],
    names: (ctx) => [path.join(ctx.dir, 'run', 'weights.bin')],
  },
  {
    name: '--init from a run with a truncated weights.bin',
    setup: (ctx) => {
      const dir = ctx.copy(ctx.fixtures.run, 'run');
      truncateSync(path.join(dir, 'weights.bin'), 10);
    },
    args: (ctx) => T('--init', path.join(ctx.dir, 'run'), '--out', out(ctx)),
    names: (ctx) => [path.join(ctx.dir, 'run', 'weights.bin')],
  },
  {
    name: '--init from a run with a truncated weights.bin (wasm)',
    setup: (ctx) => {
      const dir = ctx.copy(ctx.fixtures.run, 'run');
      truncateSync(path.join(dir, 'weights.bin'), 10);
    },
    args: (ctx) => [
      ...T('--init', path.join(ctx.dir, 'run'), '--out', out(ctx)).filter(
        (a) => a !== 'cpu' && a !== '--backend',
      ),
      '--backend',
      'wasm',
    ],
    names: (ctx) => [path.join(ctx.dir, 'run', 'weights.bin')],
  },
  {
    name: 'reconstruct from a run with a corrupt model.json',
    setup: (ctx) => {
      const dir = ctx.copy(ctx.fixtures.run, 'run');
      writeFileSync(path.join(dir, 'model.json'), '{"modelTopology": ');
    },
    args: (ctx) => ['reconstruct', '--run', path.join(ctx.dir, 'run'), '--out', out(ctx)],
    names: (ctx) => [path.join(ctx.dir, 'run', 'model.json')],
  },
  {
    name: 'model.json without a topology',
    setup: (ctx) => {
      const dir = ctx.copy(ctx.fixtures.run, 'run');
      writeFileSync(path.join(dir, 'model.json'), '{"weightsManifest": []}');
    },
    args: (ctx) => ['svd', '--run', path.join(ctx.dir, 'run'), '--out', out(ctx)],
    names: (ctx) => [path.join(ctx.dir, 'run', 'model.json')],
  },
  {
    name: 'svd of a run with a corrupt config.json',
    setup: (ctx) => {
      const dir = ctx.copy(ctx.fixtures.run, 'run');
      writeFileSync(path.join(dir, 'config.json'), '{"dataset": "peak",');
    },
    args: (ctx) => ['svd', '--run', path.join(ctx.dir, 'run'), '--out', out(ctx)],
    names: (ctx) => [path.join(ctx.dir, 'run', 'config.json')],
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
    setup: (ctx) => {
      const dir = ctx.copy(ctx.fixtures.run, 'run');
      appendFileSync(path.join(dir, 'metrics.jsonl'), '{"epoch": 2, "loss"');
    },
    args: (ctx) => ['report', path.join(ctx.dir, 'run'), '--out', out(ctx)],
    names: (ctx) => [path.join(ctx.dir, 'run', 'metrics.jsonl')],
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
  {
    name: 'compare --out that is a file',
    setup: (ctx) => writeFileSync(path.join(ctx.dir, 'file'), 'x'),
    args: (ctx) => [
      'compare',
      ...TINY,
      '--epochs',
      '1',
      '--seeds',
      '1',
      '--out',
      path.join(ctx.dir, 'file'),
    ],
    names: (ctx) => [path.join(ctx.dir, 'file')],
  },
  {
    name: 'pretrain --out that is a file (checked before training)',
    setup: (ctx) => writeFileSync(path.join(ctx.dir, 'file'), 'x'),
    args: (ctx) => [
      'pretrain',
      ...TINY.slice(0, 6),
      '--layers',
      '4',
      '--epochs',
      '1',
      '--out',
      path.join(ctx.dir, 'file'),
    ],
    names: (ctx) => [path.join(ctx.dir, 'file')],
  },
  {
    name: 'svd --out that is a file',
    setup: (ctx) => writeFileSync(path.join(ctx.dir, 'file'), 'x'),
    args: (ctx) => ['svd', '--run', ctx.fixtures.run, '--out', path.join(ctx.dir, 'file')],
    names: (ctx) => [path.join(ctx.dir, 'file')],
  },
  {
    name: 'reconstruct --out that is a file',
    setup: (ctx) => writeFileSync(path.join(ctx.dir, 'file'), 'x'),
    args: (ctx) => ['reconstruct', '--run', ctx.fixtures.run, '--out', path.join(ctx.dir, 'file')],
    names: (ctx) => [path.join(ctx.dir, 'file')],
  },
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
    setup: (ctx) => {
      const dir = ctx.copy(ctx.fixtures.run, 'run');
      truncateSync(path.join(dir, 'weights.bin'), 10);
    },
    args: (ctx) => ['svd', '--run', path.join(ctx.dir, 'run'), '--out', out(ctx)],
    names: (ctx) => [path.join(ctx.dir, 'run', 'weights.bin')],
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

/** Runs one case in a fresh sandbox. */
export async function runCase(
  item: BadInput,
  fixtures: Fixtures,
  timeoutMs = 120_000,
): Promise<CaseOutcome> {
  const dir = mkdtempSync(path.join(tmpdir(), 'reglab-bad-input-'));
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
