/**
 * The gateway is shared, never stopped under a user: scripts/rgw/stop.sh with a lease stops
 * the daemons only when no live process holds another lease, and a start while it runs joins
 * it instead of booting (and wiping) a second one.
 */
import { execFileSync, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { rgwClientConfig } from '@rvfjs/test-kit';
import { describe, expect, inject, it } from 'vitest';
import { freshStore, rgw } from './helpers.js';

const SCRIPTS = resolve(import.meta.dirname, '../../../scripts/rgw');
const script = (name: string, lease: string) =>
  execFileSync('bash', [`${SCRIPTS}/${name}`], {
    encoding: 'utf8',
    env: { ...process.env, RGW_LEASE: lease },
    stdio: ['ignore', 'pipe', 'pipe'],
  });

describe('one gateway for every test file and package', () => {
  it('a second user joins the running gateway, and its stop leaves it up for the others', async () => {
    const store = await freshStore('share'); // a bucket made before the second user comes
    // Another "package's test run": a live process holding a lease of its own.
    const other = spawn('sleep', ['30']);
    try {
      const out = script('start.sh', `${other.pid}`);
      expect(out).toContain(`S3_ENDPOINT=${inject('rgw').S3_ENDPOINT}`);
      // It stops: our lease (this run's, from rgw-setup.ts) keeps the gateway up, state intact.
      script('stop.sh', `${other.pid}`);
      // And a user that never started anything drops nothing.
      script('stop.sh', `${process.pid}-nobody`);
      const client = new S3Client(rgw());
      const buckets = await client.send(new (await import('@aws-sdk/client-s3')).ListBucketsCommand({}));
      expect(buckets.Buckets?.map((b) => b.Name)).toContain(store.bucket);
      client.destroy();
    } finally {
      other.kill();
    }
    expect(rgwClientConfig(inject('rgw')).forcePathStyle).toBe(true);
  });
});
