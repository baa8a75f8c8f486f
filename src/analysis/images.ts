/**
 * Image grids: inputs beside their reverse-pass reconstructions, first-layer singular vectors,
 * snapshots during training, rendered to 8-bit pixels ({@link renderGrid}). Pure functions of
 * arrays, so the browser lab draws the same grids; `png.ts` encodes them as PNG files.
 *
 * An {@link Image} holds float values channels-last (`[H, W, C]`, C = 1 or 3), in whatever
 * range the producer has (raw 0–255 pixels, [0, 1] pixels, signed singular vectors). Each
 * image is mapped to [0, 1] on its own by the grid's `scale` before it becomes 8-bit:
 *
 * - `minmax`:    v ↦ (v − min) / (max − min) over the image's values (a constant image → 0.5);
 * - `symmetric`: v ↦ ½ + v / (2·max|v|), so that 0 stays mid-grey and the sign is visible
 *                (the honest view of signed vectors; a zero image → 0.5);
 * - `clip01`:    v ↦ clamp(v, 0, 1), for data already in [0, 1] when absolute levels matter.
 *
 * Then 8-bit = round(255 · value). Grayscale-only grids are written as 8-bit grayscale PNGs,
 * anything with an RGB tile as 8-bit RGB (grayscale tiles replicated into the three channels).
 */
import { check, ReglabError } from '../core/errors.js';

/** One image: `height × width × channels` float values, channels-last. */
export interface Image {
  readonly data: Float32Array;
  readonly height: number;
  readonly width: number;
  /** 1 (grayscale) or 3 (RGB) to be drawn; other counts are rejected by the grid. */
  readonly channels: number;
}

/** How each image's values are mapped to [0, 1] (see the file comment). */
export type ImageScale = 'minmax' | 'symmetric' | 'clip01';

/** The scales a grid accepts, for CLI validation. */
export const IMAGE_SCALES: readonly ImageScale[] = ['minmax', 'symmetric', 'clip01'];

/** Layout and appearance of a grid. */
export interface GridOptions {
  /** Tiles per row (default: all images in one row, at most 8). */
  columns?: number;
  /** Per-image mapping to [0, 1] (default `minmax`). */
  scale?: ImageScale;
  /** Pixels between tiles and around the grid, before upscaling (default 1). */
  padding?: number;
  /** Integer nearest-neighbour magnification of the whole grid (default 1). */
  upscale?: number;
  /** Grey level of the padding in [0, 1] (default 1, white). */
  background?: number;
}

/** A rendered grid: 8-bit pixels, `channels` bytes per pixel, row-major. */
export interface RenderedGrid {
  readonly pixels: Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly channels: 1 | 3;
}

/** The [H, W, C] of a sample shape: `[H, W, C]`, `[H, W]` (C = 1), or `[D]` (a square if D is one, else 1 × D). */
export function imageShapeOf(sampleShape: readonly number[]): {
  height: number;
  width: number;
  channels: number;
} {
  if (sampleShape.length === 3)
    return { height: sampleShape[0], width: sampleShape[1], channels: sampleShape[2] };
  if (sampleShape.length === 2)
    return { height: sampleShape[0], width: sampleShape[1], channels: 1 };
  if (sampleShape.length === 1) {
    const side = Math.round(Math.sqrt(sampleShape[0]));
    return side * side === sampleShape[0]
      ? { height: side, width: side, channels: 1 }
      : { height: 1, width: sampleShape[0], channels: 1 };
  }
  throw new ReglabError(
    `cannot draw samples of shape [${sampleShape}] as images`,
    'image samples are [H, W, C], [H, W] or flat [D]',
  );
}

/**
 * Splits `count` samples stored flat in `values` (`count × prod(sampleShape)`) into images.
 * The values are copied, so the images stay valid when `values` is reused.
 */
export function imagesFromArray(
  values: ArrayLike<number>,
  sampleShape: readonly number[],
  count?: number,
): Image[] {
  const shape = imageShapeOf(sampleShape);
  const per = shape.height * shape.width * shape.channels;
  const n = count ?? Math.floor(values.length / per);
  check(
    values.length >= n * per,
    `${values.length} values cannot hold ${n} images of shape [${sampleShape}]`,
    'pass a matching count or shape',
  );
  return Array.from({ length: n }, (_, i) => ({
    ...shape,
    data: Float32Array.from({ length: per }, (_v, k) => values[i * per + k]),
  }));
}

/** The values of `image` mapped to [0, 1] by `scale` (see the file comment). */
export function scaleImage(image: Image, scale: ImageScale = 'minmax'): Float32Array {
  const values = image.data;
  if (scale === 'clip01') return values.map((v) => Math.min(1, Math.max(0, v)));
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  if (scale === 'symmetric') {
    const extent = Math.max(Math.abs(min), Math.abs(max));
    return values.map((v) => (extent > 0 ? 0.5 + v / (2 * extent) : 0.5));
  }
  if (scale !== 'minmax')
    throw new ReglabError(
      `unknown image scale "${scale as string}"`,
      `use one of ${IMAGE_SCALES.join(', ')}`,
    );
  const range = max - min;
  return values.map((v) => (range > 0 ? (v - min) / range : 0.5));
}

