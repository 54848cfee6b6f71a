import { isIP } from 'node:net';

/**
 * True when binding `host` can only accept connections from this machine: `localhost`, an
 * address in 127.0.0.0/8, `::1`, or 127.x as an IPv4-mapped IPv6 address. Anything else,
 * including `0.0.0.0`, `::` and other host names, may be reachable from a network.
 */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (h === 'localhost') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1' || h === '0:0:0:0:0:0:0:1' || h.startsWith('::ffff:127.');
  return false;
}
