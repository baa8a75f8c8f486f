/**
 * The browser's stand-in for `src/train/checkpoint.ts` (see vite.config.ts): the lab keeps its
 * state in memory and exports models as files, so checkpoints on disk never happen here.
 */
import { ReglabError } from '../../src/core/errors.js';

function unavailable(): never {
  throw new ReglabError(
    'checkpoints on disk are not available in the browser',
    'export the model (model.json + weights.bin) instead',
  );
}

export const saveCheckpoint = unavailable;
export const loadCheckpoint = unavailable;
export const hasCheckpoint = unavailable;
