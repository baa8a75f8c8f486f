/**
 * The training worker: owns the backend, the data, the model and every tensor, so the page
 * stays responsive while it trains. Training runs in time slices (~40 ms of steps, then a yield
 * so `pause` and other commands get through); step numbers go to the page every 100 ms and the
 * views every second, so the page's views update at a steady rate whatever the step time.
 * Every failure is reported as an `error` message with the library's hint.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { ReglabError, subset, type DataSplit, type StepResult } from '../../../src/browser.js';
import type { Command, Report, Views } from '../protocol.js';
import { backendOrder, startBackend } from './backend.js';
import { loadLabData } from './data.js';
import { LabSession, modelViews, reconstructOne } from './session.js';

const SLICE_MS = 40;
const STEPS_EVERY_MS = 100;
const VIEWS_EVERY_MS = 1000;

let backend: Promise<string> | undefined;
let session: LabSession | undefined;
let running = false;
let imported: tfl.LayersModel | undefined;

function post(report: Report, transfer: Transferable[] = []): void {
  (self as unknown as Worker).postMessage(report, transfer);
}

function reportError(error: unknown): void {
  running = false;
  const { message, hint } = error as ReglabError;
  post({
    type: 'error',
    message: error instanceof ReglabError && hint ? message.replace(` — ${hint}`, '') : message,
    hint,
  });
}

function current(): LabSession {
  if (!session) throw new ReglabError('no run is set up yet', 'press Reset to build the run');
  return session;
}

/** Trains until paused, posting steps and views at their rates (see the file comment). */
async function loop(): Promise<void> {
  const run = current();
  let pending: StepResult[] = [];
  let first = run.trainer.step + 1;
  let lastSteps = performance.now();
  let lastViews = performance.now();
  let timed = { steps: 0, since: performance.now() };
  while (running && session === run) {
    const sliceEnd = performance.now() + SLICE_MS;
    while (running && performance.now() < sliceEnd) pending.push(run.step());
    const now = performance.now();
    if (now - lastSteps >= STEPS_EVERY_MS) {
      timed.steps += pending.length;
      const stepsPerSecond = (1000 * timed.steps) / (now - timed.since);
      post({ type: 'steps', first, results: pending, stepsPerSecond });
      if (now - timed.since > 5000) timed = { steps: 0, since: now };
      first += pending.length;
      pending = [];
      lastSteps = now;
    }
    if (now - lastViews >= VIEWS_EVERY_MS) {
      post({ type: 'views', views: run.views() });
      lastViews = performance.now();
    }
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  if (pending.length) post({ type: 'steps', first, results: pending, stepsPerSecond: NaN });
  if (session === run) {
    post({ type: 'views', views: run.views() });
    post({ type: 'paused', step: run.trainer.step });
  }
}

async function configure(command: Extract<Command, { type: 'configure' }>): Promise<void> {
  running = false;
  backend ??= startBackend(backendOrder(command.backend));
  const backendLine = await backend;
  session?.dispose();
  session = undefined;
  const data: DataSplit = await loadLabData(command.settings, command.dataUrl, command.images);
  session = LabSession.create(command.settings, data);
  post({
    type: 'ready',
    backend: backendLine,
    config: session.config,
    notes: session.notes,
    summary: modelSummary(session.model),
    trainSize: data.train.labels.length,
    testSize: data.test.labels.length,
    sampleShape: [...data.train.sampleShape],
    tensors: tf.memory().numTensors,
  });
  post({ type: 'views', views: session.views() });
}

function modelSummary(model: tfl.LayersModel): string {
  return model.layers
    .filter((layer) => layer.countParams() > 0 || layer.getClassName() !== 'InputLayer')
    .map((layer) => `${layer.name}[${layer.outputShape.toString().replace(/^,/, '')}]`)
    .join(' → ');
}

/** model.json (the layout `tf.loadLayersModel` and reglab's run folders use) + weights.bin. */
async function exportModel(model: tfl.LayersModel): Promise<void> {
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const { weightData, weightSpecs, ...rest } = artifacts;
      const weights = Array.isArray(weightData)
        ? tf.io.concatenateArrayBuffers(weightData)
        : (weightData ?? new ArrayBuffer(0));
      const modelJson = JSON.stringify({
        ...rest,
        weightsManifest: [{ paths: ['./weights.bin'], weights: weightSpecs ?? [] }],
      });
      post({ type: 'exported', modelJson, weights }, [weights]);
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    }),
  );
}

/** Loads a model.json + weights.bin (e.g. a CLI run folder's) and shows what it has inside. */
async function importModel(modelJson: string, weights: ArrayBuffer): Promise<void> {
  let json: tf.io.ModelJSON;
  try {
    json = JSON.parse(modelJson) as tf.io.ModelJSON;
  } catch (error) {
    throw new ReglabError(
      `model.json is not JSON (${(error as Error).message})`,
      'pick the model.json of a run folder',
    );
  }
  if (!json.modelTopology || !Array.isArray(json.weightsManifest))
    throw new ReglabError(
      'model.json has no modelTopology or weightsManifest',
      'pick the model.json a TF.js save wrote',
    );
  const artifacts = await tf.io.getModelArtifactsForJSON(json, async (manifest) => [
    manifest.flatMap((group) => group.weights),
    weights,
  ]);
  imported?.dispose();
  imported = await tfl.loadLayersModel(tf.io.fromMemory(artifacts));
  const shape = imported.inputs[0].shape.slice(1).join(',');
  const test = session?.data.test;
  const fits = test && test.sampleShape.join(',') === shape;
  const shown = fits
    ? subset(test, 8)
    : { missing: `the model reads [${shape}], the lab's data is [${test?.sampleShape ?? '–'}]` };
  const views: Views = {
    step: 0,
    test: { loss: NaN, accuracy: NaN },
    ...modelViews(imported, shown),
    monitors: {},
  };
  post({ type: 'imported', summary: modelSummary(imported), views });
}

async function handle(command: Command): Promise<void> {
  switch (command.type) {
    case 'configure':
      return configure(command);
    case 'run':
      if (running) return;
      running = true;
      return loop();
    case 'pause':
      running = false;
      return;
    case 'step': {
      running = false;
      const run = current();
      const result = run.step();
      post({ type: 'steps', first: run.trainer.step, results: [result], stepsPerSecond: NaN });
      post({ type: 'views', views: run.views() });
      return;
    }
    case 'reconstruct': {
      const [input, output] = reconstructOne(imported ?? current().model, command.pixels);
      post({ type: 'reconstruction', input, output });
      return;
    }
    case 'export':
      return exportModel(current().model);
    case 'import':
      return importModel(command.modelJson, command.weights);
  }
}

self.addEventListener('message', (event: MessageEvent<Command>) => {
  handle(event.data).catch(reportError);
});
