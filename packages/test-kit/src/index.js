export { referenceDistance } from './reference-distance.js';
export { mulberry32 } from './rng.js';
export { tempDir } from './temp-dir.js';
