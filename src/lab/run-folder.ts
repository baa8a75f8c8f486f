/**
 * The folders reglab writes — run folders, experiment folders, pretrain stacks — their layout,
 * their format versions and every read and write of them; each read is checked against a schema
 * (core/schema.ts), so a damaged or foreign file is a named error, never an unchecked cast.
 * `reglab train --out DIR` (through lab/run.ts) writes a run folder; the analysis commands and
 * the report read it:
 *
 *   config.json     {format, ...RunConfig (canonical), backend}
 *   metrics.jsonl   one line of EpochMetrics per epoch
 *   checkpoint.json + checkpoint-<epoch>.bin   resumable state (train/checkpoint.ts)
 *   model.json + weights.bin                   the final model (tf.loadLayersModel reads it)
 *   result.json     written last: the test numbers; its presence marks a finished run
 *   .lock           while a process writes the folder (core/lock.ts)
 *
 * Writing ({@link openRunForWriting}, after the whole run was built and checked). The folder is
 * locked, an interrupted writer's leftovers are deleted (`*.tmp`, checkpoint files the manifest
 * does not name), and `metrics.jsonl` is rewritten from the checkpoint's history: the manifest's
 * rename is each epoch's one commit point, the metrics file a view of it, so a kill between the
 * two loses no line. A folder with a `config.json` is then resumed when the config is the same;
 * extended when only `epochs` differs and is not below the epochs already trained (a finished
 * run gets more epochs); re-used when the config differs but its run never finished an epoch
 * (no checkpoint, no result: a run that failed in its first epoch does not block its fix); and
 * refused otherwise, naming the fields that differ. An extended run has the weights of one
 * trained that long at once; with `evalEvery > 1` its old last epoch keeps the validation
 * numbers it got as the last epoch, which the longer run would not have computed.
 *
 * Formats. 1 (the first wave, no `format` field): racecar specs without a start meant the
 * reverse pass from the softmax probabilities, every run stored `lr` and `momentum`, specs were
 * written as given. 2: canonical specs; `lr` only for the TF.js optimizers, `momentum` only for
 * `momentum`. A format-1 config is read by {@link migrateRunConfig}; a newer format than this
 * reglab knows is an error that says to upgrade. Experiment folders (`experiment.json`, lab/
 * compare.ts) have the same formats 1 and 2; pretrain stacks ({@link PRETRAIN_FORMAT}) format 1.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { check, ReglabError } from '../core/errors.js';
import {
  pathExists,
  readJson,
  removeTemporaries,
  writeFileAtomic,
  readChecked,
} from '../core/fs.js';
import { lockFolder, type FolderLock } from '../core/lock.js';
import {
  array,
  boolean,
  integer,
  measured,
  number,
  object,
  oneOf,
  optional,
  parseChecked,
  string,
  type Schema,
} from '../core/schema.js';
import type { DataSplit } from '../data/dataset.js';
import { SAMPLINGS, TEST_SETS } from '../data/raw.js';
import { loadModel } from '../models/io.js';
import { ACTIVATIONS } from '../models/zoo.js';
import { readCheckpointState, removeStaleCheckpoints } from '../train/checkpoint.js';
import { readsLearningRate, readsMomentum } from '../train/optimizers.js';
import { EpochMetricsSchema, type EpochMetrics } from '../train/trainer.js';
import { specName } from '../core/spec.js';
import type { ExperimentConfig, MethodSpec } from './matrix.js';
import { removeStaleStackFiles } from '../methods/diversify/generative/dbn.js';
import {
  loadDbnCheckpoint,
  DIVERGENCES,
  type DbnCheckpoint,
  type GenerativeDrOptions,
  type RbmEpochMetrics,
} from '../methods/diversify/generative/index.js';
import { canonicalRunConfig, loadRunData, type RunConfig, type RunResult } from './run-config.js';

/** The format `config.json` is written in (see the file comment). */
export const RUN_FORMAT = 2;

/** What `config.json` holds on disk. */
export type StoredRunConfig = RunConfig & { format?: number; backend?: string };

