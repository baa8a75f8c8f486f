/**
 * Fixture writers for the data tests: tiny files in the real on-disk formats, written into a
 * fresh temp folder so tests never depend on downloads.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { PNG } from 'pngjs';

/** A fresh empty folder under the OS temp dir. */
export function tempDir(prefix = 'reglab-data-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** IDX bytes: magic 0x000008NN, big-endian dims, then `values`. */
export function idxBytes(dims: number[], values: ArrayLike<number>): Buffer {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header[2] = 0x08;
  header[3] = dims.length;
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, Buffer.from(Uint8Array.from(values))]);
}

/** Writes `bytes` to `path` (gzip'd when `gzip`), creating folders. Returns the path. */
export function writeBytes(path: string, bytes: Uint8Array, gzip = false): string {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, gzip ? gzipSync(bytes) : bytes);
  return path;
}

/**
 * Writes an IDX split `prefix` (`train` or `t10k`) of `count` `rows×cols` images into `dir`:
 * image i has every pixel equal to 10·i + pixel-index mod 7, label i mod `classes`.
 */
export function writeIdxSplit(
  dir: string,
  prefix: string,
  count: number,
  { rows = 3, cols = 2, gzip = false, classes = 10 } = {},
): void {
  const pixels = Array.from(
    { length: count * rows * cols },
    (_, j) => (10 * Math.floor(j / (rows * cols)) + (j % 7)) % 256,
  );
  const labels = Array.from({ length: count }, (_, i) => i % classes);
  const suffix = gzip ? '.gz' : '';
  writeBytes(
    join(dir, `${prefix}-images-idx3-ubyte${suffix}`),
    idxBytes([count, rows, cols], pixels),
    gzip,
  );
  writeBytes(join(dir, `${prefix}-labels-idx1-ubyte${suffix}`), idxBytes([count], labels), gzip);
}

/**
 * A CIFAR-10 record: label byte, then R, G, B planes where the value at pixel p of channel
 * ch is (p + 50·ch + seed) mod 256.
 */
export function cifarRecord(label: number, seed = 0): Buffer {
  const record = Buffer.alloc(3073);
  record[0] = label;
  for (let ch = 0; ch < 3; ch++)
    for (let p = 0; p < 1024; p++) record[1 + ch * 1024 + p] = (p + 50 * ch + seed) % 256;
  return record;
}

/** Writes a PNG of `width×height` from a pixel function returning [r, g, b] (opaque). */
export function writePng(
  path: string,
  width: number,
  height: number,
  pixel: (x: number, y: number) => [number, number, number],
  colorType: 0 | 2 = 2,
): void {
  const png = new PNG({ width, height });
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const [r, g, b] = pixel(x, y);
      png.data.set([r, g, b, 255], 4 * (y * width + x));
    }
  }
  writeBytes(path, PNG.sync.write(png, { colorType }));
}
