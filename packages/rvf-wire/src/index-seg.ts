import { INDEX_CODEC_HEADER_SIZE, INDEX_RESTART_INTERVAL, INDEX_TRAILER_MAGIC, rvfError } from '@rvfjs/types';
import { ByteReader } from './byte-reader.js';
import { readDeltaList, readVarint, writeDeltaList, writeVarint } from './varint.js';

/**
 * The reference's persisted HNSW graph (INDEX_SEG 0x02, spec §12). Node k is the k-th
 * smallest vector id; neighbour lists hold node ordinals.
 */
export interface IndexGraph {
  indexType: number;
  layerLevel: number;
  m: number;
  efConstruction: number;
  restartInterval: number;
  /** nodes[k][layer] = sorted neighbour ordinals. */
  nodes: number[][][];
  version: number;
  m0: number;
  maxLayer: number;
  /** null when the graph has no entry point (u64::MAX on disk). */
  entryOrdinal: bigint | null;
  /** Sorted vector ids; node k ↔ ids[k]. */
  ids: number[];
}

const NO_ENTRY = 0xffffffffffffffffn;
const pad64 = (n: number) => Math.ceil(n / 64) * 64;

/** Decodes an INDEX_SEG payload (the reference's HNSW graph layout) into its adjacency lists. */
export function decodeIndexPayload(payload: Uint8Array, fileOffset = 0): IndexGraph {
  const r = new ByteReader(payload, 'INDEX payload', fileOffset);
  const len = payload.length;
  if (len < INDEX_CODEC_HEADER_SIZE + 8) throw r.fail(`payload of ${len} bytes is too short`);
  const tail = new DataView(payload.buffer, payload.byteOffset + len - 8, 8);
  if (tail.getUint32(4, true) !== INDEX_TRAILER_MAGIC) throw r.fail('missing RVIX trailer');
  const bodyLen = tail.getUint32(0, true);
  const codecLen = len - 8 - bodyLen;
  if (codecLen < INDEX_CODEC_HEADER_SIZE) throw r.fail(`trailer body length ${bodyLen} leaves no codec part`);

  const indexType = r.u8();
  const layerLevel = r.u8();
  const m = r.u16();
  const efConstruction = r.u32();
  const nodeCount = r.u64Number('node_count');
  r.skip(INDEX_CODEC_HEADER_SIZE - 16);
  const restartInterval = r.u32('restart_interval');
  const restartCount = r.u32('restart_count');
  if (restartInterval === 0) throw r.fail('restart_interval is 0');
  if (restartCount !== Math.ceil(nodeCount / restartInterval)) {
    throw r.fail(`restart_count ${restartCount} does not match ${nodeCount} nodes`);
  }
  r.need(4 * restartCount, 'restart offsets');
  const restarts = new Array<number>(restartCount);
  for (let i = 0; i < restartCount; i++) restarts[i] = r.u32();
  const adjStart = INDEX_CODEC_HEADER_SIZE + pad64(8 + 4 * restartCount);
  if (adjStart > codecLen) throw r.fail('restart index runs past the codec part');
  // Every node takes at least one adjacency byte (its layer count): bound node_count before allocating.
  if (nodeCount > codecLen - adjStart) {
    throw r.fail(`node_count ${nodeCount} exceeds the ${codecLen - adjStart} bytes of adjacency data`);
  }
  const adj = new ByteReader(payload.subarray(adjStart, codecLen), 'INDEX adjacency', fileOffset + adjStart);
  const nodes: number[][][] = new Array(nodeCount);
  for (let k = 0; k < nodeCount; k++) {
    if (k % restartInterval === 0 && restarts[k / restartInterval] !== adj.position) {
      throw adj.fail(
        `restart offset for node ${k} is ${restarts[k / restartInterval]}, data is at ${adj.position}`,
      );
    }
    const layers = readVarint(adj, 'layer_count');
    if (layers > 64) throw adj.fail(`node ${k} claims ${layers} layers`);
    const perLayer: number[][] = new Array(layers);
    for (let l = 0; l < layers; l++) {
      const count = readVarint(adj, 'neighbor_count');
      if (count > adj.remaining) throw adj.fail(`node ${k} claims ${count} neighbours`);
      perLayer[l] =
        k % restartInterval === 0
          ? Array.from({ length: count }, () => readVarint(adj, 'neighbor'))
          : readDeltaList(adj, count, 'neighbors');
    }
    nodes[k] = perLayer;
  }

  const t = new ByteReader(payload.subarray(codecLen, len - 8), 'INDEX trailer', fileOffset + codecLen);
  const version = t.u16();
  const m0 = t.u16();
  const maxLayer = t.u32();
  const entry = t.u64();
  const idCount = t.u64Number('id_count');
  if (idCount > t.remaining) throw t.fail(`id_count ${idCount} exceeds the trailer`);
  const ids = readDeltaList(t, idCount, 'ids');
  return {
    indexType,
    layerLevel,
    m,
    efConstruction,
    restartInterval,
    nodes,
    version,
    m0,
    maxLayer,
    entryOrdinal: entry === NO_ENTRY ? null : entry,
    ids,
  };
}

/** Encodes an HNSW graph as an INDEX_SEG payload in the reference's layout. */
export function encodeIndexPayload(g: IndexGraph): Uint8Array {
  if (g.restartInterval <= 0) throw rvfError('InvalidManifest', 'INDEX restart_interval must be positive');
  const adj: number[] = [];
  const restarts: number[] = [];
  g.nodes.forEach((layers, k) => {
    if (k % g.restartInterval === 0) restarts.push(adj.length);
    writeVarint(adj, layers.length);
    for (const list of layers) {
      writeVarint(adj, list.length);
      if (k % g.restartInterval === 0) for (const v of list) writeVarint(adj, v);
      else writeDeltaList(adj, list);
    }
  });
  const body: number[] = [];
  const trailerHead = new DataView(new ArrayBuffer(24));
  trailerHead.setUint16(0, g.version, true);
  trailerHead.setUint16(2, g.m0, true);
  trailerHead.setUint32(4, g.maxLayer, true);
  trailerHead.setBigUint64(8, g.entryOrdinal ?? NO_ENTRY, true);
  trailerHead.setBigUint64(16, BigInt(g.ids.length), true);
  body.push(...new Uint8Array(trailerHead.buffer));
  writeDeltaList(body, g.ids);

  const restartBytes = pad64(8 + 4 * restarts.length);
  const codecLen = INDEX_CODEC_HEADER_SIZE + restartBytes + pad64(adj.length);
  const out = new Uint8Array(codecLen + body.length + 8);
  const v = new DataView(out.buffer);
  v.setUint8(0, g.indexType);
  v.setUint8(1, g.layerLevel);
  v.setUint16(2, g.m, true);
  v.setUint32(4, g.efConstruction, true);
  v.setBigUint64(8, BigInt(g.nodes.length), true);
  v.setUint32(64, g.restartInterval, true);
  v.setUint32(68, restarts.length, true);
  for (const [i, o] of restarts.entries()) v.setUint32(72 + 4 * i, o, true);
  out.set(adj, INDEX_CODEC_HEADER_SIZE + restartBytes);
  out.set(body, codecLen);
  v.setUint32(codecLen + body.length, body.length, true);
  v.setUint32(codecLen + body.length + 4, INDEX_TRAILER_MAGIC, true);
  return out;
}

export { INDEX_RESTART_INTERVAL };
