import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  base64Bytes,
  compileInBackground,
  ErrorCode,
  errorName,
  isKnownSegmentType,
  isRvfjsErrorCode,
  isRvfjsExtension,
  MetricCode,
  metricFromCode,
  RVFJS_ERROR_CATEGORY,
  RvfError,
  rvfError,
  SegmentType,
  segmentTypeName,
} from '../src/index.js';

const SPEC =
  process.env.RVF_SPEC_PATH ??
  resolve(dirname(fileURLToPath(import.meta.url)), '../../../../shared/spec/rvf-format.md');
if (!existsSync(SPEC))
  throw new Error(`spec not found at ${SPEC}: clone next to shared/ or set RVF_SPEC_PATH`);
const spec = readFileSync(SPEC, 'utf8');

/** "0x0102 InvalidChecksum" pairs from the spec's full error-code table (and Tile ranges). */
function specErrorCodes(): Map<string, number> {
  const table = spec.slice(spec.indexOf('Full ErrorCode table'), spec.indexOf('Writer checklist'));
  const out = new Map<string, number>();
  for (const m of table.matchAll(/0x([0-9A-F]{4})\s+([A-Z][A-Za-z0-9]+)/g))
    out.set(m[2]!, Number.parseInt(m[1]!, 16));
  out.delete('Tile'); // the "0x0400–0x0404 Tile{...}" range, expanded below
  const tile = /0x0400–0x0404 Tile\{([^}]+)\}/.exec(table);
  if (!tile) throw new Error('the spec no longer lists the Tile error range');
  for (const [i, name] of (tile[1] ?? '').split(',').entries()) out.set(`Tile${name.trim()}`, 0x0400 + i);
  return out;
}

describe('error codes', () => {
  it("match the spec's full table, name for name and code for code, plus rvfjs's own in category 0x40", () => {
    const fromSpec = specErrorCodes();
    expect(fromSpec.size).toBeGreaterThan(50);
    const reference = Object.entries(ErrorCode).filter(([, code]) => !isRvfjsErrorCode(code));
    expect(Object.fromEntries(fromSpec)).toEqual(Object.fromEntries(reference));
    // The extension codes sit where the reference defines nothing.
    const own = Object.entries(ErrorCode).filter(([, code]) => isRvfjsErrorCode(code));
    expect(own.map(([name]) => name)).toEqual([
      'InvalidArgument',
      'PathExists',
      'StoreClosed',
      'InvalidId',
      'InvalidMetadata',
      'InvalidRecord',
      'IoFailed',
      'UpdateConflict',
    ]);
    for (const [name, code] of own) {
      expect(code >> 8, name).toBe(RVFJS_ERROR_CATEGORY);
      expect([...fromSpec.values()]).not.toContain(code);
    }
  });

  it('are unique and map back to their names', () => {
    const codes = Object.values(ErrorCode);
    expect(new Set(codes).size).toBe(codes.length);
    for (const [name, code] of Object.entries(ErrorCode)) expect(errorName(code)).toBe(name);
    expect(errorName(0x7777)).toBeUndefined();
  });

  it('RvfError carries the numeric code, the name and a message in the binding format', () => {
    const e = rvfError('InvalidChecksum', 'VEC segment at offset 162: content hash mismatch', {
      offset: 162,
    });
    expect(e).toBeInstanceOf(RvfError);
    expect(e).toBeInstanceOf(Error);
    expect(e.code).toBe(0x0102);
    expect(e.name).toBe('InvalidChecksum');
    expect(e.offset).toBe(162);
    expect(e.message).toBe(
      'RVF error 0x0102 InvalidChecksum: VEC segment at offset 162: content hash mismatch',
    );
    expect(RvfError.is(e, ErrorCode.InvalidChecksum)).toBe(true);
    expect(RvfError.is(e, ErrorCode.LockHeld)).toBe(false);
    expect(RvfError.is(new Error('x'))).toBe(false);
    const cause = new Error('io');
    expect(rvfError('IoFailed', 'write', {}, cause).cause).toBe(cause);
  });
});

