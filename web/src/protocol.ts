/**
 * The messages between the page (main.ts) and the training worker (worker.ts). The worker owns
 * every tensor; the page receives plain numbers and pixel arrays and only draws.
 */
import type { RawImages, RunConfig, StepResult } from '../../src/browser.js';
import type { LabSettings } from './settings.js';

/** The user's own images, decoded by the page (user-images.ts) and sent to the worker. */
export interface UserImages {
  readonly classNames: readonly string[];
  readonly train: RawImages;
  readonly test: RawImages;
}

/** Page → worker. */
export type Command =
  | {
      type: 'configure';
      settings: LabSettings;
      /** Where the built page's data/ folder is (the MNIST slice). */
      dataUrl: string;
      images?: UserImages;
      /** One backend to use (`backend=` in the URL), else the fastest that starts. */
      backend?: string;
    }
  | { type: 'run' }
  | { type: 'pause' }
  | { type: 'step' }
  | { type: 'reconstruct'; pixels: Float32Array }
  | { type: 'export' }
  | { type: 'import'; modelJson: string; weights: ArrayBuffer };

/** One image as the page draws it: values in [0, 1] after the library's per-image scaling. */
export interface Picture {
  data: Float32Array;
  height: number;
  width: number;
  channels: number;
}

/** The views, computed by the worker at a steady rate. */
export interface Views {
  step: number;
  /** Test loss and accuracy at this step. */
  test: { loss: number; accuracy: number };
  /** Inputs and their reverse-pass reconstructions d'₁, in pairs; or why there are none. */
  reconstructions: { inputs: Picture[]; outputs: Picture[] } | { missing: string };
  /** The first weight layer's right singular vectors (largest σ first) and all its σ. */
  singular: { layer: string; pictures: Picture[]; sigmas: number[] } | { missing: string };
  /** Monitor outputs: `activations/<site>/{mean,var,sw1}`, `mi/<block>/{ixt,ity}`. */
  monitors: Record<string, number>;
  /** Max constraint residual per constrained variable (Langevin optimizers only). */
  residuals?: Record<string, number>;
}

/** Worker → page. */
export type Report =
  | {
      type: 'ready';
      backend: string;
      /** The canonical config of the run, as `reglab train` would store it in config.json. */
      config: RunConfig;
      /** What the settings asked for that the run does not use. */
      notes: string[];
      summary: string;
      /** Live tensors after setup (a reset that leaks shows a growing number). */
      tensors: number;
      trainSize: number;
      testSize: number;
      sampleShape: number[];
    }
  | { type: 'steps'; first: number; results: StepResult[]; stepsPerSecond: number }
  | { type: 'views'; views: Views }
  | { type: 'paused'; step: number }
  | { type: 'reconstruction'; input: Picture; output: Picture }
  | { type: 'exported'; modelJson: string; weights: ArrayBuffer }
  | { type: 'imported'; summary: string; views: Views }
  | { type: 'error'; message: string; hint?: string };
