#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { type ApiKey, keysFromEnv, parseKeysFile } from './api-keys.js';
import { isRvfError, rvfMessage } from './errors.js';
import type { Limits } from './limits.js';
import { isLoopbackHost } from './loopback.js';
import { namespaceSource } from './namespace-source.js';
import type { ReadOnlySource } from './registry.js';
import { buildServer, type RateLimitOptions } from './server.js';

const USAGE = `usage: rvf-server [options]

Serves every *.rvf store in the data folder over HTTP/JSON.
  --port <n>              port to listen on (0 picks a free one)          default 8080
  --host <addr>           address to bind                                 default 127.0.0.1
  --data <dir>            folder of the stores (created if missing)       default ./data
  --data s3://bucket[/prefix]
                          serve the namespaces there, read-only, as a replica: writers
                          publish new versions (rvf publish) and every open store moves
                          to the newest within --poll-ms. Endpoint, region and keys come
                          from AWS_ENDPOINT_URL, AWS_REGION, AWS_ACCESS_KEY_ID and
                          AWS_SECRET_ACCESS_KEY
  --poll-ms <n>           with s3:// data: how often to look for new versions
                          (0: never)                                      default 1000
  --keys-file <path>      API keys, one '<role> <key>' per line (role read-write or read-only)
  --insecure              allow a non-loopback --host without any API key
  --rate-limit <n>        requests per minute per client (key, else IP); 0 is off
                          default: off on a loopback --host, 1200 otherwise
  --body-limit <bytes>    largest JSON request body                       default 64 MiB
  --import-line-limit <bytes>  longest NDJSON import line                 default 1 MiB
  --max-batch <n>         vectors per ingest, ids per fetch or delete     default 100000
  --max-queries <n>       queries per batch query                         default 1000
  --max-k <n>             largest k of a query                            default 10000
  --index-threshold <n>   below this many vectors queries scan exactly    default 1024
  --log                   log every request as JSON lines (with its reqId)
  --log-level <level>     fatal, error, warn, info, debug, trace          default info

API keys also come from the environment: RVF_API_KEY (read-write) and RVF_READ_ONLY_API_KEY.
With a key configured, every route but GET /health needs 'Authorization: Bearer <key>'.
Without one the server is open to whoever can reach it, so it then listens on a loopback
address only, unless --insecure is given.`;

const CLOSE_GRACE_MS = 10_000;
const DEFAULT_REMOTE_RATE_LIMIT = 1200;

/** Exit 2 with a message: the command line or the configuration is wrong. */
function usageError(message: string): never {
  console.error(`rvf-server: ${message}`);
  process.exit(2);
}

function integer(name: string, text: string | undefined, min: number, max = Number.MAX_SAFE_INTEGER) {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min || n > max)
    usageError(`--${name} must be an integer from ${min} to ${max}, got '${text}'`);
  return n;
}

function loadKeys(keysFile: string | undefined): ApiKey[] {
  const keys = keysFromEnv(process.env);
  if (keysFile !== undefined) {
    let text: string;
    try {
      text = readFileSync(keysFile, 'utf8');
    } catch (e) {
      usageError(`cannot read --keys-file ${keysFile}: ${(e as Error).message}`);
    }
    keys.push(...parseKeysFile(text, keysFile));
    if (keys.length === 0) usageError(`--keys-file ${keysFile} holds no key`);
  }
  return keys;
}

