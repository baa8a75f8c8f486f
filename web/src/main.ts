/**
 * The browser lab's page: settings (form ⇄ URL), the training worker, and the views drawn from
 * what the worker reports. Nothing here computes on tensors: the worker runs the library.
 *
 * Failures are shown, never swallowed: a worker that dies (`error` event), an error the worker
 * reports (with the library's hint) and a worker that sends nothing for 15 s while it should are
 * errors; a page that stops responding (its timer late by more than 5 s while visible) is a
 * warning with the time it was blocked (training goes on in the worker).
 */
import type { RunConfig } from '../../src/browser.js';
import { Controls } from './controls.js';
import { DrawPad } from './draw-pad.js';
import { download, downloadViewPng } from './files.js';
import { RunHistory } from './history.js';
import type { Command, Report, UserImages, Views } from './protocol.js';
import {
  DEFAULT_SETTINGS,
  settingsFromQuery,
  settingsToQuery,
  type LabSettings,
} from './settings.js';
import { decodeImages, droppedEntries, pickedEntries, zipEntries } from './user-images.js';
import { drawChart } from './views/chart.js';
import { drawGrid, drawMessage, drawPairs } from './views/pictures.js';

const WORKER_SILENCE_MS = 15_000;
const PAGE_STALL_MS = 5_000;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const canvas = (id: string) => $<HTMLCanvasElement>(id);

/** What the e2e test reads (tests/e2e): the page's state, no hidden behaviour. */
interface LabState {
  backend: string;
  step: number;
  running: boolean;
  configured?: LabSettings;
  config?: RunConfig;
  history: RunHistory;
  views?: Views;
  errors: string[];
  warnings: string[];
  stepsPerSecond: number;
  reconstructionsDrawn: number;
  imported?: { summary: string; singularVectors: number };
}

const state: LabState = {
  backend: '',
  step: 0,
  running: false,
  history: new RunHistory(),
  errors: [],
  warnings: [],
  stepsPerSecond: NaN,
  reconstructionsDrawn: 0,
};
(window as unknown as { reglabLab: LabState }).reglabLab = state;

const query = new URLSearchParams(location.search);
const controls = new Controls($<HTMLFormElement>('controls'));
let userImages: UserImages | undefined;
let lastMessage = performance.now();
let awaiting = false;
let dirty = false;

function showError(message: string, hint?: string): void {
  state.errors.push(message);
  state.running = false;
  const box = $('error');
  box.textContent = hint ? `${message}\n→ ${hint}` : message;
  box.className = '';
  box.hidden = false;
  setStatus('stopped by an error');
}

function showWarning(message: string, hint: string): void {
  state.warnings.push(message);
  const box = $('error');
  if (!box.hidden && box.className !== 'warning') return; // an error stays visible
  box.textContent = `${message}\n→ ${hint}`;
  box.className = 'warning';
  box.hidden = false;
}

function clearError(): void {
  $('error').hidden = true;
}

function setStatus(text: string): void {
  $('status').textContent = text;
}

// The worker and its health.
const worker = new Worker(new URL('./worker/worker.ts', import.meta.url), { type: 'module' });
worker.addEventListener('error', (event) => {
  event.preventDefault();
  showError(
    `the training worker died: ${event.message || 'it could not be loaded'}`,
    'reload the page',
  );
});
worker.addEventListener('messageerror', () =>
  showError('a message from the training worker could not be read'),
);
worker.addEventListener('message', (event: MessageEvent<Report>) => {
  lastMessage = performance.now();
  onReport(event.data);
});

function send(command: Command, transfer: Transferable[] = []): void {
  lastMessage = performance.now();
  awaiting = command.type !== 'pause';
  worker.postMessage(command, transfer);
}

let lastTick = performance.now();
setInterval(() => {
  const now = performance.now();
  if (document.visibilityState === 'visible' && now - lastTick > PAGE_STALL_MS)
    showWarning(
      `the page did not respond for ${((now - lastTick) / 1000).toFixed(1)} s`,
      'the machine is busy or a view took long to draw; training goes on in the worker',
    );
  if ((state.running || awaiting) && now - lastMessage > WORKER_SILENCE_MS)
    showError(
      `the training worker stopped responding (no message for ${((now - lastMessage) / 1000).toFixed(0)} s)`,
      'a step may be too slow for this backend: use a smaller model or batch, or reload',
    );
  lastTick = now;
}, 500);
document.addEventListener('visibilitychange', () => (lastTick = performance.now()));