/** The fields of a {@link RunConfig}, checked (format 1 may lack the optimizer: `adam`). */
const runConfigFields = {
  dataset: string,
  dataDir: optional(string),
  trainSize: optional(integer),
  testSize: optional(integer),
  sampling: optional(oneOf(...SAMPLINGS)),
  testSet: optional(oneOf(...TEST_SETS)),
  rawPixels: optional(boolean),
  transfer: optional(string),
  model: string,
  activation: optional(oneOf(...ACTIVATIONS)),
  batchNorm: optional(boolean),
  init: optional(string),
  epochs: integer,
  batchSize: integer,
  lr: optional(number),
  momentum: optional(number),
  constraints: optional(array(string)),
  regs: optional(array(string)),
  track: optional(array(string)),
  seed: number,
  monitorSamples: optional(integer),
  evalEvery: optional(integer),
};

const StoredRunConfigSchema: Schema<StoredRunConfig> = (value, at) => {
  const { optimizer, ...rest } = object({
    ...runConfigFields,
    optimizer: optional(string),
    format: optional(integer),
    backend: optional(string),
  })(value, at);
  return { ...rest, optimizer: optimizer ?? 'adam' };
};

/**
 * The `format` of a parsed file (1 when absent), checked against the newest this reglab reads.
 * @throws ReglabError for a newer (or nonsensical) format, saying to upgrade.
 */
function checkFormat(file: string, value: unknown, newest: number): number {
  const format =
    typeof value === 'object' && value !== null && 'format' in value ? value.format : 1;
  if (typeof format !== 'number' || !Number.isInteger(format) || format < 1 || format > newest)
    throw new ReglabError(
      `${file} has format ${JSON.stringify(format)}, but this reglab reads formats 1 to ${newest}`,
      'upgrade reglab (npm install reglab@latest) to read it',
    );
  return format;
}

/**
 * A config as this reglab reads it: format 1 upgraded (racecar's old default start made
 * explicit, `lr`/`momentum` dropped where the optimizer never read them), format 2 as is.
 * @throws ReglabError for a format newer than {@link RUN_FORMAT}.
 */
