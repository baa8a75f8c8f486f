/** Saving files from the page: a blob as a download, a canvas as a PNG. */

/** Offers `blob` as a download named `name`. */
export function download(blob: Blob, name: string): void {
  const link = document.createElement('a');
  link.href = URL.createObjectURL(blob);
  link.download = name;
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
}

/** Offers every canvas of a view, side by side, as one PNG named `name`. */
export function downloadViewPng(canvases: readonly HTMLCanvasElement[], name: string): void {
  const gap = 8;
  const out = document.createElement('canvas');
  out.width = canvases.reduce((w, c) => w + c.width + gap, -gap);
  out.height = Math.max(...canvases.map((c) => c.height));
  const context = out.getContext('2d')!;
  context.fillStyle = '#fff';
  context.fillRect(0, 0, out.width, out.height);
  let x = 0;
  for (const canvas of canvases) {
    context.drawImage(canvas, x, 0);
    x += canvas.width + gap;
  }
  out.toBlob((blob) => blob && download(blob, name), 'image/png');
}