// Settings, URL and run control.
function configure(then?: Command): void {
  let settings: LabSettings;
  try {
    settings = controls.read();
  } catch (error) {
    showError((error as Error).message, 'fix the field and try again');
    return;
  }
  clearError();
  state.configured = settings;
  state.history = new RunHistory();
  state.step = 0;
  state.views = undefined;
  history.replaceState(null, '', `?${settingsToQuery(settings)}${backendParam()}`);
  setStatus('setting up…');
  send({
    type: 'configure',
    settings,
    dataUrl: new URL('data/', location.href).href,
    images: userImages,
    backend: query.get('backend') ?? undefined,
  });
  pendingAfterReady = then;
  dirty = true;
}

function backendParam(): string {
  const backend = query.get('backend');
  return backend ? `&backend=${encodeURIComponent(backend)}` : '';
}

let pendingAfterReady: Command | undefined;

function changedSinceConfigured(): boolean {
  try {
    return JSON.stringify(controls.read()) !== JSON.stringify(state.configured);
  } catch {
    return true;
  }
}

function command(type: 'run' | 'step'): void {
  if (!state.configured || changedSinceConfigured()) return configure({ type });
  if (type === 'run') state.running = true;
  setStatus(type === 'run' ? 'training' : 'stepping');
  send({ type });
}

$('start').addEventListener('click', () => command('run'));
$('step').addEventListener('click', () => command('step'));
$('pause').addEventListener('click', () => send({ type: 'pause' }));
$('reset').addEventListener('click', () => configure());

function onReport(report: Report): void {
  switch (report.type) {
    case 'ready':
      awaiting = false;
      state.backend = report.backend;
      state.config = report.config;
      $('backend').textContent = `backend: ${report.backend}`;
      $('cli').textContent = cliCommand(report.config);
      $('model-summary').textContent =
        `${report.summary}\n${report.trainSize} training / ${report.testSize} test images [${report.sampleShape}], ${report.tensors} tensors${report.notes.map((note) => `\nnote: ${note}`).join('')}`;
      setStatus('ready');
      if (pendingAfterReady) {
        const next = pendingAfterReady;
        pendingAfterReady = undefined;
        command(next.type as 'run' | 'step');
      }
      break;
    case 'steps':
      state.history.addSteps(report.first, report.results);
      state.step = report.first + report.results.length - 1;
      if (Number.isFinite(report.stepsPerSecond)) {
        state.stepsPerSecond = report.stepsPerSecond;
        $('speed').textContent = `${report.stepsPerSecond.toFixed(1)} steps/s`;
      }
      dirty = true;
      break;
    case 'views':
      awaiting = state.running;
      state.views = report.views;
      state.history.addViews(report.views);
      if (!state.running) setStatus(`step ${report.views.step}`);
      dirty = true;
      break;
    case 'paused':
      state.running = false;
      awaiting = false;
      setStatus(`paused at step ${report.step}`);
      break;
    case 'reconstruction':
      awaiting = false;
      drawPairs(canvas('drawn'), [report.input], [report.output], 1);
      break;
    case 'exported':
      awaiting = false;
      download(new Blob([report.modelJson], { type: 'application/json' }), 'model.json');
      download(new Blob([report.weights]), 'weights.bin');
      break;
    case 'imported':
      awaiting = false;
      state.running = false;
      state.views = report.views;
      state.imported = {
        summary: report.summary,
        singularVectors:
          'pictures' in report.views.singular ? report.views.singular.pictures.length : 0,
      };
      $('model-summary').textContent = `imported: ${report.summary}`;
      setStatus('showing the imported model');
      dirty = true;
      break;
    case 'error':
      awaiting = false;
      showError(report.message, report.hint);
      break;
  }
}

/** The `reglab train` command line of a canonical config. */
function cliCommand(config: RunConfig): string {
  return [
    'npx reglab train',
    config.dataset === 'folder' ? '--dataset folder --data-dir DIR' : `--dataset ${config.dataset}`,
    `--train-size ${config.trainSize} --test-size ${config.testSize}`,
    `--model ${config.model} --optimizer ${config.optimizer}`,
    config.lr === undefined ? '' : `--lr ${config.lr}`,
    ...(config.regs ?? []).map((spec) => `--reg ${spec}`),
    ...(config.constraints ?? []).map((spec) => `--constraint ${spec}`),
    `--batch-size ${config.batchSize} --seed ${config.seed}`,
  ]
    .filter(Boolean)
    .join(' ');
}

