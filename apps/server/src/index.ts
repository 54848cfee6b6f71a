export type { ErrorBody } from './errors.js';
export { HttpError, rvfStatus, toErrorResponse } from './errors.js';
export { idsFromJson, jsonReplacer, toJson } from './json.js';
export { checkName, StoreRegistry } from './registry.js';
export type { ServerOptions } from './server.js';
export { buildServer } from './server.js';
