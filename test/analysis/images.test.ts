import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PNG } from 'pngjs';
import {
  autoUpscale,
  imagesFromArray,
  inputsBesideReconstructions,
  scaleImage,
  type Image,
} from '../../src/analysis/images.js';
import { encodePng, writePngGrid } from '../../src/analysis/png.js';
import { assertClose } from '../support.js';

const gray = (values: number[], height: number, width: number): Image => ({
  data: Float32Array.from(values),
  height,
  width,
  channels: 1,
});

/** Decodes PNG bytes into RGBA pixels (pngjs always decodes to RGBA). */
function decode(bytes: Buffer): PNG {
  return PNG.sync.read(bytes);
}

function pixel(png: PNG, x: number, y: number): number[] {
  const at = (y * png.width + x) * 4;
  return Array.from(png.data.subarray(at, at + 4));
}

test('min-max, symmetric and clip01 scales', () => {
  const image = gray([-2, 0, 2, 6], 2, 2);
  assertClose(scaleImage(image, 'minmax'), [0, 0.25, 0.5, 1]);
  assertClose(scaleImage(image, 'symmetric'), [1 / 3, 0.5, 2 / 3, 1]);
  assertClose(scaleImage(image, 'clip01'), [0, 0, 1, 1]);
  // A constant image has no range: it is drawn mid-grey instead of dividing by zero.
  assertClose(scaleImage(gray([3, 3, 3, 3], 2, 2), 'minmax'), [0.5, 0.5, 0.5, 0.5]);
});

test('grayscale grid round-trips through pngjs with the expected size and pixel values', () => {
  // Two 2×3 tiles in one row, padding 1, upscale 2: (2·(3+1)+1)·2 = 18 wide, (2+1+1)·2 = 8 high.
  const a = gray([0, 1, 2, 3, 4, 5], 2, 3);
  const b = gray([10, 10, 10, 10, 10, 20], 2, 3);
  const bytes = encodePng([a, b], { columns: 2, padding: 1, upscale: 2, scale: 'minmax' });
  const png = decode(bytes);
  assert.equal(png.width, (2 * (3 + 1) + 1) * 2);
  assert.equal(png.height, (1 * (2 + 1) + 1) * 2);
  // Padding is white; tile a starts at (1, 1) before upscaling, i.e. (2, 2) after.
  assert.deepEqual(pixel(png, 0, 0), [255, 255, 255, 255]);
  const levelsA = [0, 1, 2, 3, 4, 5].map((v) => Math.round((255 * v) / 5));
  for (let y = 0; y < 2; y++)
    for (let x = 0; x < 3; x++)
      for (const [dy, dx] of [
        [0, 0],
        [1, 1],
      ]) {
        const level = levelsA[y * 3 + x];
        assert.deepEqual(pixel(png, 2 + 2 * x + dx, 2 + 2 * y + dy), [level, level, level, 255]);
      }
  // Tile b begins after tile a and one padding column: x = (1 + 3 + 1)·2 = 10.
  assert.deepEqual(pixel(png, 10, 2), [0, 0, 0, 255]);
  assert.deepEqual(pixel(png, 10 + 2 * 2, 2 + 2), [255, 255, 255, 255]);
  assert.equal(decode(bytes).data.length, png.width * png.height * 4);
  // Written as an 8-bit grayscale PNG (colour type 0 in the IHDR chunk, byte 25).
  assert.equal(bytes[25], 0);
});

test('RGB tiles keep their channels; grayscale tiles in an RGB grid become grey', () => {
  const rgb: Image = {
    data: Float32Array.from([1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1]),
    height: 2,
    width: 2,
    channels: 3,
  };
  const g = gray([0, 0.5, 1, 0.25], 2, 2);
  const bytes = encodePng([rgb, g], { columns: 2, padding: 0, scale: 'clip01' });
  assert.equal(bytes[25], 2);
  const png = decode(bytes);
  assert.deepEqual([png.width, png.height], [4, 2]);
  assert.deepEqual(pixel(png, 0, 0), [255, 0, 0, 255]);
  assert.deepEqual(pixel(png, 1, 0), [0, 255, 0, 255]);
  assert.deepEqual(pixel(png, 0, 1), [0, 0, 255, 255]);
  assert.deepEqual(pixel(png, 1, 1), [255, 255, 255, 255]);
  assert.deepEqual(pixel(png, 3, 0), [128, 128, 128, 255]);
  assert.deepEqual(pixel(png, 3, 1), [64, 64, 64, 255]);
});

test('writePngGrid writes the same bytes atomically (no temporary file left)', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'reglab-images-'));
  try {
    const images = imagesFromArray(
      Float32Array.from({ length: 3 * 16 }, (_, i) => i % 7),
      [16],
      3,
    );
    assert.deepEqual([images[0].height, images[0].width, images[0].channels], [4, 4, 1]);
    const file = path.join(dir, 'sub', 'grid.png');
    await writePngGrid(file, images, { columns: 2 });
    assert.deepEqual(await readFile(file), encodePng(images, { columns: 2 }));
    assert.deepEqual(await readdir(path.join(dir, 'sub')), ['grid.png']);
    const png = decode(await readFile(file));
    // 2 columns, 2 rows of 4×4 tiles, padding 1.
    assert.deepEqual([png.width, png.height], [2 * 5 + 1, 2 * 5 + 1]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('inputs beside reconstructions: pairs side by side, rows of pairs', () => {
  const inputs = [0, 1, 2, 3, 4].map((k) => gray([k], 1, 1));
  const reconstructions = [0, 1, 2, 3, 4].map((k) => gray([10 + k], 1, 1));
  const layout = inputsBesideReconstructions(inputs, reconstructions, 2);
  assert.equal(layout.columns, 4);
  assert.deepEqual(
    layout.images.map((image) => image.data[0]),
    [0, 10, 1, 11, 2, 12, 3, 13, 4, 14],
  );
  assert.equal(
    inputsBesideReconstructions(inputs.slice(0, 1), reconstructions.slice(0, 1), 4).columns,
    2,
  );
  assert.throws(
    () => inputsBesideReconstructions(inputs, reconstructions.slice(1)),
    /5 inputs but 4 reconstructions/,
  );
});

test('bad grids are rejected with a message naming the problem', () => {
  assert.throws(() => encodePng([]), /at least one image/);
  assert.throws(() => encodePng([gray([1, 2], 1, 2), gray([1, 2], 2, 1)]), /same size/);
  assert.throws(
    () => encodePng([{ data: new Float32Array(4), height: 1, width: 2, channels: 2 }]),
    /2 channels/,
  );
  assert.throws(() => encodePng([gray([1, 2, 3], 1, 2)]), /has 3 values/);
  assert.equal(autoUpscale({ height: 28, width: 28 }), 2);
  assert.equal(autoUpscale({ height: 3, width: 3 }), 19);
});
