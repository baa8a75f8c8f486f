/**
 * The browser lab's build (`npm run lab:build` → web/dist, `npm run lab` builds and serves it).
 *
 * The page imports the library through `src/browser.ts`, the part of reglab with no Node
 * imports. Two guards keep it that way:
 * - `train/checkpoint.ts` (checkpoints on disk, reached through the Trainer's `fit`) is replaced
 *   by `web/src/no-checkpoints.ts`, which throws a named error if anything calls it;
 * - any other Node built-in (`fs`, `node:path`, …) reached from the page fails the build,
 *   naming the module that imported it.
 */
import { builtinModules } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

const here = path.dirname(fileURLToPath(import.meta.url));
const checkpointModule = path.resolve(here, '../src/train/checkpoint');
const builtins = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));

/** The two guards of the file comment. */
function browserOnly(): Plugin {
  return {
    name: 'reglab-browser-only',
    enforce: 'pre',
    resolveId(source, importer) {
      if (!importer) return null;
      const target = path.resolve(path.dirname(importer), source).replace(/\.(js|ts)$/, '');
      if (source.startsWith('.') && target === checkpointModule)
        return path.resolve(here, 'src/no-checkpoints.ts');
      if (builtins.has(source) && !importer.includes('node_modules'))
        this.error(`${source} is imported by ${importer}: Node-only code in the browser bundle`);
      return null;
    },
  };
}

export default defineConfig({
  root: here,
  base: './',
  plugins: [browserOnly()],
  worker: {
    format: 'es',
    plugins: () => [browserOnly()],
    rolldownOptions: { checks: { pluginTimings: false } },
  },
  build: {
    outDir: path.resolve(here, 'dist'),
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 4000,
    // The timing report of slow plugins is noise in `npm test` (the build runs inside the e2e test).
    rolldownOptions: { checks: { pluginTimings: false } },
  },
});
