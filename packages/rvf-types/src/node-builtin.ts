/**
 * A Node.js built-in module (`node:zlib`, `node:crypto`…) when this code runs on Node, else
 * undefined (browsers, other hosts). It goes through `process.getBuiltinModule` (Node ≥ 20.16)
 * rather than an import, so the packages that use it stay importable everywhere and free of
 * import-time side effects: they ask only when they first need a native routine.
 */
export function nodeBuiltin<T>(id: `node:${string}`): T | undefined {
  const host = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  return host?.getBuiltinModule?.(id) as T | undefined;
}
