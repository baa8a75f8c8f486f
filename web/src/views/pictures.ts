/**
 * Image grids on a canvas: the library's `renderGrid` (analysis/images.ts, the grids the CLI
 * writes as PNG) turned into `ImageData`, so the lab shows the same pixels `reglab reconstruct`
 * and `reglab svd` write.
 */
import {
  autoUpscale,
  inputsBesideReconstructions,
  renderGrid,
  type GridOptions,
  type Image,
} from '../../../src/analysis/images.js';
import type { Picture } from '../protocol.js';

/** Draws a grid of images into `canvas`, resizing it to the grid. */
export function drawGrid(
  canvas: HTMLCanvasElement,
  images: readonly Image[],
  options: GridOptions,
): void {
  const grid = renderGrid(images, { upscale: autoUpscale(images[0], 56), ...options });
  canvas.width = grid.width;
  canvas.height = grid.height;
  const rgba = new Uint8ClampedArray(grid.width * grid.height * 4);
  for (let p = 0; p < grid.width * grid.height; p++) {
    for (let c = 0; c < 3; c++)
      rgba[4 * p + c] = grid.pixels[p * grid.channels + (grid.channels === 3 ? c : 0)];
    rgba[4 * p + 3] = 255;
  }
  canvas.getContext('2d')!.putImageData(new ImageData(rgba, grid.width, grid.height), 0, 0);
}

/** Inputs beside their reconstructions, each tile stretched to its own range (as the CLI). */
export function drawPairs(
  canvas: HTMLCanvasElement,
  inputs: readonly Picture[],
  outputs: readonly Picture[],
  pairsPerRow = 4,
): void {
  const layout = inputsBesideReconstructions(inputs, outputs, pairsPerRow);
  drawGrid(canvas, layout.images, { columns: layout.columns, scale: 'minmax' });
}

/** Draws a message instead of a grid (e.g. why a model has no reverse pass). */
export function drawMessage(canvas: HTMLCanvasElement, text: string): void {
  canvas.width = 360;
  canvas.height = 60;
  const context = canvas.getContext('2d')!;
  context.fillStyle = '#fff';
  context.fillRect(0, 0, canvas.width, canvas.height);
  context.fillStyle = '#a33';
  context.font = '11px sans-serif';
  const words = text.split(' ');
  let line = '';
  let y = 16;
  for (const word of words) {
    if (context.measureText(`${line} ${word}`).width > canvas.width - 10) {
      context.fillText(line, 5, y);
      line = word;
      y += 14;
    } else line = line ? `${line} ${word}` : word;
  }
  context.fillText(line, 5, y);
}
