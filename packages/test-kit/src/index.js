export { referenceDistance } from './reference-distance.js';
export { ensureInstalled, hasCommand, rgwClientConfig, startRgw, stopRgw } from './rgw.js';
export { mulberry32 } from './rng.js';
export { tempDir } from './temp-dir.js';
export { wasmModuleSources } from './wasm-modules.js';
