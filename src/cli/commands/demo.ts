/**
 * `reglab demo`, the main job: a small MLP on an MNIST subset, printing a result table.
 */
import type { Command } from 'commander';
import { trainAction } from './train.js';
import { addBackendOption } from '../options.js';
import type { BackendName } from '../../backend/select.js';

interface DemoFlags {
  backend: BackendName;
  out: string;
}

/** Registers `reglab demo`. */
export function registerDemoCommand(program: Command): void {
  const command = program.command('demo').description('the main job: train a small MLP on MNIST and print the result');
  addBackendOption(command);
  command.option('--out <dir>', 'run folder', 'runs/demo').action(async (flags: DemoFlags) => {
    await trainAction({
      dataset: 'mnist',
      trainSize: 10000,
      testSize: 2000,
      model: 'mlp:256,256',
      activation: 'relu',
      epochs: 3,
      batchSize: 128,
      optimizer: 'adam',
      lr: 1e-3,
      momentum: 0.9,
      constraint: [],
      reg: [],
      track: [],
      seed: 1,
      backend: flags.backend,
      out: flags.out,
    });
  });
}
