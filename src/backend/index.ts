/**
 * Backends: selection (`selectBackend`) and reglab's fixes to the TF.js wasm backend.
 */
export {
  BACKEND_NAMES,
  selectBackend,
  type BackendName,
  type SelectBackendOptions,
} from './select.js';
export {
  WASM_KERNEL_FIXES,
  installWasmKernelFixes,
  uninstallWasmKernelFixes,
  wasmKernelFixesInstalled,
} from './wasm-kernels.js';
