import { hex16, RvfError, rvfError } from '@rvfjs/types';
import { ExitCode, exitCodeFor } from './exit-codes.js';
import { toJson } from './json.js';

/** The `--json` shape of a failure, printed on stderr (documented in apps/docs/content/cli.md). */
export interface ErrorDocument {
  error: {
    /** The RvfError's numeric u16 code; null only for an unexpected failure (a bug in rvf). */
    code: number | null;
    /** The same code as four hex digits, as messages print it (`0x4005`). */
    hex: string | null;
    name: string;
    /** What was wrong and where, without the `RVF error 0x…` prefix. */
    message: string;
    exitCode: number;
    details: Record<string, unknown>;
  };
}

const PREFIX = /^RVF error 0x[0-9a-f]{4} \w+: /;

/** An RvfError's message without the `RVF error 0x… Name: ` prefix, to wrap it in more context. */
export function bareMessage(e: RvfError): string {
  return e.message.replace(PREFIX, '');
}

/**
 * Failures from Node's file system (ENOENT, EACCES...) become IoFailed, so they carry a code
 * like every other failure; anything else that is not an RvfError is a bug and stays as is.
 */
export function normalizeError(error: unknown): unknown {
  if (error instanceof RvfError) return error;
  const e = error as NodeJS.ErrnoException;
  if (typeof e?.code === 'string' && typeof e.syscall === 'string') {
    return rvfError('IoFailed', e.message, { ...(e.path ? { path: e.path } : {}) }, e);
  }
  return error;
}

export function errorDocument(error: unknown): ErrorDocument {
  const e = normalizeError(error);
  if (e instanceof RvfError) {
    return {
      error: {
        code: e.code,
        hex: hex16(e.code),
        name: e.name,
        message: bareMessage(e),
        exitCode: exitCodeFor(e),
        details: { ...e.details },
      },
    };
  }
  return {
    error: {
      code: null,
      hex: null,
      name: 'Unexpected',
      message: `unexpected failure (a bug in rvf): ${(e as Error)?.stack ?? String(e)}`,
      exitCode: ExitCode.StoreOrData,
      details: {},
    },
  };
}

/** One line for people (`rvf: RVF error 0x0106 ManifestNotFound: …`), or the JSON document. */
export function printError(error: unknown, json: boolean): void {
  const e = normalizeError(error);
  const doc = errorDocument(e);
  const text = json ? toJson(doc) : `rvf: ${e instanceof RvfError ? e.message : doc.error.message}`;
  process.stderr.write(`${text}\n`);
}