function checkImages(images: readonly Image[]): { height: number; width: number } {
  check(images.length > 0, 'an image grid needs at least one image');
  const { height, width } = images[0];
  images.forEach((image, i) => {
    check(
      image.height === height && image.width === width,
      `image ${i} is ${image.height}×${image.width}, image 0 is ${height}×${width}`,
      'all tiles of a grid must have the same size',
    );
    check(
      image.channels === 1 || image.channels === 3,
      `image ${i} has ${image.channels} channels`,
      'grids draw 1- or 3-channel images',
    );
    check(
      image.data.length === image.height * image.width * image.channels,
      `image ${i} has ${image.data.length} values, its shape [${image.height}, ${image.width}, ${image.channels}] needs ${image.height * image.width * image.channels}`,
      'pass data of length height × width × channels',
    );
  });
  return { height, width };
}

function positiveInteger(value: number, name: string): number {
  check(
    Number.isInteger(value) && value >= 0,
    `grid ${name} ${value} is not a non-negative integer`,
  );
  return value;
}

/** Draws `images` as one grid of 8-bit pixels (see {@link GridOptions}). */
export function renderGrid(images: readonly Image[], options: GridOptions = {}): RenderedGrid {
  const { height, width } = checkImages(images);
  const columns = positiveInteger(options.columns ?? Math.min(images.length, 8), 'columns');
  check(columns > 0, 'grid columns must be at least 1');
  const padding = positiveInteger(options.padding ?? 1, 'padding');
  const upscale = positiveInteger(options.upscale ?? 1, 'upscale');
  check(upscale > 0, 'grid upscale must be at least 1');
  const channels: 1 | 3 = images.some((image) => image.channels === 3) ? 3 : 1;
  const rows = Math.ceil(images.length / columns);
  // The grid at scale 1, as floats; upscaling happens when converting to bytes.
  const gridWidth = columns * (width + padding) + padding;
  const gridHeight = rows * (height + padding) + padding;
  const grid = new Float32Array(gridWidth * gridHeight * channels).fill(options.background ?? 1);
  images.forEach((image, i) => {
    const top = padding + Math.floor(i / columns) * (height + padding);
    const left = padding + (i % columns) * (width + padding);
    const values = scaleImage(image, options.scale);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        for (let c = 0; c < channels; c++) {
          // A grayscale tile in an RGB grid repeats its one channel.
          const source = (y * width + x) * image.channels + (image.channels === 1 ? 0 : c);
          grid[((top + y) * gridWidth + left + x) * channels + c] = values[source];
        }
      }
    }
  });
  return upscaleToBytes(grid, gridWidth, gridHeight, channels, upscale);
}

function upscaleToBytes(
  grid: Float32Array,
  width: number,
  height: number,
  channels: 1 | 3,
  factor: number,
): RenderedGrid {
  const outWidth = width * factor;
  const outHeight = height * factor;
  const pixels = new Uint8Array(outWidth * outHeight * channels);
  for (let y = 0; y < outHeight; y++) {
    for (let x = 0; x < outWidth; x++) {
      const source = (Math.floor(y / factor) * width + Math.floor(x / factor)) * channels;
      for (let c = 0; c < channels; c++) {
        pixels[(y * outWidth + x) * channels + c] = Math.round(
          255 * Math.min(1, Math.max(0, grid[source + c])),
        );
      }
    }
  }
  return { pixels, width: outWidth, height: outHeight, channels };
}

/** A grid layout: tiles in order and the number of columns. */
export interface GridLayout {
  images: Image[];
  columns: number;
}

/**
 * Pairs every input with its reconstruction, side by side (input left), `pairsPerRow` pairs
 * per row: row r holds inputs/reconstructions r·pairsPerRow … (r+1)·pairsPerRow − 1.
 */
export function inputsBesideReconstructions(
  inputs: readonly Image[],
  reconstructions: readonly Image[],
  pairsPerRow = 4,
): GridLayout {
  check(
    inputs.length === reconstructions.length,
    `${inputs.length} inputs but ${reconstructions.length} reconstructions`,
    'pass one reconstruction per input',
  );
  check(
    Number.isInteger(pairsPerRow) && pairsPerRow > 0,
    `pairsPerRow ${pairsPerRow} is not a positive integer`,
  );
  return {
    images: inputs.flatMap((input, i) => [input, reconstructions[i]]),
    columns: 2 * Math.min(pairsPerRow, Math.max(1, inputs.length)),
  };
}

/** The smallest integer magnification that makes a tile at least `minPixels` on its longer side. */
export function autoUpscale(image: Pick<Image, 'height' | 'width'>, minPixels = 56): number {
  return Math.max(1, Math.ceil(minPixels / Math.max(image.height, image.width)));
}