describe('segment types', () => {
  it("carry the spec's codes and the binding's names", () => {
    const expected: [number, string][] = [
      [0x01, 'vec'],
      [0x02, 'index'],
      [0x04, 'journal'],
      [0x05, 'manifest'],
      [0x0a, 'witness'],
      [0x0e, 'kernel'],
      [0x0f, 'ebpf'],
      [0x20, 'cow_map'],
      [0x21, 'refcount'],
      [0x22, 'membership'],
    ];
    for (const [code, name] of expected) {
      expect(segmentTypeName(code)).toBe(name);
      // The spec's segment table names the same code.
      expect(spec).toMatch(new RegExp(`\\| 0x${code.toString(16).toUpperCase().padStart(2, '0')} \\|`));
    }
    expect(segmentTypeName(0x7e)).toBe('unknown(0x7e)');
    expect(isKnownSegmentType(0x7e)).toBe(false);
  });

  it('keep rvfjs extensions in 0x40..0x4F, clear of every reference code', () => {
    const ours = Object.entries(SegmentType).filter(([k]) => k.startsWith('Rvfjs'));
    expect(ours.length).toBeGreaterThan(0);
    for (const [, code] of ours) expect(isRvfjsExtension(code)).toBe(true);
    const reference = Object.entries(SegmentType).filter(([k]) => !k.startsWith('Rvfjs'));
    for (const [, code] of reference) expect(isRvfjsExtension(code)).toBe(false);
    expect(new Set(Object.values(SegmentType)).size).toBe(Object.values(SegmentType).length);
  });
});

describe('metrics', () => {
  it('use the manifest byte of spec §7 and load unknown bytes as L2', () => {
    expect(MetricCode).toEqual({ l2: 0, inner_product: 1, cosine: 2 });
    expect([0, 1, 2, 3, 255].map(metricFromCode)).toEqual(['l2', 'inner_product', 'cosine', 'l2', 'l2']);
  });
});

describe('base64Bytes', () => {
  const decodes = () => {
    expect([...base64Bytes('')]).toEqual([]);
    expect([...base64Bytes('Zm9vYmFy')]).toEqual([...new TextEncoder().encode('foobar')]);
    expect([...base64Bytes('Zm9vYg==')]).toEqual([...new TextEncoder().encode('foob')]);
    expect([...base64Bytes('AP+A')]).toEqual([0, 255, 128]);
    const bytes = base64Bytes('AGFzbQ==');
    // Its own buffer, exactly as long (not a view into Node's shared pool).
    expect(bytes.buffer).toBeInstanceOf(ArrayBuffer);
    expect(bytes.byteOffset).toBe(0);
    expect(bytes.buffer.byteLength).toBe(4);
    expect([...bytes]).toEqual([0, 0x61, 0x73, 0x6d]);
  };

  it("decodes RFC 4648 base64, padded or not, into a plain Uint8Array (the host's decoder)", decodes);

  it('gives the same bytes through atob where the host has no decoder of its own (a browser)', () => {
    const g = globalThis as { Buffer?: unknown };
    const saved = g.Buffer;
    delete g.Buffer;
    try {
      expect((Uint8Array as { fromBase64?: unknown }).fromBase64).toBeUndefined();
      decodes();
    } finally {
      g.Buffer = saved;
    }
  });
});

describe('compileInBackground', () => {
  const settle = async (get: () => WebAssembly.Module | undefined) => {
    for (let i = 0; i < 200 && get() === undefined; i++) await new Promise((r) => setTimeout(r, 5));
    return get();
  };

  it('gives the compiled module once it is ready, a module that instantiates', async () => {
    // The smallest module with one exported function: (func (export "f") (result i32) i32.const 7)
    const bytes = [
      0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 5, 1, 0x60, 0, 1, 0x7f, 3, 2, 1, 0, 7, 5, 1, 1, 0x66, 0, 0, 10, 6,
      1, 4, 0, 0x41, 7, 0x0b,
    ];
    const get = compileInBackground(Buffer.from(bytes).toString('base64'));
    const module = await settle(get);
    expect(module).toBeInstanceOf(WebAssembly.Module);
    const { exports } = new WebAssembly.Instance(module!);
    expect((exports.f as () => number)()).toBe(7);
  });

  it('gives undefined, and throws nothing, for bytes this engine will not compile', async () => {
    const get = compileInBackground(Buffer.from('not a module').toString('base64'));
    await new Promise((r) => setTimeout(r, 50));
    expect(get()).toBeUndefined();
  });
});
