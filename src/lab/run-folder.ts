/**
 * The run folder: its layout, its format version and every read and write of it. `reglab
 * train --out DIR` (through lab/run.ts) writes, the analysis commands and the report read:
 *
 *   config.json     {format, ...RunConfig (canonical), backend}
 *   metrics.jsonl   one line of EpochMetrics per epoch
 *   checkpoint.json + checkpoint-<epoch>.bin   resumable state (train/checkpoint.ts)
 *   model.json + weights.bin                   the final model (tf.loadLayersModel reads it)
 *   result.json     written last: the test numbers; its presence marks a finished run
 *
 * Formats. 1 (the first wave, no `format` field): racecar specs without a start meant the
 * reverse pass from the softmax probabilities, every run stored `lr` and `momentum`, specs were
 * written as given. 2: canonical specs; `lr` only for the TF.js optimizers, `momentum` only for
 * `momentum`. A format-1 config is read by {@link migrateRunConfig}; a newer format than this
 * reglab knows is an error that says to upgrade.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { check, ReglabError } from '../core/errors.js';
import { pathExists, readJson, writeFileAtomic } from '../core/fs.js';
import type { DataSplit } from '../data/dataset.js';
import { loadModel } from '../models/io.js';
import { readsLearningRate, readsMomentum } from '../train/optimizers.js';
import type { EpochMetrics } from '../train/trainer.js';
import { specName } from '../core/spec.js';
import { canonicalRunConfig, loadRunData, type RunConfig, type RunResult } from './run-config.js';

/** The format `config.json` is written in (see the file comment). */
export const RUN_FORMAT = 2;

/** What `config.json` holds on disk. */
export type StoredRunConfig = RunConfig & { format?: number; backend?: string };

/**
 * A config as this reglab reads it: format 1 upgraded (racecar's old default start made
 * explicit, `lr`/`momentum` dropped where the optimizer never read them), format 2 as is.
 * @throws ReglabError for a format newer than {@link RUN_FORMAT}.
 */
export function migrateRunConfig(stored: StoredRunConfig, file = 'config.json'): RunConfig {
  const { format = 1, backend: _backend, ...config } = stored;
  if (!Number.isInteger(format) || format < 1 || format > RUN_FORMAT)
    throw new ReglabError(
      `${file} has format ${format}, but this reglab reads formats 1 to ${RUN_FORMAT}`,
      'upgrade reglab (npm install reglab@latest) to read it',
    );
  if (format >= 2) return config;
  const optimizer = specName(config.optimizer ?? 'adam');
  return {
    ...config,
    regs: (config.regs ?? []).map(explicitOldRacecarStart),
    lr: readsLearningRate(optimizer) ? config.lr : undefined,
    momentum: readsMomentum(optimizer) ? config.momentum : undefined,
  };
}

/** Format 1's racecar default started from the probabilities: say so in the spec. */
function explicitOldRacecarStart(spec: string): string {
  const [body, targets] = spec.split('@', 2);
  const parts = body.split(':');
  if (parts[0] !== 'racecar') return spec;
  const startWords = ['output', 'logits', 'pre-softmax', 'probabilities'];
  if (parts.some((part) => startWords.includes(part) || part.startsWith('start='))) return spec;
  const upgraded = [parts[0], 'probabilities', ...parts.slice(1)].join(':');
  return targets === undefined ? upgraded : `${upgraded}@${targets}`;
}

/** The config of a run folder, migrated to the current format (not yet canonical). */
export async function readRunConfig(dir: string): Promise<RunConfig> {
  const file = path.join(dir, 'config.json');
  return migrateRunConfig(await readJson<StoredRunConfig>(file), file);
}

/**
 * Writes `config.json` (canonical, this format), refusing to mix two runs in one folder: a
 * folder that already holds a different config (another model, seed, term, …) is an error,
 * not a silent resume. `config` must be canonical ({@link canonicalRunConfig}).
 */
export async function writeRunConfig(dir: string, config: RunConfig): Promise<void> {
  const file = path.join(dir, 'config.json');
  if (await pathExists(file)) {
    const previous = canonicalRunConfig(await readRunConfig(dir));
    if (stableJson(previous) !== stableJson(config)) {
      throw new ReglabError(
        `run folder ${dir} holds a different run (its config.json differs)`,
        'choose another --out, or delete the folder to start afresh',
      );
    }
  }
  const stored: StoredRunConfig = { format: RUN_FORMAT, ...config, backend: tf.getBackend() };
  await writeFileAtomic(file, JSON.stringify(stored, null, 2));
}

/** JSON with sorted keys, for comparing configs. */
function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)),
        )
      : v,
  );
}

/** The epoch metrics of a run folder (empty when it has none yet). */
export async function readMetrics(dir: string): Promise<EpochMetrics[]> {
  const file = path.join(dir, 'metrics.jsonl');
  const text = await fs.readFile(file, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line, k) => {
      try {
        return JSON.parse(line) as EpochMetrics;
      } catch {
        throw new ReglabError(
          `${file} line ${k + 1} is not valid JSON`,
          'the file is corrupt; delete it and resume the run to rebuild it',
        );
      }
    });
}