async function main(): Promise<void> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      options: {
        port: { type: 'string', default: '8080' },
        host: { type: 'string', default: '127.0.0.1' },
        data: { type: 'string', default: './data' },
        'poll-ms': { type: 'string' },
        'keys-file': { type: 'string' },
        insecure: { type: 'boolean', default: false },
        'rate-limit': { type: 'string' },
        'body-limit': { type: 'string' },
        'import-line-limit': { type: 'string' },
        'max-batch': { type: 'string' },
        'max-queries': { type: 'string' },
        'max-k': { type: 'string' },
        'index-threshold': { type: 'string' },
        log: { type: 'boolean', default: false },
        'log-level': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (e) {
    console.error(`${(e as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const str = (name: string) => values[name] as string | undefined;
  const port = integer('port', str('port'), 0, 65535)!;
  const host = str('host')!;
  const loopback = isLoopbackHost(host);

  let keys: ApiKey[];
  try {
    keys = loadKeys(str('keys-file'));
  } catch (e) {
    usageError(isRvfError(e) ? rvfMessage(e) : (e as Error).message);
  }
  if (keys.length === 0 && !loopback) {
    if (!values.insecure) {
      usageError(
        `refusing to listen on ${host} without an API key: anyone who can reach it could read and change every store. Set RVF_API_KEY (or --keys-file), bind a loopback address, or pass --insecure.`,
      );
    }
    console.error(`rvf-server: WARNING: listening on ${host} with no API key (--insecure)`);
  }

  const limits: Partial<Limits> = {};
  const limit = (key: keyof Limits, flag: string) => {
    const n = integer(flag, str(flag), 1);
    if (n !== undefined) limits[key] = n;
  };
  limit('bodyBytes', 'body-limit');
  limit('importLineBytes', 'import-line-limit');
  limit('batchItems', 'max-batch');
  limit('batchQueries', 'max-queries');
  limit('k', 'max-k');
  const perMinute = integer('rate-limit', str('rate-limit'), 0) ?? (loopback ? 0 : DEFAULT_REMOTE_RATE_LIMIT);
  const rateLimit: RateLimitOptions | undefined = perMinute > 0 ? { max: perMinute } : undefined;
  const indexThreshold = integer('index-threshold', str('index-threshold'), 0, 0x7fffffff);
  const logLevel = str('log-level');
  if (logLevel !== undefined && !['fatal', 'error', 'warn', 'info', 'debug', 'trace'].includes(logLevel))
    usageError(`--log-level must be fatal, error, warn, info, debug or trace, got '${logLevel}'`);

  const data = str('data')!;
  const remote = /^s3:\/\//i.test(data);
  const pollMs = integer('poll-ms', str('poll-ms'), 0, 86_400_000);
  if (pollMs !== undefined && !remote) usageError('--poll-ms applies to s3:// data only');
  let readOnlySource: ReadOnlySource | undefined;
  if (remote) {
    try {
      readOnlySource = namespaceSource(data, {}, indexThreshold !== undefined ? { indexThreshold } : {});
    } catch (e) {
      usageError(isRvfError(e) ? rvfMessage(e) : (e as Error).message);
    }
  }
  const dataDir = remote ? data : resolve(data);
  const app = buildServer({
    dataDir,
    ...(readOnlySource ? { readOnlySource } : {}),
    ...(pollMs !== undefined ? { pollMs } : {}),
    logger: values.log || logLevel ? { level: logLevel ?? 'info' } : false,
    limits,
    apiKeys: keys,
    ...(rateLimit ? { rateLimit } : {}),
    ...(indexThreshold !== undefined ? { indexThreshold } : {}),
  });
  const readOnly = keys.filter((k) => k.role === 'read-only').length;
  console.log(
    keys.length === 0
      ? 'auth: none (no API key configured; open to every client that can connect)'
      : `auth: ${keys.length - readOnly} read-write and ${readOnly} read-only key(s)`,
  );

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
  // Installed before the URL is printed: whoever starts the server on seeing it may stop it at once.
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));

  const url = await app.listen({ port, host });
  console.log(`rvf server listening on ${url} (data: ${dataDir}${remote ? ', read-only replica' : ''})`);
}

main().catch((e: unknown) => {
  console.error(isRvfError(e) ? `rvf-server: ${rvfMessage(e)}` : e instanceof Error ? e.message : e);
  process.exit(1);
});
