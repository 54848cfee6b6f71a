/**
 * The worker side of a GraphThread: builds an HNSW graph and prepares saved ones for loading,
 * on its own thread (and so on the machine's other core), while the event loop that owns the
 * store keeps answering queries and taking writes.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { RvfError } from '@rvfjs/types';
import { type GraphThreadFlags, runBusy, stopAsked } from './graph-thread-flags.js';
import type { GraphReply, GraphRequest } from './graph-thread-protocol.js';
import { HnswIndex, writeLoadFile } from './hnsw.js';
import { VectorStore } from './vector-store.js';

const port = parentPort;
if (!port) throw new Error('graph-worker.js runs only as a worker thread');

/**
 * Shared with the event-loop side (see graph-thread-flags.ts): a stop is checked between
 * inserts, so the thread leaves between native calls, never inside one.
 */
const flags = (workerData as { flags: GraphThreadFlags }).flags;
const stopping = () => stopAsked(flags);

let graph: HnswIndex | undefined;
let inserted = 0;

function reply(message: GraphReply, transfer: ArrayBuffer[] = []): void {
  port!.postMessage(message, transfer);
}

function failure(err: unknown, id?: number): GraphReply {
  const message = err instanceof Error ? err.message : String(err);
  return {
    op: 'failed',
    ...(id !== undefined ? { id } : {}),
    // An RvfError travels as its code and its message without the "RVF error …:" prefix.
    ...(err instanceof RvfError
      ? { code: err.code, message: message.replace(/^RVF error 0x[0-9a-f]{4} \w+: /, '') }
      : { message }),
  };
}

port.on('message', (msg: GraphRequest) => {
  let ran = false;
  try {
    ran = runBusy(flags, () => handle(msg));
  } catch (err) {
    // A failed request is answered under its id; a failed build step has none.
    reply(failure(err, 'id' in msg ? msg.id : undefined));
    return;
  }
  // Asked to stop before the request began: leaving now is safe, no native call is under way.
  if (!ran) process.exit(0);
});

function handle(msg: GraphRequest): void {
  switch (msg.op) {
    case 'build':
      graph = HnswIndex.create(msg.dimension, msg.metric, {
        m: msg.m,
        efConstruction: msg.efConstruction,
        efSearch: msg.efSearch,
        maxElements: Math.max(1024, msg.capacity),
      });
      inserted = 0;
      return;
    case 'add': {
      if (!graph) throw new Error('add before build');
      const dim = graph.dimension;
      const { ordinals, vectors } = msg;
      for (let i = 0; i < ordinals.length; i++) {
        if (stopping()) return;
        graph.add(ordinals[i]!, vectors.subarray(i * dim, (i + 1) * dim));
      }
      inserted += ordinals.length;
      reply({ op: 'added', total: inserted });
      return;
    }
    case 'save': {
      if (!graph) throw new Error('save before build');
      const { blob, members } = graph.saveTo(msg.path);
      reply({ op: 'saved', id: msg.id, blob, members }, [
        blob.buffer as ArrayBuffer,
        members.labels.buffer as ArrayBuffer,
        members.deleted.buffer as ArrayBuffer,
      ]);
      return;
    }
    case 'prepare': {
      const store = VectorStore.wrap(msg.vectors, msg.dimension, msg.count);
      reply({ op: 'prepared', id: msg.id, members: writeLoadFile(msg.blob, store, msg.path) });
      return;
    }
  }
}