/** Writes every epoch's metrics (the whole file, atomically). */
export async function writeMetrics(dir: string, metrics: readonly EpochMetrics[]): Promise<void> {
  await writeFileAtomic(
    path.join(dir, 'metrics.jsonl'),
    metrics.map((m) => JSON.stringify(m)).join('\n') + '\n',
  );
}

/** The result of a finished run folder, or undefined when it has not finished. */
export async function readResult(dir: string): Promise<RunResult | undefined> {
  const file = path.join(dir, 'result.json');
  return (await pathExists(file)) ? readJson<RunResult>(file) : undefined;
}

/** Writes `result.json`, the mark of a finished run (last). */
export async function writeResult(dir: string, result: RunResult): Promise<void> {
  await writeFileAtomic(path.join(dir, 'result.json'), JSON.stringify(result, null, 2));
}

/** The files an analysis command needs in a run folder. */
export const RUN_FOLDER_FILES = ['config.json', 'model.json', 'weights.bin'] as const;

const RUN_FOLDER_HINT =
  'a run folder is what `reglab train --out DIR` writes: config.json (data set and model options), ' +
  'model.json + weights.bin (the trained model, saved when training finishes) and metrics.jsonl';

/** A loaded run folder. */
export interface RunFolder {
  dir: string;
  config: RunConfig;
  model: tfl.LayersModel;
}

/** Checks the folder, reads `config.json` and loads the model. */
export async function openRunFolder(dir: string): Promise<RunFolder> {
  if (!(await pathExists(dir)))
    throw new ReglabError(`run folder ${dir} does not exist`, RUN_FOLDER_HINT);
  const missing: string[] = [];
  for (const file of RUN_FOLDER_FILES)
    if (!(await pathExists(path.join(dir, file)))) missing.push(file);
  if (missing.length > 0) {
    throw new ReglabError(
      `run folder ${dir} has no ${missing.join(', ')} (is the run finished?)`,
      RUN_FOLDER_HINT,
    );
  }
  const config = await readRunConfig(dir);
  check(
    typeof config.dataset === 'string',
    `${path.join(dir, 'config.json')} names no data set`,
    RUN_FOLDER_HINT,
  );
  const model = await loadModel(path.join(dir, 'model.json'));
  return { dir, config, model };
}

/** The run's data (train and test as it trained), or another data set with the same options. */
export function runFolderData(config: RunConfig, dataset?: string): DataSplit {
  return loadRunData(dataset ? { ...config, dataset } : config);
}

/**
 * The files that make a finished run folder, in the order they are written (`result.json`,
 * the mark of a finished run, last). The checkpoint is not among them: a finished run does not
 * resume. The queue (lab/queue/) carries these from a worker to the coordinator.
 */
export const RUN_ARTEFACTS = [
  'config.json',
  'metrics.jsonl',
  'model.json',
  'weights.bin',
  'result.json',
] as const;

/** A finished run folder's {@link RUN_ARTEFACTS} as bytes (a missing one is an error). */
export async function readRunArtefacts(dir: string): Promise<Record<string, Uint8Array>> {
  const files: Record<string, Uint8Array> = {};
  for (const name of RUN_ARTEFACTS) {
    files[name] = await fs.readFile(path.join(dir, name)).catch(() => {
      throw new ReglabError(
        `run folder ${dir} has no ${name}`,
        'only a finished run (result.json written) can be read whole',
      );
    });
  }
  return files;
}

/**
 * Writes a finished run's {@link RUN_ARTEFACTS} into `dir` (each atomically, `result.json`
 * last). `init`, when given, replaces the `init` of `config.json`: a transfer run trained on
 * another machine from its copy of the weights records the folder they came from here.
 */
export async function writeRunArtefacts(
  dir: string,
  files: Readonly<Record<string, Uint8Array>>,
  init?: string,
): Promise<void> {
  const missing = RUN_ARTEFACTS.filter((name) => !(name in files));
  const extra = Object.keys(files).filter(
    (name) => !(RUN_ARTEFACTS as readonly string[]).includes(name),
  );
  if (missing.length > 0 || extra.length > 0)
    throw new ReglabError(
      `a run's files for ${dir} ${missing.length ? `lack ${missing.join(', ')}` : `include unknown ${extra.join(', ')}`}`,
      `a finished run is exactly ${RUN_ARTEFACTS.join(', ')}; was it sent by another reglab version?`,
    );
  await fs.mkdir(dir, { recursive: true });
  for (const name of RUN_ARTEFACTS) {
    let bytes = files[name];
    if (name === 'config.json' && init !== undefined) {
      const stored = JSON.parse(Buffer.from(bytes).toString('utf8')) as StoredRunConfig;
      bytes = Buffer.from(JSON.stringify({ ...stored, init }, null, 2));
    }
    await writeFileAtomic(path.join(dir, name), bytes);
  }
}
