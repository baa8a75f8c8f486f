/**
 * selectBackend: the chosen name, the log line, and clear errors for unknown or unavailable
 * backends (no GPU and no @tensorflow/tfjs-node on the test machine is the expected case).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { ReglabError } from '../../src/core/errors.js';
import { selectBackend, type BackendName } from '../../src/backend/select.js';
import { wasmKernelFixesInstalled } from '../../src/backend/wasm-kernels.js';
import { loadNativeAddon } from '../../src/backend/native-addon.js';

/** Runs selectBackend collecting its log lines. */
async function select(
  name: BackendName,
  wasmFixes?: boolean,
): Promise<{ chosen: string; lines: string[] }> {
  const lines: string[] = [];
  const chosen = await selectBackend(name, { log: (line) => lines.push(line), wasmFixes });
  return { chosen, lines };
}

/** Whether a package can be resolved from here (optional packages may be absent). */
function installed(pkg: string): boolean {
  try {
    import.meta.resolve(pkg);
    return true;
  } catch {
    return false;
  }
}

test('an unknown name is a ReglabError listing the valid names', async () => {
  await assert.rejects(selectBackend('gpu' as BackendName, { log: false }), (err: unknown) => {
    assert.ok(err instanceof ReglabError);
    assert.match(err.message, /unknown backend 'gpu'/);
    for (const name of ['auto', 'tensorflow', 'webgpu', 'native', 'wasm', 'cpu'])
      assert.match(err.hint ?? '', new RegExp(name));
    return true;
  });
});

test('cpu and wasm: one log line, fixes installed on wasm unless turned off', async () => {
  assert.deepEqual(await select('cpu'), {
    chosen: 'cpu',
    lines: [`backend: cpu (plain JavaScript, slow: for reference and tests)`],
  });
  assert.equal(tf.getBackend(), 'cpu');

  const stock = await select('wasm', false);
  assert.equal(stock.chosen, 'wasm');
  assert.match(stock.lines[0], /^backend: wasm \((no )?SIMD, \d+ threads?, stock kernels\)$/);
  assert.ok(!wasmKernelFixesInstalled());

  const fixed = await select('wasm');
  assert.match(fixed.lines[0], /reglab kernel fixes/);
  assert.ok(wasmKernelFixesInstalled());
  assert.equal(tf.getBackend(), 'wasm');
});

test(
  'tensorflow without @tensorflow/tfjs-node: error with the install command',
  { skip: installed('@tensorflow/tfjs-node') },
  async () => {
    await assert.rejects(select('tensorflow'), (err: unknown) => {
      assert.ok(err instanceof ReglabError);
      assert.match(err.message, /@tensorflow\/tfjs-node/);
      assert.match(err.hint ?? '', /npm install @tensorflow\/tfjs-node/);
      return true;
    });
  },
);

test('webgpu: works where a GPU adapter exists, else a clear error naming the Vulkan fix', async () => {
  try {
    const { chosen, lines } = await select('webgpu');
    assert.equal(chosen, 'webgpu');
    assert.match(lines[0], /^backend: webgpu/);
  } catch (err) {
    assert.ok(err instanceof ReglabError, `not a ReglabError: ${err}`);
    assert.match(err.message, /no WebGPU adapter|no Vulkan loader|'webgpu' package/);
    assert.match(err.hint ?? '', /VK_DRIVER_FILES|libvulkan1|npm install webgpu/);
  }
});

test('native: the C++ kernels when the addon is built, else a ReglabError saying why', async () => {
  if (loadNativeAddon()) {
    const { chosen, lines } = await select('native');
    assert.equal(chosen, 'native');
    assert.equal(tf.getBackend(), 'native');
    assert.match(
      lines[0],
      /^backend: native \(reglab C\+\+ kernels, (OpenBLAS, \d+ threads?|built-in GEMM, \d+-wide SIMD)\)$/,
    );
  } else {
    await assert.rejects(select('native'), (err: unknown) => {
      assert.ok(err instanceof ReglabError);
      assert.match(err.message, /native kernels unavailable/);
      assert.match(err.hint ?? '', /npm run build:native/);
      return true;
    });
  }
});

test('auto picks the fastest working backend and says what it skipped', async () => {
  const { chosen, lines } = await select('auto');
  assert.equal(tf.getBackend(), chosen);
  assert.equal(lines.length, 1);
  if (chosen === 'native') {
    assert.match(lines[0], /^backend: native .*auto skipped tensorflow \(.*webgpu \(/);
  } else if (chosen === 'wasm') {
    // Only when the addon is not built, and then the line says why.
    assert.equal(loadNativeAddon(), null);
    assert.match(
      lines[0],
      /^backend: wasm .*auto skipped tensorflow \(.*webgpu \(.*native \(native kernels unavailable: /,
    );
    assert.ok(wasmKernelFixesInstalled());
  } else {
    assert.ok(['tensorflow', 'webgpu'].includes(chosen), chosen);
  }
});