export function migrateRunConfig(stored: StoredRunConfig, file = 'config.json'): RunConfig {
  const format = checkFormat(file, stored, RUN_FORMAT);
  const { format: _format, backend: _backend, ...config } = stored;
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

/** The config of a run folder, checked and migrated to the current format (not yet canonical). */
export async function readRunConfig(dir: string): Promise<RunConfig> {
  const file = path.join(dir, 'config.json');
  const value = await readJson<unknown>(file);
  checkFormat(file, value, RUN_FORMAT);
  return migrateRunConfig(parseChecked(file, value, StoredRunConfigSchema), file);
}

/** Writes `config.json` (canonical, this format); see {@link openRunForWriting} for the rules. */
async function writeRunConfig(dir: string, config: RunConfig): Promise<void> {
  const stored: StoredRunConfig = { format: RUN_FORMAT, ...config, backend: tf.getBackend() };
  await writeFileAtomic(path.join(dir, 'config.json'), JSON.stringify(stored, null, 2));
}

/** The files of a run folder's layout (see the file comment), deleted when a folder is re-used. */
const RUN_LAYOUT = ['config.json', 'metrics.jsonl', 'model.json', 'weights.bin', 'result.json'];

/** A run folder opened for writing by {@link openRunForWriting}. */
export interface RunWriter {
  readonly dir: string;
  /** What happened to the folder: `new`, `resumed` (epochs already trained), `extended`, `reused`. */
  readonly opening: 'new' | 'resumed' | 'extended' | 'reused';
  /** Epochs the checkpoint already holds (0 without one). */
  readonly epochsDone: number;
  /** Unlocks the folder. */
  release(): Promise<void>;
}

/**
 * Locks a run folder for the run `config` (canonical, {@link canonicalRunConfig}), cleans up
 * after an interrupted writer, claims or checks `config.json` and rebuilds `metrics.jsonl` from
 * the checkpoint (see the file comment for the rules). Call it after everything that can be
 * checked without writing was checked: it is the run's first write.
 * @throws ReglabError when another process writes the folder, or it holds a different run.
 */
export async function openRunForWriting(
  dir: string,
  config: RunConfig,
  log: (line: string) => void = () => {},
): Promise<RunWriter> {
  const lock = await lockFolder(dir, 'run folder');
  try {
    return await claimRunFolder(dir, config, lock, log);
  } catch (err) {
    await lock.release();
    throw err;
  }
}

async function claimRunFolder(
  dir: string,
  config: RunConfig,
  lock: FolderLock,
  log: (line: string) => void,
): Promise<RunWriter> {
  const leftovers = [...(await removeTemporaries(dir)), ...(await removeStaleCheckpoints(dir))];
  if (leftovers.length > 0)
    log(`run folder ${dir}: removed an interrupted write's ${leftovers.join(', ')}`);
  const checkpoint = await readCheckpointState(dir);
  const epochsDone = checkpoint?.epoch ?? 0;
  let opening: RunWriter['opening'] = checkpoint ? 'resumed' : 'new';
  if (await pathExists(path.join(dir, 'config.json'))) {
    if (await isPretrainFolder(dir))
      throw new ReglabError(
        `${dir} is a pretrain stack (reglab pretrain), not the folder of this run`,
        `train into another --out and start from the stack with --init ${dir}`,
      );
    const previous = canonicalRunConfig(await readRunConfig(dir));
    const differing = differingFields(previous, config);
    const finished =
      (await pathExists(path.join(dir, 'result.json'))) ||
      (await pathExists(path.join(dir, 'model.json')));
    if (differing.length === 1 && differing[0] === 'epochs') {
      if (config.epochs < epochsDone)
        throw new ReglabError(
          `run folder ${dir} already trained ${epochsDone} epochs; --epochs ${config.epochs} would go back`,
          `ask for --epochs ${epochsDone} or more to extend it, or choose another --out`,
        );
      // result.json goes first: a kill before the new config.json leaves an unfinished old run
      await fs.rm(path.join(dir, 'result.json'), { force: true });
      const change = config.epochs > previous.epochs ? 'extending' : 'shortening';
      log(
        `run folder ${dir}: ${change} the run from ${previous.epochs} to ${config.epochs} epochs (${epochsDone} trained)`,
      );
      opening = 'extended';
    } else if (differing.length > 0) {
      if (checkpoint || finished)
        throw new ReglabError(
          `run folder ${dir} holds a different run (${differing.map((k) => describeField(k, previous, config)).join('; ')})`,
          'choose another --out, or delete the folder to start afresh (only --epochs may change, to extend a run)',
        );
      for (const file of RUN_LAYOUT) await fs.rm(path.join(dir, file), { force: true });
      log(
        `run folder ${dir} held a different run that never finished an epoch (${differing.join(', ')} differ): re-using the folder for this one`,
      );
      opening = 'reused';
    }
  }
  if (opening !== 'resumed' || !(await pathExists(path.join(dir, 'config.json'))))
    await writeRunConfig(dir, config);
  const history = checkpoint ? await checkpointHistory(dir, checkpoint.extra) : [];
  await writeMetrics(dir, history);
  return { dir, opening, epochsDone, release: () => lock.release() };
}

/** The history a checkpoint's `extra` holds (the trainer stores it there), checked. */
function checkpointHistory(
  dir: string,
  extra: Record<string, unknown> | undefined,
): EpochMetrics[] {
  return parseChecked(
    path.join(dir, 'checkpoint.json'),
    extra?.history ?? [],
    array(EpochMetricsSchema),
  );
}

/** The top-level fields in which two configs differ (sorted). */
function differingFields<C extends object>(a: C, b: C): string[] {
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  const field = (config: C, key: string) => stableJson(Reflect.get(config, key));
  return keys.filter((key) => field(a, key) !== field(b, key));
}

function describeField<C extends object>(key: string, was: C, now: C): string {
  const show = (config: C) => JSON.stringify(Reflect.get(config, key)) ?? 'unset';
  return `${key}: ${show(was)} there, ${show(now)} now`;
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

/** The epoch metrics of a run folder (empty when it has none yet), each line checked. */
export async function readMetrics(dir: string): Promise<EpochMetrics[]> {
  const file = path.join(dir, 'metrics.jsonl');
  const text = await fs.readFile(file, 'utf8').catch(() => '');
  const hint =
    'the file is damaged; delete it and run the same train command to rebuild it from the checkpoint';
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line, k) => {
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        throw new ReglabError(`${file} line ${k + 1} is not valid JSON`, hint);
      }
      return parseChecked(`${file} line ${k + 1}`, value, EpochMetricsSchema, hint);
    });
}

/** Writes every epoch's metrics (the whole file, atomically; no file for none). */
export async function writeMetrics(dir: string, metrics: readonly EpochMetrics[]): Promise<void> {
  const file = path.join(dir, 'metrics.jsonl');
  if (metrics.length === 0) await fs.rm(file, { force: true });
  else await writeFileAtomic(file, metrics.map((m) => JSON.stringify(m)).join('\n') + '\n');
}

