/**
 * The user's own images, decoded in the browser: a dropped folder (or a folder picked with the
 * file input) holding one sub-folder per class, or a `.zip` of the same layout (unpacked with
 * fflate). Each image becomes 28 × 28 grayscale (the browser's image decoder and a canvas
 * resize), the class is its parent folder's name, and every fifth image of a class (the 5th,
 * 10th, … in path order) is held out as the test set.
 */
import { unzip } from 'fflate';
import type { UserImages } from './protocol.js';

const SIDE = 28;
const IMAGE_FILE = /\.(png|jpe?g|gif|bmp|webp)$/i;
const TEST_EVERY = 5;

/** One image file and the path it was found at. */
interface Entry {
  path: string;
  blob: Blob;
}

/** The image files of a zip archive. */
export async function zipEntries(file: Blob): Promise<Entry[]> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  const files = await new Promise<Record<string, Uint8Array>>((resolve, reject) =>
    unzip(bytes, (error, out) =>
      error ? reject(new Error(`the zip does not unpack: ${error.message}`)) : resolve(out),
    ),
  );
  return Object.entries(files)
    .filter(([path]) => IMAGE_FILE.test(path) && !path.startsWith('__MACOSX/'))
    .map(([path, data]) => ({ path, blob: new Blob([data as BlobPart]) }));
}

/** The image files of files picked with `webkitdirectory` (their relative paths kept). */
export function pickedEntries(files: FileList): Entry[] {
  return [...files]
    .filter((file) => IMAGE_FILE.test(file.name))
    .map((file) => ({ path: file.webkitRelativePath || file.name, blob: file }));
}

/** The image files under a dropped folder (or zip) of a drag-and-drop. */
export async function droppedEntries(items: DataTransferItemList): Promise<Entry[]> {
  const roots = [...items].map((item) => item.webkitGetAsEntry()).filter((e) => e !== null);
  const out: Entry[] = [];
  for (const root of roots) {
    if (root.isFile && root.name.toLowerCase().endsWith('.zip'))
      out.push(...(await zipEntries(await fileOf(root as FileSystemFileEntry))));
    else await walk(root, out);
  }
  return out;
}

function fileOf(entry: FileSystemFileEntry): Promise<File> {
  return new Promise((resolve, reject) => entry.file(resolve, reject));
}

async function walk(entry: FileSystemEntry, out: Entry[]): Promise<void> {
  if (entry.isFile) {
    if (IMAGE_FILE.test(entry.name))
      out.push({
        path: entry.fullPath.replace(/^\//, ''),
        blob: await fileOf(entry as FileSystemFileEntry),
      });
    return;
  }
  const reader = (entry as FileSystemDirectoryEntry).createReader();
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((resolve, reject) =>
      reader.readEntries(resolve, reject),
    );
    if (batch.length === 0) return;
    for (const child of batch) await walk(child, out);
  }
}

/** Decodes one image to 28 × 28 grayscale bytes (mean of R, G, B). */
async function grayscale(blob: Blob, path: string): Promise<Uint8Array> {
  const bitmap = await createImageBitmap(blob).catch(() => {
    throw new Error(`${path} is not an image this browser can decode`);
  });
  const canvas = new OffscreenCanvas(SIDE, SIDE);
  const context = canvas.getContext('2d')!;
  context.drawImage(bitmap, 0, 0, SIDE, SIDE);
  bitmap.close();
  const rgba = context.getImageData(0, 0, SIDE, SIDE).data;
  return Uint8Array.from({ length: SIDE * SIDE }, (_, p) =>
    Math.round((rgba[4 * p] + rgba[4 * p + 1] + rgba[4 * p + 2]) / 3),
  );
}

/** Decodes `entries` into a training and a test set (see the file comment). */
export async function decodeImages(entries: readonly Entry[]): Promise<UserImages> {
  const byClass = new Map<string, Entry[]>();
  for (const entry of [...entries].sort((a, b) => a.path.localeCompare(b.path))) {
    const parts = entry.path.split('/');
    if (parts.length < 2) continue;
    const name = parts[parts.length - 2];
    byClass.set(name, [...(byClass.get(name) ?? []), entry]);
  }
  const classNames = [...byClass.keys()].sort();
  if (classNames.length < 2)
    throw new Error(
      `found ${classNames.length} class folder(s) with images; the lab needs a folder (or zip) with one sub-folder per class, at least 2`,
    );
  const split = { train: [] as [Uint8Array, number][], test: [] as [Uint8Array, number][] };
  for (const [label, name] of classNames.entries()) {
    const files = byClass.get(name)!;
    for (const [i, { blob, path }] of files.entries())
      (i % TEST_EVERY === TEST_EVERY - 1 ? split.test : split.train).push([
        await grayscale(blob, path),
        label,
      ]);
  }
  if (split.test.length === 0)
    throw new Error(
      `only ${entries.length} images: give at least ${TEST_EVERY} per class, so some can be held out`,
    );
  const pack = (items: [Uint8Array, number][]) => {
    const pixels = new Uint8Array(items.length * SIDE * SIDE);
    items.forEach(([image], i) => pixels.set(image, i * SIDE * SIDE));
    return {
      pixels,
      labels: Uint8Array.from(items, ([, label]) => label),
      sampleShape: [SIDE, SIDE, 1],
    };
  };
  return { classNames, train: pack(split.train), test: pack(split.test) };
}
