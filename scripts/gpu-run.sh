#!/usr/bin/env bash
# The runner inside the GPU bundle (scripts/gpu-bundle.sh copies it to reglab-gpu/run.sh):
#
#   ./run.sh               the GPU cases of bench:compare (webgpu vs PyTorch CUDA), quick
#   ./run.sh -- <args>     extra arguments for bench/compare.ts (e.g. --rounds 5 --seconds 2)
#   ./run.sh probe         only: can Dawn find the GPU? (prints the adapter or why not)
#   ./run.sh selftest      the bundled Node and node_modules on the CPU (wasm, one short case)
#
# Needs no Node and no network: it unpacks the bundled Node, node_modules and app into
# $REGLAB_GPU_WORK (default /tmp/reglab-gpu), puts the bundled Vulkan loader on the library
# path when the system has none, points VK_DRIVER_FILES at the NVIDIA ICD json (writing one
# for libGLX_nvidia.so.0 when the driver ships none), and uses python3 for PyTorch
# (REGLAB_PYTHON overrides). Results and the log go to $OUT (default ./results next to run.sh).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=${REGLAB_GPU_WORK:-/tmp/reglab-gpu}
results=${OUT:-$here/results}
mode=${1:-run}
[ "$mode" = "--" ] && mode=run
[ $# -gt 0 ] && shift
[ "${1:-}" = "--" ] && shift
mkdir -p "$work" "$results"
log="$results/run.log"
say() { echo "run.sh: $*" | tee -a "$log"; }

unxz_to() { # file → stdout, with xz or Python's lzma
  if command -v xz >/dev/null 2>&1; then xz -dc "$1"; else python3 -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), sys.stdout.buffer)' "$1"; fi
}

stamp=$(cat "$here/SHA256SUMS" | sha256sum | cut -c1-16)
if [ "$(cat "$work/.unpacked" 2>/dev/null)" != "$stamp" ]; then
  say "unpacking into $work"
  rm -rf "$work/app" "$work/node"
  mkdir -p "$work/app"
  unxz_to "$here/node.xz" >"$work/node" && chmod +x "$work/node"
  unxz_to "$here/app.tar.xz" | tar -C "$work/app" -xf -
  unxz_to "$here/node_modules.tar.xz" | tar -C "$work/app" -xf -
  echo "$stamp" >"$work/.unpacked"
fi
node="$work/node"
say "$("$node" -v) on $(uname -srm)"

# The Vulkan loader: the system's, else the bundled one.
if ! ldconfig -p 2>/dev/null | grep -q 'libvulkan\.so\.1 '; then
  export LD_LIBRARY_PATH="$here/vulkan${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  say "using the bundled Vulkan loader ($(ls "$here"/vulkan | head -1))"
fi
# The NVIDIA Vulkan driver (ICD json): shipped with the driver, but not always where the loader looks.
if [ -z "${VK_DRIVER_FILES:-}${VK_ICD_FILENAMES:-}" ]; then
  for f in /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json \
    /usr/local/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.x86_64.json; do
    if [ -f "$f" ]; then export VK_DRIVER_FILES="$f"; break; fi
  done
  if [ -z "${VK_DRIVER_FILES:-}" ] && ldconfig -p 2>/dev/null | grep -q 'libGLX_nvidia\.so\.0'; then
    printf '{"file_format_version":"1.0.0","ICD":{"library_path":"libGLX_nvidia.so.0","api_version":"1.3.0"}}\n' >"$work/nvidia_icd.json"
    export VK_DRIVER_FILES="$work/nvidia_icd.json"
  fi
fi
say "VK_DRIVER_FILES=${VK_DRIVER_FILES:-${VK_ICD_FILENAMES:-unset}}"
command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L 2>&1 | tee -a "$log" || say "no nvidia-smi"

cd "$work/app"
case "$mode" in
  probe)
    "$node" --import tsx --input-type=module -e "
      const { selectBackend } = await import('./src/backend/select.ts');
      try { await selectBackend('webgpu'); } catch (e) { console.log('webgpu unavailable: ' + e.message); }" 2>&1 | tee -a "$log"
    ;;
  selftest)
    "$node" --import tsx bench/compare.ts --device cpu --sides wasm --groups mlp --variants std --rounds 1 --seconds 0.5 "$@" 2>&1 | tee -a "$log"
    cp bench/results/compare-cpu.* "$results/"
    ;;
  run)
    python=${REGLAB_PYTHON:-$(command -v python3 || true)}
    sides=webgpu
    if [ -n "$python" ] && "$python" -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
      export REGLAB_PYTHON="$python"
      sides=webgpu,torch
    else
      say "PyTorch with CUDA not found (python3: ${python:-none}): webgpu only"
    fi
    "$node" --import tsx bench/compare.ts --device gpu --sides "$sides" --quick "$@" 2>&1 | tee -a "$log"
    cp bench/results/compare-gpu.* "$results/"
    ;;
  *)
    echo "usage: run.sh [run|probe|selftest] [-- compare.ts arguments]" >&2
    exit 2
    ;;
esac
say "results in $results"
