// SSRF defence for every download: a URL (and each redirect it leads to) must not point at a loopback, link-local,
// private or otherwise internal address, unless its host is one the operator configured (the hub in SEGKIT_HUB_URL,
// SEGKIT_ASSETS_URL's, or a host listed in SEGKIT_ALLOW_HOSTS). Redirects are followed by hand, so each hop is checked.
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { UrlRefusedError } from '@segkit/core';
import { assetsHost, hubUrl } from './cache-dir.js';

/** True for addresses a download must not reach by default: loopback, private, link-local, CGNAT, multicast, unspecified. */
export function isInternalAddress(ip: string): boolean {
  const v4 = ip.startsWith('::ffff:') && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip;
  if (isIP(v4) === 4) {
    const [a, b] = v4.split('.').map(Number) as [number, number];
    return (
      a === 0 ||
      a === 10 ||
      a === 127 ||
      (a === 169 && b === 254) ||
      (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) ||
      (a === 100 && b >= 64 && b <= 127) ||
      a >= 224
    );
  }
  const v6 = ip.toLowerCase();
  return (
    v6 === '::' ||
    v6 === '::1' ||
    v6.startsWith('fc') ||
    v6.startsWith('fd') ||
    /^fe[89ab]/.test(v6) ||
    v6.startsWith('ff')
  );
}

/** Hosts the operator chose: the configured hub's, and those in `SEGKIT_ALLOW_HOSTS` (comma-separated). */
export function allowedHosts(): Set<string> {
  const hosts = new Set<string>();
  try {
    hosts.add(new URL(hubUrl()).hostname.toLowerCase());
  } catch {
    // an unparsable SEGKIT_HUB_URL allows nothing; the download itself reports it
  }
  const assets = assetsHost();
  if (assets) hosts.add(assets);
  for (const h of (process.env.SEGKIT_ALLOW_HOSTS ?? '').split(','))
    if (h.trim()) hosts.add(h.trim().toLowerCase());
  return hosts;
}

/** Throws `E_URL_REFUSED` unless `url` is http(s) and its host is allowed or resolves only to public addresses. */
export async function assertUrlAllowed(url: string): Promise<void> {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UrlRefusedError(`Not a URL: ${url}`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw new UrlRefusedError(`Only http and https URLs are fetched, not ${u.protocol} (${url})`);
  const host = u.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (allowedHosts().has(host)) return;
  const addresses = isIP(host)
    ? [host]
    : (await lookup(host, { all: true }).catch(() => [])).map((a) => a.address);
  const internal = addresses.find(isInternalAddress);
  if (internal)
    throw new UrlRefusedError(
      `Refused ${u.origin}: ${host} is an internal address (${internal}); list it in SEGKIT_ALLOW_HOSTS to allow it`,
    );
}

/** `fetch` with each hop checked by {@link assertUrlAllowed}; at most 5 redirects. */
export async function guardedFetch(url: string, init: RequestInit = {}): Promise<Response> {
  let current = url;
  for (let hop = 0; hop <= 5; hop++) {
    await assertUrlAllowed(current);
    const res = await fetch(current, { ...init, redirect: 'manual' });
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && location) {
      await res.body?.cancel();
      current = new URL(location, current).toString();
      continue;
    }
    return res;
  }
  throw new UrlRefusedError(`Too many redirects from ${url}`);
}
