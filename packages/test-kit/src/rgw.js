import { execFileSync, execSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';

const SCRIPTS = resolve(import.meta.dirname, '../../../scripts/rgw');
const CEPH_PACKAGES = 'radosgw ceph-mon ceph-osd ceph-common';

/** True when `command` is on the PATH. */
export function hasCommand(command) {
  try {
    execSync(`command -v ${command}`, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Installs Debian packages when `command` is missing and this runs as root (as in CI), and
 * throws, naming what to install, when it is still missing: a suite that needs a real server
 * fails loudly instead of skipping.
 */
export function ensureInstalled(command, packages) {
  if (!hasCommand(command) && process.getuid?.() === 0) {
    execSync(
      `apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ${packages}`,
      { stdio: 'ignore', timeout: 600_000 },
    );
  }
  if (!hasCommand(command)) {
    throw new Error(
      `${command} is not installed: apt-get install -y ${packages} (as root), then run the tests again`,
    );
  }
}

/** This process's lease: a pid (so stop.sh can tell a dead holder) and a tag per start. */
const lease = `${process.pid}-${randomBytes(4).toString('hex')}`;

/**
 * Starts Ceph RADOS Gateway on 127.0.0.1 (scripts/rgw/start.sh), or joins the one already
 * running, under a lease of this process; installs Ceph's packages first when missing and
 * root. Returns S3_ENDPOINT, S3_ACCESS_KEY, S3_SECRET_KEY and S3_REGION. Throws with the
 * script's own words when the gateway cannot start.
 */
export function startRgw() {
  ensureInstalled('radosgw', CEPH_PACKAGES);
  let out;
  try {
    out = execFileSync('bash', [join(SCRIPTS, 'start.sh')], {
      encoding: 'utf8',
      timeout: 300_000,
      env: { ...process.env, RGW_LEASE: lease },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (e) {
    throw new Error(`Ceph RADOS Gateway did not start: ${e.stderr || e.message}`);
  }
  return Object.fromEntries(
    out
      .split('\n')
      .filter((l) => /^S3_\w+=/.test(l))
      .map((l) => l.split('=', 2)),
  );
}

/** Drops this process's lease; the gateway stops when no other live process holds one. */
export function stopRgw() {
  execFileSync('bash', [join(SCRIPTS, 'stop.sh')], {
    stdio: 'ignore',
    env: { ...process.env, RGW_LEASE: lease },
  });
}

/**
 * S3Client options for the gateway: path-style URLs, and checksums only where the API needs
 * them (RGW 16 answers the SDK's default checksummed streaming uploads with 411).
 */
export function rgwClientConfig(env) {
  return {
    endpoint: env.S3_ENDPOINT,
    region: env.S3_REGION,
    credentials: { accessKeyId: env.S3_ACCESS_KEY, secretAccessKey: env.S3_SECRET_KEY },
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  };
}
