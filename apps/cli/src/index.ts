export { type DemoResult, runDemo } from './demo.js';
export { ExitCode, exitCodeFor } from './exit-codes.js';
export { type InspectReport, type InspectRow, inspectFile } from './inspect.js';
export { toJson } from './json.js';
export { addCommands } from './program.js';
