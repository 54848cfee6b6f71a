/**
 * nginx from Debian on 127.0.0.1, serving one folder: a real HTTP server's range requests
 * (206, Content-Range, ETags) rather than our own. Installed with apt-get when missing and
 * running as root; otherwise the caller's suite fails, naming what to install.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { ensureInstalled } from '@rvfjs/test-kit';

export interface Nginx {
  url: (name: string) => string;
  close: () => Promise<void>;
}

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/** Starts nginx in the foreground (its own child process) with a config of its own in `work`. */
export async function startNginx(root: string, work: string): Promise<Nginx> {
  ensureInstalled('nginx', 'nginx');
  const port = await freePort();
  mkdirSync(join(work, 'logs'), { recursive: true });
  // The workers run as an unprivileged user: they must be able to reach and read the served
  // folder (temp folders are made 0700).
  chmodSync(dirname(root), 0o755);
  chmodSync(root, 0o755);
  const conf = join(work, 'nginx.conf');
  writeFileSync(
    conf,
    `daemon off;
master_process on;
worker_processes 1;
pid ${join(work, 'nginx.pid')};
error_log ${join(work, 'logs/error.log')} warn;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path ${join(work, 'body')};
  proxy_temp_path ${join(work, 'proxy')};
  fastcgi_temp_path ${join(work, 'fastcgi')};
  uwsgi_temp_path ${join(work, 'uwsgi')};
  scgi_temp_path ${join(work, 'scgi')};
  server {
    listen 127.0.0.1:${port};
    root ${root};
  }
}
`,
  );
  const child: ChildProcess = spawn('nginx', ['-c', conf, '-p', work], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d) => {
    stderr += d;
  });
  const base = `http://127.0.0.1:${port}/`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`nginx exited with ${child.exitCode}: ${stderr}`);
    const up = await fetch(base, { method: 'HEAD' }).then(
      () => true,
      () => false,
    );
    if (up) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`nginx did not answer on ${base}: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: (name) => `${base}${encodeURIComponent(name)}`,
    close: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGQUIT');
      await exited;
    },
  };
}
