export { commands, parseIds } from './commands.js';
export { runDemo } from './demo.js';
export { inspectFile } from './inspect.js';
export { toJson } from './json.js';
