import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { buildServer } from './server.js';

const USAGE = `usage: node dist/main.js [--port 8080] [--host 127.0.0.1] [--data ./data] [--log]

Serves every *.rvf store in the data folder over HTTP/JSON.
  --port <n>    port to listen on (0 picks a free one)        default 8080
  --host <addr> address to bind                               default 127.0.0.1
  --data <dir>  folder of the stores (created if missing)     default ./data
  --log         log every request (fastify's JSON logger)`;

const CLOSE_GRACE_MS = 10_000;

async function main(): Promise<void> {
  let values: { port: string; host: string; data: string; log: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      options: {
        port: { type: 'string', default: '8080' },
        host: { type: 'string', default: '127.0.0.1' },
        data: { type: 'string', default: './data' },
        log: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }) as { values: typeof values });
  } catch (e) {
    console.error(`${(e as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const port = Number(values.port);
  if (!/^\d+$/.test(values.port) || port > 65535) {
    console.error(`--port must be an integer from 0 to 65535, got '${values.port}'`);
    process.exit(2);
  }
  const dataDir = resolve(values.data);
  const app = buildServer({ dataDir, logger: values.log });
  const url = await app.listen({ port, host: values.host });
  console.log(`rvf server listening on ${url} (data: ${dataDir})`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) process.exit(1);
    stopping = true;
    console.log(`${signal}: closing stores`);
    // Graceful first: in-flight requests finish. A client that stalls (say, an export it
    // stopped reading) is cut off after a grace period, so every store still gets closed.
    setTimeout(() => app.server.closeAllConnections(), CLOSE_GRACE_MS).unref();
    app.close().then(
      () => process.exit(0),
      (e: unknown) => {
        console.error(e);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
