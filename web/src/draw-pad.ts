/**
 * A 28 × 28 drawing pad shown 6× enlarged: a soft round brush writes into the pixel values,
 * white on black like MNIST; `onStroke` receives them when a stroke ends.
 */
const SIDE = 28;
const BRUSH = 1.4;

export class DrawPad {
  readonly pixels = new Float32Array(SIDE * SIDE);
  private drawing = false;

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly onStroke: (pixels: Float32Array) => void,
  ) {
    canvas.addEventListener('pointerdown', (event) => {
      this.drawing = true;
      canvas.setPointerCapture(event.pointerId);
      this.paint(event);
    });
    canvas.addEventListener('pointermove', (event) => this.drawing && this.paint(event));
    canvas.addEventListener('pointerup', () => {
      this.drawing = false;
      this.onStroke(this.pixels.slice());
    });
    this.redraw();
  }

  clear(): void {
    this.pixels.fill(0);
    this.redraw();
  }

  /** Adds the brush at pad coordinates (row, col), in pixels of the 28 × 28 image. */
  brush(row: number, col: number): void {
    for (let r = 0; r < SIDE; r++)
      for (let c = 0; c < SIDE; c++) {
        const d = Math.hypot(r + 0.5 - row, c + 0.5 - col);
        const value = Math.min(1, Math.max(0, BRUSH + 0.5 - d));
        if (value > this.pixels[r * SIDE + c]) this.pixels[r * SIDE + c] = value;
      }
  }

  private paint(event: PointerEvent): void {
    const box = this.canvas.getBoundingClientRect();
    this.brush(
      ((event.clientY - box.top) / box.height) * SIDE,
      ((event.clientX - box.left) / box.width) * SIDE,
    );
    this.redraw();
  }

  private redraw(): void {
    const context = this.canvas.getContext('2d')!;
    const cell = this.canvas.width / SIDE;
    for (let p = 0; p < SIDE * SIDE; p++) {
      const v = Math.round(255 * this.pixels[p]);
      context.fillStyle = `rgb(${v},${v},${v})`;
      context.fillRect((p % SIDE) * cell, Math.floor(p / SIDE) * cell, cell, cell);
    }
  }
}
