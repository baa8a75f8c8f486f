/**
 * The Node side of driving the browser lab: build it as `npm run lab:build` does (into any
 * folder), serve it on a free localhost port, and start Debian's Chromium through
 * playwright-core with a fresh profile. Used by the e2e test (lab.test.ts) and the in-browser
 * benchmark (bench/lab-browser.ts).
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { build } from 'vite';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
// @ts-expect-error: a plain .mjs script without types
import { serveStatic } from '../../scripts/serve-lab.mjs';

export const CHROMIUM = '/usr/bin/chromium';
/** Headless, no GPU, nothing that reaches the network. */
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];
const root = path.resolve(import.meta.dirname, '../..');

/** Writes the MNIST slice and builds the page into `outDir`. */
export async function buildLab(outDir: string): Promise<void> {
  execFileSync(process.execPath, [path.join(root, 'scripts/mnist-slice.mjs')]);
  await build({
    configFile: path.join(root, 'web/vite.config.ts'),
    build: { outDir },
    logLevel: 'warn',
  });
}

/** A static server for a built page. */
export interface Served {
  url: string;
  close(): Promise<void>;
}

export function serveLab(dir: string): Promise<Served> {
  return serveStatic(dir) as Promise<Served>;
}

/**
 * Chromium with a fresh profile in `profileDir` (playwright passes it as `--user-data-dir`);
 * `flags` replaces {@link CHROMIUM_FLAGS} (e.g. to let WebGL use SwiftShader).
 */
export function launchChromium(
  profileDir: string,
  flags: readonly string[] = CHROMIUM_FLAGS,
): Promise<BrowserContext> {
  return chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    args: [...flags],
    viewport: { width: 1400, height: 1100 },
  });
}

/** Evaluates `read` on the page's `window.reglabLab` (web/src/main.ts). */
export function labState<S, T>(page: Page, read: (state: S) => T): Promise<T> {
  return page.evaluate(`(${read.toString()})(window.reglabLab)`) as Promise<T>;
}

/** The views docs/lab.md shows one screenshot of each (besides `residuals`). */
export const LAB_VIEWS = [
  'curves',
  'reconstructions',
  'draw',
  'singular',
  'activations',
  'information',
];

/** Draws a stroke through `points` (pixels from the drawing pad's top-left corner). */
export async function drawStroke(page: Page, points: readonly [number, number][]): Promise<void> {
  const pad = (await page.locator('#pad').boundingBox())!;
  await page.mouse.move(pad.x + points[0][0], pad.y + points[0][1]);
  await page.mouse.down();
  for (const [x, y] of points.slice(1)) await page.mouse.move(pad.x + x, pad.y + y, { steps: 8 });
  await page.mouse.up();
  await page.waitForFunction(`document.getElementById('drawn').width > 0`);
}

/** Saves a PNG of each view in `views` as `dir/lab-<view>.png`. */
export async function screenshotViews(
  page: Page,
  dir: string,
  views: readonly string[] = LAB_VIEWS,
): Promise<void> {
  for (const view of views)
    await page
      .locator(`[data-view=${view}]`)
      .screenshot({ path: path.join(dir, `lab-${view}.png`) });
}

/** Waits until `condition` (an expression of `s`, the page state) holds; a page error fails it. */
export async function waitForLab(page: Page, condition: string, timeout = 60_000): Promise<void> {
  await page.waitForFunction(
    `(() => { const s = window.reglabLab; if (s.errors.length) throw new Error(s.errors.join('; ')); return ${condition}; })()`,
    null,
    { timeout, polling: 100 },
  );
}
