/**
 * A static file server on 127.0.0.1 that answers HEAD and ranged GETs (206 with
 * Content-Range), as a CDN or object store's HTTP endpoint does, and counts what it serves.
 */
import { readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

export interface RangeServer {
  url: (name: string) => string;
  stats: { requests: number; bytes: number };
  close: () => Promise<void>;
}

export async function startRangeServer(dir: string): Promise<RangeServer> {
  const stats = { requests: 0, bytes: 0 };
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
    if (!m) {
      stats.bytes += bytes.length;
      res.writeHead(200, { 'content-length': size }).end(bytes);
      return;
    }
    const from = Number(m[1]);
    const to = Math.min(Number(m[2]), size - 1);
    if (from >= size || to < from) {
      res.writeHead(416, { 'content-range': `bytes */${size}` }).end();
      return;
    }
    const body = bytes.subarray(from, to + 1);
    stats.bytes += body.length;
    res
      .writeHead(206, { 'content-range': `bytes ${from}-${to}/${size}`, 'content-length': body.length })
      .end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (name) => `http://127.0.0.1:${port}/${encodeURIComponent(name)}`,
    stats,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
