/**
 * Image grids ({@link renderGrid}) as PNG bytes: the HTML report embeds them as base64
 * ({@link encodePng}); files are written atomically ({@link writePngGrid}). Grayscale-only
 * grids become 8-bit grayscale PNGs, anything with an RGB tile 8-bit RGB. Node only (pngjs
 * and the file system); the pixels themselves come from the pure `images.ts`.
 */
import { PNG } from 'pngjs';
import { writeFileAtomic } from '../core/fs.js';
import { renderGrid, type GridOptions, type Image } from './images.js';

/** The PNG file bytes of a grid of `images` (e.g. for base64 embedding in HTML). */
export function encodePng(images: readonly Image[], options: GridOptions = {}): Buffer {
  const grid = renderGrid(images, options);
  const colorType = grid.channels === 1 ? 0 : 2;
  const png = new PNG({
    width: grid.width,
    height: grid.height,
    colorType,
    inputColorType: colorType,
    inputHasAlpha: false,
  });
  png.data = Buffer.from(grid.pixels.buffer, grid.pixels.byteOffset, grid.pixels.byteLength);
  return PNG.sync.write(png, { colorType, inputColorType: colorType, inputHasAlpha: false });
}

/** Writes a PNG grid of `images` to `file` atomically (temp file + rename). */
export async function writePngGrid(
  file: string,
  images: readonly Image[],
  options: GridOptions = {},
): Promise<void> {
  await writeFileAtomic(file, encodePng(images, options));
}