// Drawing the views, at most once per animation frame.
function drawViews(): void {
  const h = state.history;
  drawChart(canvas('loss'), h.lossSeries(), { title: 'loss', x: 'step', y: '', logY: true });
  drawChart(canvas('accuracy'), h.accuracySeries(), { title: 'accuracy', x: 'step', y: '' });
  const views = state.views;
  if (views) {
    const r = views.reconstructions;
    if ('missing' in r) drawMessage(canvas('reconstructions'), r.missing);
    else {
      drawPairs(canvas('reconstructions'), r.inputs, r.outputs);
      state.reconstructionsDrawn += 1;
    }
    const s = views.singular;
    if ('missing' in s) drawMessage(canvas('singular'), s.missing);
    else {
      drawGrid(canvas('singular'), s.pictures, { columns: 8, scale: 'clip01' });
      $('singular-caption').textContent =
        `${s.layer}: right singular vectors of Wᵀ (largest σ first) and all ${s.sigmas.length} singular values`;
      drawChart(
        canvas('spectrum'),
        [{ name: '', points: s.sigmas.map((v, i): [number, number] => [i, v]) }],
        {
          title: 'singular values σ',
          x: 'rank',
          y: '',
          kind: 'bars',
        },
      );
    }
  }
  for (const [id, stat, title] of [
    ['act-mean', 'mean', 'mean'],
    ['act-var', 'var', 'variance'],
    ['act-sw1', 'sw1', 'sliced W1 to N(0, I)'],
  ] as const)
    drawChart(canvas(id), h.monitorSeries('activations', stat), { title, x: 'step', y: '' });
  drawChart(canvas('information'), h.informationSeries(), {
    title: 'information plane',
    x: 'I(X;T) bits',
    y: 'I(T;Y)',
    kind: 'trajectory',
    empty: 'no estimate yet (it needs at least 10 test images)',
  });
  drawChart(canvas('residuals'), h.residualSeries(), {
    title: 'max |g(θ)| per constrained variable',
    x: 'step',
    y: '',
    logY: true,
    empty: 'no constrained optimizer in this run',
  });
}

function frame(): void {
  if (dirty) {
    dirty = false;
    drawViews();
  }
  requestAnimationFrame(frame);
}

// Save buttons on every view.
for (const figure of document.querySelectorAll<HTMLElement>('.view')) {
  const button = Object.assign(document.createElement('button'), {
    type: 'button',
    className: 'save',
    textContent: 'PNG',
  });
  button.addEventListener('click', () =>
    downloadViewPng([...figure.querySelectorAll('canvas')], `reglab-${figure.dataset.view}.png`),
  );
  figure.append(button);
}

// The drawing pad.
const pad = new DrawPad(canvas('pad'), (pixels) => {
  if (state.configured || state.imported) send({ type: 'reconstruct', pixels }, [pixels.buffer]);
});
$('clear').addEventListener('click', () => pad.clear());

// Model export and import.
$('export').addEventListener('click', () => send({ type: 'export' }));
$<HTMLInputElement>('import').addEventListener('change', async (event) => {
  const files = [...((event.target as HTMLInputElement).files ?? [])];
  const json = files.find((f) => f.name.endsWith('.json'));
  const weights = files.find((f) => f.name.endsWith('.bin'));
  if (!json || !weights)
    return showError(
      'pick both files: model.json and weights.bin',
      'select the two files of a run folder together',
    );
  clearError();
  const buffer = await weights.arrayBuffer();
  send({ type: 'import', modelJson: await json.text(), weights: buffer }, [buffer]);
});

// The user's images.
async function useImages(entries: Promise<Parameters<typeof decodeImages>[0]>): Promise<void> {
  try {
    $('images-info').textContent = 'decoding…';
    userImages = await decodeImages(await entries);
    const counts = `${userImages.train.labels.length} training / ${userImages.test.labels.length} test images`;
    $('images-info').textContent =
      `${userImages.classNames.length} classes (${userImages.classNames.join(', ')}), ${counts}`;
    ($('controls') as HTMLFormElement).dataset.images = 'yes';
    (document.querySelector('[name=dataset]') as HTMLSelectElement).value = 'images';
  } catch (error) {
    $('images-info').textContent = '';
    showError(
      (error as Error).message,
      'drop a folder with one sub-folder of images per class, or a zip of one',
    );
  }
}
const drop = $('drop');
drop.addEventListener('dragover', (event) => {
  event.preventDefault();
  drop.classList.add('over');
});
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (event) => {
  event.preventDefault();
  drop.classList.remove('over');
  if (event.dataTransfer) void useImages(droppedEntries(event.dataTransfer.items));
});
$<HTMLInputElement>('images-zip').addEventListener('change', (event) => {
  const file = (event.target as HTMLInputElement).files?.[0];
  if (file) void useImages(zipEntries(file));
});
$<HTMLInputElement>('images-folder').addEventListener('change', (event) => {
  const files = (event.target as HTMLInputElement).files;
  if (files) void useImages(Promise.resolve(pickedEntries(files)));
});

// Start: the URL's settings (or the defaults), set up right away.
try {
  controls.show(settingsFromQuery(location.search));
} catch (error) {
  controls.show(DEFAULT_SETTINGS);
  showError((error as Error).message, 'the defaults are shown instead');
}
if (query.get('dataset') !== 'images') configure();
requestAnimationFrame(frame);
