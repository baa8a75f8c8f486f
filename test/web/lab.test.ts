/**
 * End to end: the browser lab built (Vite, into a temporary folder), served on localhost and
 * driven in Debian's Chromium (playwright-core, `/usr/bin/chromium`, headless, wasm backend).
 * It trains RR on the peak set and checks that the loss fell, the reconstruction canvas changed,
 * pause / step / reset work, the same seed gives the same losses, the URL round-trips the
 * settings, every method preset trains (and the Langevin one reports constraint residuals), the
 * MNIST slice trains, and a model.json written by the library's `trainRun` (what `reglab train`
 * writes) shows singular values equal to those `weightSpectrum` computes in Node. The console
 * must stay free of errors. Screenshots of every view go to $REGLAB_LAB_SCREENSHOTS (default: a
 * temporary folder, printed).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { zipSync } from 'fflate';
import { PNG } from 'pngjs';
import type { BrowserContext, Page } from 'playwright-core';
import { useBackend } from '../support.js';
import { trainRun } from '../../src/lab/run.js';
import { loadModel } from '../../src/models/io.js';
import { weightSpectrum } from '../../src/analysis/svd.js';
import {
  CHROMIUM,
  buildLab,
  drawStroke,
  labState,
  launchChromium,
  screenshotViews,
  serveLab,
  waitForLab as waitFor,
  type Served,
} from './harness.js';

/** What the page exposes as `window.reglabLab` (web/src/main.ts), as far as the test reads it. */
interface LabState {
  backend: string;
  step: number;
  running: boolean;
  errors: string[];
  configured?: Record<string, unknown>;
  history: { stepLoss: number[]; residuals: unknown[] };
  views?: { step: number; singular: { sigmas?: number[] } };
  imported?: { summary: string; singularVectors: number };
  reconstructionsDrawn: number;
}

const lab = <T>(page: Page, read: (state: LabState) => T) => labState(page, read);

const canvasPixels = (page: Page, id: string) =>
  page.evaluate(`document.getElementById('${id}').toDataURL()`) as Promise<string>;

async function clickSteps(page: Page, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const before = await lab(page, (s) => s.step);
    await page.click('#step');
    await waitFor(page, `s.views && s.views.step === ${before + 1} && !s.running`);
  }
}

/**
 * A zip of two class folders with 6 tiny PNGs each (RGB, 14 × 10, not 28 × 28, so the page's
 * resize is exercised): `bright/` images are light, `dark/` images dark.
 */
function imagesZip(): Uint8Array {
  const files: Record<string, Uint8Array> = {};
  for (const [name, level] of [
    ['bright', 220],
    ['dark', 30],
  ] as const)
    for (let i = 0; i < 6; i++) {
      const png = new PNG({ width: 14, height: 10 });
      for (let p = 0; p < 14 * 10; p++) png.data.set([level + i, level, level - i, 255], 4 * p);
      files[`shapes/${name}/${i}.png`] = new Uint8Array(PNG.sync.write(png));
    }
  return zipSync(files);
}

