/**
 * `npx tsx bench/lab-browser.ts [--seconds 20] [--backends wasm,webgl,webgpu] [--screenshots DIR]`
 *
 * The browser lab's training speed per TF.js backend, measured in the browser: the page is built,
 * served on localhost and opened in Debian's headless Chromium; for each backend it trains RR
 * (`racecar:0.001`, mlp:64, batch 32, the peak set) for `--seconds` and reports the page's own
 * steps/s (the worker's count over its last 5 s, views updating every second, as a user sees it).
 * Without a GPU, WebGL and WebGPU can only run on SwiftShader (Chromium's CPU renderer), started
 * with `--enable-unsafe-swiftshader` / `--enable-unsafe-webgpu`; a backend that does not start is
 * reported with the page's reason. With `--screenshots DIR` it also trains MNIST longer and saves
 * one PNG per view (docs/images/lab-*.png are made this way).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import {
  CHROMIUM_FLAGS,
  buildLab,
  drawStroke,
  labState,
  launchChromium,
  screenshotViews,
  serveLab,
  waitForLab,
} from '../test/web/harness.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const seconds = Number(option('seconds', '20'));
const backends = option('backends', 'wasm,webgl,webgpu').split(',');
const screenshots = option('screenshots', '');

/** Chromium flags per backend: SwiftShader for the GPU backends on a machine without a GPU. */
const FLAGS: Record<string, string[]> = {
  wasm: CHROMIUM_FLAGS,
  webgl: [
    ...CHROMIUM_FLAGS.filter((f) => f !== '--disable-gpu'),
    '--use-angle=swiftshader',
    '--enable-unsafe-swiftshader',
  ],
  webgpu: [
    ...CHROMIUM_FLAGS.filter((f) => f !== '--disable-gpu'),
    '--enable-unsafe-webgpu',
    '--enable-unsafe-swiftshader',
    '--use-webgpu-adapter=swiftshader',
  ],
};

const SETTINGS =
  'dataset=peak&trainSize=500&testSize=100&model=mlp%3A64&method=rr&lambda=0.001' +
  '&reg=racecar%3A0.001&optimizer=adam&lr=0.001&batchSize=32&seed=1';

interface State {
  backend: string;
  step: number;
  stepsPerSecond: number;
  errors: string[];
}

async function measure(page: Page, url: string, backend: string): Promise<string> {
  await page.goto(`${url}?${SETTINGS}&backend=${backend}`);
  try {
    await waitForLab(page, 's.views !== undefined', 120_000);
    const line = await labState(page, (s: State) => s.backend);
    await page.click('#start');
    await page.waitForTimeout(seconds * 1000);
    await page.click('#pause');
    await waitForLab(page, '!s.running');
    const { step, stepsPerSecond } = await labState(page, (s: State) => s);
    return `| ${backend} | ${stepsPerSecond.toFixed(1)} | ${step} | ${line} |`;
  } catch (error) {
    const errors = await labState(page, (s: State) => s.errors).catch(() => []);
    const reason = errors[0] ?? (error as Error).message.split('\n')[0];
    return `| ${backend} | – | – | failed: ${reason} |`;
  }
}

async function views(page: Page, url: string, dir: string): Promise<void> {
  await page.goto(
    `${url}?dataset=mnist&trainSize=2000&testSize=200&model=mlp%3A64&method=rr&lambda=0.001` +
      '&reg=racecar%3A0.001&optimizer=adam&lr=0.001&batchSize=32&seed=1&backend=wasm',
  );
  await waitForLab(page, 's.views !== undefined', 120_000);
  await page.click('#start');
  await waitForLab(page, 's.step >= 600', 600_000);
  await page.click('#pause');
  await waitForLab(page, '!s.running && s.views.step === s.step');
  await drawStroke(page, [
    [60, 40],
    [110, 40],
    [70, 135],
  ]);
  await screenshotViews(page, dir);
  await page.goto(
    `${url}?dataset=peak&trainSize=500&testSize=100&model=mlp%3A32&method=langevin` +
      '&optimizer=cola-ud%3Ah%3D0.3%3Agamma%3D1%3Atau%3D0&constraint=circle%3A0.05%40dense_1&seed=1&backend=wasm',
  );
  await waitForLab(page, 's.views !== undefined', 120_000);
  await page.click('#start');
  await waitForLab(page, 's.step >= 300', 600_000);
  await page.click('#pause');
  await waitForLab(page, '!s.running');
  await screenshotViews(page, dir, ['residuals']);
  await page.evaluate('window.scrollTo(0, 0)');
  await page.screenshot({ path: path.join(dir, 'lab-page.png') });
  console.log(`screenshots: ${dir}/lab-*.png`);
}

const work = mkdtempSync(path.join(tmpdir(), 'reglab-lab-bench-'));
try {
  await buildLab(path.join(work, 'dist'));
  const server = await serveLab(path.join(work, 'dist'));
  console.log(`RR racecar:0.001, mlp:64, batch 32, peak (500 images), ${seconds} s per backend`);
  console.log('| backend | steps/s | steps | the page says |\n|---|---|---|---|');
  for (const backend of backends) {
    const browser = await launchChromium(path.join(work, `profile-${backend}`), FLAGS[backend]);
    try {
      console.log(await measure(await browser.newPage(), server.url, backend));
    } finally {
      await browser.close();
    }
  }
  if (screenshots) {
    const browser = await launchChromium(path.join(work, 'profile-views'));
    try {
      await views(await browser.newPage(), server.url, path.resolve(screenshots));
    } finally {
      await browser.close();
    }
  }
  await server.close();
} finally {
  rmSync(work, { recursive: true, force: true });
}
