// Build-time configuration read by binding.gyp (`node blas.mjs <what>`):
//   use      openblas | none — OpenBLAS when pkg-config knows it (Debian: libopenblas-dev),
//            unless REGLAB_NATIVE_BLAS=none forces the built-in GEMM only
//   include  OpenBLAS include folders;  libs  OpenBLAS linker flags
//   march    the -march value: REGLAB_NATIVE_MARCH, default `native` (this machine's CPU)
//   addon    node-addon-api's include folder, found from this folder or REGLAB_ROOT
/* global process, console */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

function pkgConfig(...args) {
  try {
    return execFileSync('pkg-config', args, {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return null;
  }
}

const wanted = process.env.REGLAB_NATIVE_BLAS ?? 'auto';
const useOpenBlas = wanted !== 'none' && pkgConfig('--exists', 'openblas') !== null;
const what = process.argv[2];
if (what === 'use') console.log(useOpenBlas ? 'openblas' : 'none');
else if (what === 'include')
  console.log(
    useOpenBlas ? pkgConfig('--cflags-only-I', 'openblas').replace(/(^|\s)-I/g, '$1') : '',
  );
else if (what === 'libs') console.log(useOpenBlas ? pkgConfig('--libs', 'openblas') : '');
else if (what === 'march') console.log(process.env.REGLAB_NATIVE_MARCH || 'native');
else if (what === 'addon') {
  const paths = [here, process.env.REGLAB_ROOT].filter(Boolean);
  const require = createRequire(import.meta.url);
  console.log(require(require.resolve('node-addon-api', { paths })).include_dir);
} else throw new Error(`blas.cjs: unknown query ${what}`);
