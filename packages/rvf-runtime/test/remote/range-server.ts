/**
 * A static file server on 127.0.0.1 that answers HEAD and ranged GETs (206 with
 * Content-Range), as a CDN or object store's HTTP endpoint does, and counts what it serves.
 * It can also misbehave on purpose: for the GETs `fault` picks, it drops the connection half
 * way through the body, answers 500 or 503, sends a short body, or sends bytes of another
 * range. HEAD always works (the faults are in the reads).
 */
import { readFileSync, statSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

export type Fault = 'drop' | '500' | '503' | 'short' | 'wrong-range' | undefined;

export interface RangeServer {
  url: (name: string) => string;
  /** GETs and HEADs answered, body bytes sent, GETs, and faults by kind. */
  stats: { requests: number; bytes: number; gets: number; faults: Record<string, number> };
  /** Chooses the fault (or none) for the n-th GET, counting from 1; by default none. */
  fault: (n: number) => Fault;
  close: () => Promise<void>;
}

export async function startRangeServer(dir: string): Promise<RangeServer> {
  const stats = { requests: 0, bytes: 0, gets: 0, faults: {} as Record<string, number> };
  const api: RangeServer = {
    url: () => '',
    stats,
    fault: () => undefined,
    close: async () => undefined,
  };
  const server: Server = createServer((req, res) => {
    stats.requests++;
    const path = join(dir, decodeURIComponent((req.url ?? '/').slice(1)));
    let size: number;
    try {
      size = statSync(path).size;
    } catch {
      res.writeHead(404).end();
      return;
    }
    if (req.method === 'HEAD') {
      res.writeHead(200, { 'content-length': size, 'accept-ranges': 'bytes' }).end();
      return;
    }
    const m = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
    const bytes = readFileSync(path);
    const from = m ? Number(m[1]) : 0;
    const to = m ? Math.min(Number(m[2]), size - 1) : size - 1;
    if (m && (from >= size || to < from)) {
      res.writeHead(416, { 'content-range': `bytes */${size}` }).end();
      return;
    }
    const body = bytes.subarray(from, to + 1);
    const fault = api.fault(++stats.gets);
    if (fault) {
      stats.faults[fault] = (stats.faults[fault] ?? 0) + 1;
      misbehave(res, fault, bytes, from, to);
      return;
    }
    stats.bytes += body.length;
    const range = m ? { 'content-range': `bytes ${from}-${to}/${size}` } : {};
    res.writeHead(m ? 206 : 200, { ...range, 'content-length': body.length }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  api.url = (name) => `http://127.0.0.1:${port}/${encodeURIComponent(name)}`;
  api.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return api;
}

/** Answers a GET for bytes from..to of `bytes` the way `fault` says a broken server would. */
function misbehave(
  res: ServerResponse,
  fault: Exclude<Fault, undefined>,
  bytes: Buffer,
  from: number,
  to: number,
) {
  const size = bytes.length;
  const body = bytes.subarray(from, to + 1);
  const range = { 'content-range': `bytes ${from}-${to}/${size}` };
  switch (fault) {
    case '500':
    case '503':
      res.writeHead(Number(fault), { 'content-type': 'text/plain' }).end('try again');
      return;
    case 'drop':
      // Promise the whole body, send half of it, and cut the connection.
      res.writeHead(206, { ...range, 'content-length': body.length });
      res.write(body.subarray(0, body.length >> 1), () => res.socket?.destroy());
      return;
    case 'short': {
      // A complete response (its length says so) that holds less than the range it claims.
      const part = body.subarray(0, Math.max(0, body.length - 7));
      res.writeHead(206, { ...range, 'content-length': part.length }).end(part);
      return;
    }
    case 'wrong-range': {
      // Honest headers, but for bytes one block later than asked: they must not be used.
      const shift = Math.min(4096, size - 1 - to);
      const other = bytes.subarray(from + shift, to + shift + 1);
      res
        .writeHead(206, {
          'content-range': `bytes ${from + shift}-${to + shift}/${size}`,
          'content-length': other.length,
        })
        .end(other);
    }
  }
}
