/**
 * Reading a finished run folder (what `reglab train --out DIR` writes) for the analysis
 * commands: its config (which data set, which options) and its trained model.
 */
import path from 'node:path';
import type * as tfl from '@tensorflow/tfjs-layers';
import { check, ReglabError } from '../core/errors.js';
import type { DataSplit } from '../data/dataset.js';
import { pathExists } from '../core/fs.js';
import { loadRunData, readRunConfig, type RunConfig } from './run.js';
// Registers the racecar custom layers (residual blocks), so their models load.
import '../methods/racecar/index.js';
import { loadModel } from '../models/io.js';

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