test('the browser lab trains, shows and round-trips (Chromium, wasm)', async (t) => {
  if (!existsSync(CHROMIUM)) {
    if (process.env.CI) assert.fail(`${CHROMIUM} is missing: apt-get install chromium`);
    t.skip(`${CHROMIUM} is missing (apt-get install chromium)`);
    return;
  }
  const work = mkdtempSync(path.join(tmpdir(), 'reglab-lab-'));
  const shots = process.env.REGLAB_LAB_SCREENSHOTS ?? path.join(tmpdir(), 'reglab-lab-screenshots');
  mkdirSync(shots, { recursive: true });
  let browser: BrowserContext | undefined;
  let server: Served | undefined;
  try {
    // The page, built as `npm run lab:build` builds it, and a model trained by the library.
    await buildLab(path.join(work, 'dist'));
    await useBackend('cpu');
    const runDir = path.join(work, 'run');
    await trainRun(
      {
        dataset: 'peak',
        trainSize: 40,
        testSize: 10,
        model: 'mlp:12',
        epochs: 1,
        batchSize: 20,
        optimizer: 'adam',
        regs: ['racecar:1e-3'],
        seed: 5,
      },
      runDir,
    );
    const saved = await loadModel(path.join(runDir, 'model.json'));
    const [nodeSpectrum] = weightSpectrum(saved, { layers: ['dense_1'] });
    saved.dispose();

    const served = await serveLab(path.join(work, 'dist'));
    server = served;
    browser = await launchChromium(path.join(work, 'profile'));
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`));
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    const settings =
      '?dataset=peak&trainSize=200&testSize=40&model=mlp%3A32&method=rr&lambda=0.001' +
      '&reg=racecar%3A0.001&optimizer=adam&lr=0.003&batchSize=20&seed=3&backend=wasm';
    await page.goto(`${served.url}${settings}`);
    await waitFor(page, 's.backend !== "" && s.views !== undefined');
    assert.match(await lab(page, (s) => s.backend), /^wasm/);
    assert.match((await page.textContent('#backend')) ?? '', /backend: wasm/);

    await t.test('step, run, pause: the loss falls and the reconstructions change', async () => {
      const before = await canvasPixels(page, 'reconstructions');
      await clickSteps(page, 1);
      await page.click('#start');
      await waitFor(page, 's.step >= 40', 90_000);
      await page.click('#pause');
      await waitFor(page, '!s.running');
      const paused = await lab(page, (s) => s.step);
      await page.waitForTimeout(1000);
      assert.equal(await lab(page, (s) => s.step), paused, 'no steps after Pause');
      await clickSteps(page, 1);
      assert.equal(await lab(page, (s) => s.step), paused + 1, 'Step trains exactly one step');
      const losses = await lab(page, (s) => s.history.stepLoss);
      const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
      const [first, last] = [mean(losses.slice(0, 5)), mean(losses.slice(-5))];
      assert.ok(last < 0.5 * first, `loss fell: first five steps ${first}, last five ${last}`);
      assert.notEqual(await canvasPixels(page, 'reconstructions'), before);
    });

    await t.test('reset: the same seed gives the same losses', async () => {
      const firstRun = (await lab(page, (s) => s.history.stepLoss)).slice(0, 6);
      await page.click('#reset');
      await waitFor(page, 's.views !== undefined && s.views.step === 0');
      await clickSteps(page, 6);
      assert.deepEqual(await lab(page, (s) => s.history.stepLoss), firstRun);
    });

    await t.test('the URL carries the settings', async () => {
      await page.fill('[name=seed]', '7');
      await page.click('#reset');
      await waitFor(page, 's.configured.seed === 7 && s.views && s.views.step === 0');
      const url = page.url();
      assert.match(url, /seed=7/);
      const other = await browser!.newPage();
      other.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
      await other.goto(url);
      await waitFor(other, 's.configured !== undefined && s.views !== undefined');
      assert.deepEqual(await lab(other, (s) => s.configured), await lab(page, (s) => s.configured));
      await other.close();
    });

    await t.test("a bad spec is an error on the page, with the library's hint", async () => {
      const other = await browser!.newPage();
      await other.goto(`${served.url}?method=custom&reg=racecar%3Afast&backend=wasm`);
      await other.waitForSelector('#error:not([hidden])');
      const text = (await other.textContent('#error')) ?? '';
      assert.match(text, /racecar/);
      assert.match(text, /→ /, `a hint: ${text}`);
      await other.close();
    });

    await t.test('every method preset trains; Langevin reports its residuals', async () => {
      const presets = await page.$$eval('[name=method] option', (options) =>
        options.map((o) => (o as HTMLOptionElement).value).filter((v) => v !== 'custom'),
      );
      assert.ok(presets.length >= 7, `presets: ${presets}`);
      for (const preset of presets) {
        await page.selectOption('[name=method]', preset);
        await page.click('#reset');
        await waitFor(page, `s.configured.method === '${preset}' && s.views && s.views.step === 0`);
        await clickSteps(page, 2);
        const losses = await lab(page, (s) => s.history.stepLoss);
        assert.ok(losses.length === 2 && losses.every(Number.isFinite), `${preset}: ${losses}`);
        if (preset === 'langevin') {
          assert.ok((await lab(page, (s) => s.history.residuals.length)) > 0, 'Langevin residuals');
          await screenshotViews(page, shots, ['residuals']);
        }
      }
    });

    await t.test('the MNIST slice trains', async () => {
      await page.selectOption('[name=dataset]', 'mnist');
      await page.fill('[name=trainSize]', '300');
      await page.fill('[name=testSize]', '60');
      await page.selectOption('[name=method]', 'rr');
      await page.click('#reset');
      await waitFor(page, `s.configured.dataset === 'mnist' && s.views && s.views.step === 0`);
      await page.click('#start');
      await waitFor(page, 's.step >= 15', 90_000);
      await page.click('#pause');
      await waitFor(page, '!s.running && s.views.step === s.step');
      // A drawn stroke: the pad sends it to the worker, which returns its reconstruction.
      await drawStroke(page, [
        [80, 30],
        [84, 90],
        [84, 140],
      ]);
      await screenshotViews(page, shots);
      await page.screenshot({ path: path.join(shots, 'lab-page.png'), fullPage: true });
    });

    await t.test(
      'export: the trained model loads in Node with the same singular values',
      async () => {
        const downloads: string[] = [];
        page.on('download', async (download) => {
          const file = path.join(work, download.suggestedFilename());
          await download.saveAs(file);
          downloads.push(file);
        });
        const sigmas = await lab(page, (s) => s.views!.singular.sigmas!);
        await page.click('#export');
        await waitFor(page, 'true');
        for (let i = 0; i < 100 && downloads.length < 2; i++) await page.waitForTimeout(100);
        assert.deepEqual(downloads.map((f) => path.basename(f)).sort(), [
          'model.json',
          'weights.bin',
        ]);
        const exported = await loadModel(path.join(work, 'model.json'));
        const [spectrum] = weightSpectrum(exported, { layers: ['dense_1'] });
        exported.dispose();
        sigmas.forEach((sigma, i) =>
          assert.ok(Math.abs(sigma - spectrum.singularValues[i]) <= 1e-5 * sigmas[0], `σ${i}`),
        );
      },
    );

    await t.test("the user's images (a zip of class folders) are decoded and train", async () => {
      const zip = path.join(work, 'shapes.zip');
      writeFileSync(zip, imagesZip());
      await page.setInputFiles('#images-zip', zip);
      await page.waitForFunction(
        `/2 classes/.test(document.getElementById('images-info').textContent)`,
      );
      assert.match(
        (await page.textContent('#images-info')) ?? '',
        /2 classes \(bright, dark\), 10 training \/ 2 test images/,
      );
      await page.click('#reset');
      await waitFor(page, `s.configured.dataset === 'images' && s.views && s.views.step === 0`);
      await clickSteps(page, 2);
      const losses = await lab(page, (s) => s.history.stepLoss);
      assert.ok(losses.length === 2 && losses.every(Number.isFinite), `${losses}`);
    });

    await t.test('an imported CLI model.json shows its singular vectors', async () => {
      await page.setInputFiles('#import', [
        path.join(runDir, 'model.json'),
        path.join(runDir, 'weights.bin'),
      ]);
      await waitFor(page, 's.imported !== undefined');
      const imported = await lab(page, (s) => ({
        ...s.imported!,
        sigmas: s.views!.singular.sigmas!,
      }));
      assert.equal(imported.singularVectors, 12);
      assert.equal(imported.sigmas.length, nodeSpectrum.singularValues.length);
      imported.sigmas.forEach((sigma, i) =>
        assert.ok(
          Math.abs(sigma - nodeSpectrum.singularValues[i]) <= 1e-5 * nodeSpectrum.singularValues[0],
          `σ${i}: page ${sigma}, Node ${nodeSpectrum.singularValues[i]}`,
        ),
      );
      await page
        .locator('[data-view=singular]')
        .screenshot({ path: path.join(shots, 'lab-imported.png') });
    });

    assert.deepEqual(problems, [], 'the console has no errors');
    console.log(`# lab screenshots: ${shots}`);
  } finally {
    await browser?.close();
    await server?.close();
    rmSync(work, { recursive: true, force: true });
  }
});
