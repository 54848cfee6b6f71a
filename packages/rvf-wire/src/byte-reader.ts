import { type ErrorName, rvfError } from '@rvfjs/types';

/**
 * A bounds-checked little-endian cursor. Every decoder reads through one, so a short or
 * malformed buffer becomes an RvfError naming the structure and the absolute offset,
 * never a RangeError from DataView.
 */
export class ByteReader {
  private pos = 0;
  private readonly view: DataView;

  constructor(
    readonly bytes: Uint8Array,
    /** What is being decoded, for messages ("manifest", "VEC payload"...). */
    readonly what: string,
    /** Absolute file offset of bytes[0], for messages; 0 when unknown. */
    readonly baseOffset = 0,
    /** The error to raise when the structure is malformed. */
    readonly errorName: ErrorName = 'TruncatedSegment',
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** Offset of the next byte to read, from the start of the buffer. */
  get position(): number {
    return this.pos;
  }

  /** Bytes left after the position. */
  get remaining(): number {
    return this.bytes.length - this.pos;
  }

  /** Throws unless `n` more bytes are available. */
  need(n: number, field = 'field'): void {
    if (n < 0 || this.pos + n > this.bytes.length) {
      throw this.fail(`${field} needs ${n} bytes at +${this.pos}, only ${this.remaining} remain`);
    }
  }

  /** An RvfError (of the reader's error name) for a malformed structure at the current position. */
  fail(message: string, extra: Record<string, unknown> = {}): Error {
    return rvfError(this.errorName, `${this.what}: ${message}`, {
      offset: this.baseOffset + this.pos,
      ...extra,
    });
  }

  /** Moves past `n` bytes (reserved or ignored fields); throws unless they are there. */
  skip(n: number, field?: string): void {
    this.need(n, field);
    this.pos += n;
  }

  /** Reads a u8. */
  u8(field?: string): number {
    this.need(1, field);
    return this.view.getUint8(this.pos++);
  }

  /** Reads a little-endian u16. */
  u16(field?: string): number {
    this.need(2, field);
    const v = this.view.getUint16(this.pos, true);
    this.pos += 2;
    return v;
  }

  /** Reads a little-endian u32. */
  u32(field?: string): number {
    this.need(4, field);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  /** Reads a little-endian u64, as a bigint. */
  u64(field?: string): bigint {
    this.need(8, field);
    const v = this.view.getBigUint64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /** A u64 that must fit in a JS number (offsets, lengths, counts). */
  u64Number(field = 'u64 field'): number {
    const at = this.pos;
    const v = this.u64(field);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) {
      this.pos = at;
      throw this.fail(`${field} ${v} is out of range`);
    }
    return Number(v);
  }

  /** Reads a little-endian float32. */
  f32(field?: string): number {
    this.need(4, field);
    const v = this.view.getFloat32(this.pos, true);
    this.pos += 4;
    return v;
  }

  /** A copy of the next `n` bytes (decoded structures never alias the source buffer). */
  bytesCopy(n: number, field?: string): Uint8Array {
    this.need(n, field);
    const out = this.bytes.slice(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** A view of the next `n` bytes, for hot paths that copy out themselves. */
  bytesView(n: number, field?: string): Uint8Array {
    this.need(n, field);
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
}

/** A fixed-size little-endian writer; encoders compute their exact size first. */
export class ByteWriter {
  private pos = 0;
  readonly bytes: Uint8Array;
  private readonly view: DataView;

  constructor(size: number) {
    this.bytes = new Uint8Array(size);
    this.view = new DataView(this.bytes.buffer);
  }

  /** Offset of the next byte to write. */
  get position(): number {
    return this.pos;
  }

  /** Writes a u8. */
  u8(v: number): this {
    this.view.setUint8(this.pos, v);
    this.pos += 1;
    return this;
  }

  /** Writes a little-endian u16. */
  u16(v: number): this {
    this.view.setUint16(this.pos, v, true);
    this.pos += 2;
    return this;
  }

  /** Writes a little-endian u32. */
  u32(v: number): this {
    this.view.setUint32(this.pos, v, true);
    this.pos += 4;
    return this;
  }

  /** Writes a little-endian u64 (a bigint, or a number within 2^53). */
  u64(v: bigint | number): this {
    this.view.setBigUint64(this.pos, BigInt(v), true);
    this.pos += 8;
    return this;
  }

  /** Writes a little-endian float32. */
  f32(v: number): this {
    this.view.setFloat32(this.pos, v, true);
    this.pos += 4;
    return this;
  }

  /** Copies `src` in. */
  bytes_(src: Uint8Array): this {
    this.bytes.set(src, this.pos);
    this.pos += src.length;
    return this;
  }

  /** Leaves `n` zero bytes (reserved fields, padding). */
  zeros(n: number): this {
    this.pos += n; // the buffer starts zeroed
    return this;
  }

  /** Asserts the encoder filled exactly the size it computed. */
  finish(): Uint8Array {
    if (this.pos !== this.bytes.length) {
      throw new Error(`internal: encoder wrote ${this.pos} of ${this.bytes.length} bytes`);
    }
    return this.bytes;
  }
}