const RunResultSchema: Schema<RunResult> = object({
  testLoss: measured,
  testAccuracy: measured,
  trainAccuracy: measured,
  epochs: integer,
  seconds: number,
  backend: string,
  history: array(EpochMetricsSchema),
});

/** The result of a finished run folder, or undefined when it has not finished. */
export async function readResult(dir: string): Promise<RunResult | undefined> {
  const file = path.join(dir, 'result.json');
  return (await pathExists(file)) ? readChecked(file, RunResultSchema) : undefined;
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

/** The format `experiment.json` is written in (2: canonical specs, as runs' {@link RUN_FORMAT}). */
export const EXPERIMENT_FORMAT = 2;

const MethodSpecSchema: Schema<MethodSpec> = object({
  label: string,
  regs: array(string),
  optimizer: optional(string),
  lr: optional(number),
  constraints: optional(array(string)),
});

const ExperimentSchema: Schema<ExperimentConfig> = (value, at) => {
  const {
    base,
    format: _format,
    ...rest
  } = object({
    format: optional(integer),
    base: object({ ...runConfigFields, optimizer: optional(string), seed: optional(number) }),
    methods: array(MethodSpecSchema),
    seeds: array(integer),
    transfer: optional(object({ variant: string, epochs: integer })),
    baseline: optional(string),
  })(value, at);
  const { seed: _seed, regs: _regs, optimizer, ...shared } = base;
  return { ...rest, base: { ...shared, optimizer: optimizer ?? 'adam' } };
};

/** The experiment of an experiment folder (`experiment.json`, formats 1 and 2), checked. */
export async function readExperiment(dir: string): Promise<ExperimentConfig> {
  const file = path.join(dir, 'experiment.json');
  const value = await readJson<unknown>(file);
  checkFormat(file, value, EXPERIMENT_FORMAT);
  return parseChecked(file, value, ExperimentSchema);
}

/**
 * Saves `experiment.json` (this format), refusing a folder that holds a different experiment.
 * The caller holds the folder's lock ({@link lockFolder} of core/lock.ts, as lab/compare.ts).
 */
export async function claimExperimentFolder(
  out: string,
  experiment: ExperimentConfig,
): Promise<void> {
  const file = path.join(out, 'experiment.json');
  const previous = await fs.readFile(file, 'utf8').catch(() => undefined);
  const text = JSON.stringify({ format: EXPERIMENT_FORMAT, ...experiment }, null, 2);
  if (previous !== undefined && previous !== text) {
    const old = !/"format"/.test(previous);
    throw new ReglabError(
      `${out} holds a different experiment (experiment.json differs${old ? '; it was written by an older reglab, format 1, whose racecar default started from the probabilities' : ''})`,
      old
        ? 'its results still read with `reglab report`; run the new experiment in another --out'
        : 'choose another --out, or delete the folder',
    );
  }
  await writeFileAtomic(file, text);
}

/**
 * The format a pretrain stack's `config.json` is written in. 1: `{format, command: 'pretrain',
 * …flags, dr, model, activation}` (the first wave wrote the same without `format`, plus the
 * `backend` and `out` flags, which are ignored).
 */
export const PRETRAIN_FORMAT = 1;

/** What defines a pretrain stack (`reglab pretrain`); its `config.json`. */
export interface PretrainConfig {
  command: 'pretrain';
  dataset: string;
  dataDir?: string;
  trainSize?: number;
  testSize?: number;
  rawPixels?: boolean;
  transfer?: string;
  /** Hidden widths, bottom up. */
  layers: number[];
  /** CD epochs per level. */
  epochs: number;
  batchSize: number;
  lr: number;
  k: number;
  persistent?: boolean;
  dr?: GenerativeDrOptions;
  seed: number;
  /** The unrolled model's zoo spec, `mlp:<layers>` (for `train --init`). */
  model: string;
  activation: 'sigmoid';
}

const PretrainConfigSchema: Schema<PretrainConfig> = (value, at) => {
  const {
    format: _f,
    backend: _b,
    out: _o,
    ...config
  } = object({
    format: optional(integer),
    backend: optional(string),
    out: optional(string),
    command: oneOf('pretrain'),
    dataset: string,
    dataDir: optional(string),
    trainSize: optional(integer),
    testSize: optional(integer),
    rawPixels: optional(boolean),
    transfer: optional(string),
    layers: array(integer),
    epochs: integer,
    batchSize: integer,
    lr: number,
    k: integer,
    persistent: optional(boolean),
    dr: optional(
      object({
        divergence: optional(oneOf(...DIVERGENCES)),
        lambda: number,
        maxPairs: optional(integer),
      }),
    ),
    seed: number,
    model: string,
    activation: oneOf('sigmoid'),
  })(value, at);
  return config;
};

/** Whether `config.json` in `dir` is a pretrain stack's (else a run's). */
async function isPretrainFolder(dir: string): Promise<boolean> {
  const value = await readJson<unknown>(path.join(dir, 'config.json'));
  return (
    typeof value === 'object' && value !== null && Reflect.get(value, 'command') === 'pretrain'
  );
}

/** The config of a pretrain stack, checked (formats 1 and the first wave's). */
export async function readPretrainConfig(dir: string): Promise<PretrainConfig> {
  const file = path.join(dir, 'config.json');
  const value = await readJson<unknown>(file);
  checkFormat(file, value, PRETRAIN_FORMAT);
  return parseChecked(file, value, PretrainConfigSchema);
}

/** A pretrain stack opened for writing ({@link openPretrainForWriting}). */
export interface PretrainWriter {
  readonly dir: string;
  /** The stack checkpoint to resume from, when the folder holds one. */
  readonly checkpoint: DbnCheckpoint | undefined;
  /** Unlocks the folder. */
  release(): Promise<void>;
}

/**
 * A pretrain stack's folder, under the rules of a run folder ({@link openRunForWriting}): locked,
 * an interrupted writer's leftovers deleted, `metrics.jsonl` rebuilt from the stack checkpoint;
 * the same config resumes, a different one re-uses a folder whose stack never finished a level
 * and is refused otherwise — and a run folder of `reglab train` is never written over.
 */
export async function openPretrainForWriting(
  dir: string,
  config: PretrainConfig,
  log: (line: string) => void = () => {},
): Promise<PretrainWriter> {
  const lock = await lockFolder(dir, 'pretrain folder');
  try {
    const leftovers = [...(await removeTemporaries(dir)), ...(await removeStaleStackFiles(dir))];
    if (leftovers.length > 0)
      log(`pretrain folder ${dir}: removed an interrupted write's ${leftovers.join(', ')}`);
    let checkpoint = await loadDbnCheckpoint(dir);
    if (await pathExists(path.join(dir, 'config.json'))) {
      if (!(await isPretrainFolder(dir)))
        throw new ReglabError(
          `${dir} is the run folder of a trained run (reglab train), not a pretrain stack`,
          'pretrain into another --out (train can then start from it with --init)',
        );
      const previous = await readPretrainConfig(dir);
      const differing = differingFields(previous, config);
      const finished = await pathExists(path.join(dir, 'model.json'));
      if (differing.length > 0) {
        if (checkpoint || finished)
          throw new ReglabError(
            `pretrain folder ${dir} holds a different stack (${differing.map((k) => describeField(k, previous, config)).join('; ')})`,
            'choose another --out, or delete the folder to start afresh',
          );
        log(
          `pretrain folder ${dir} held a different stack that never finished a level (${differing.join(', ')} differ): re-using the folder`,
        );
        for (const file of RUN_LAYOUT) await fs.rm(path.join(dir, file), { force: true });
        checkpoint = undefined;
      }
    }
    const stored = { format: PRETRAIN_FORMAT, ...config, backend: tf.getBackend() };
    await writeFileAtomic(path.join(dir, 'config.json'), JSON.stringify(stored, null, 2));
    await writePretrainMetrics(dir, checkpoint?.history ?? []);
    return { dir, checkpoint, release: () => lock.release() };
  } catch (err) {
    await lock.release();
    throw err;
  }
}

/** Writes a stack's `metrics.jsonl`: one line `{level, …epoch metrics}` per epoch per level. */
export async function writePretrainMetrics(
  dir: string,
  history: readonly (readonly RbmEpochMetrics[])[],
): Promise<void> {
  const lines = history.flatMap((level, k) =>
    level.map((m) => JSON.stringify({ level: k + 1, ...m })),
  );
  const file = path.join(dir, 'metrics.jsonl');
  if (lines.length === 0) await fs.rm(file, { force: true });
  else await writeFileAtomic(file, lines.join('\n') + '\n');
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
