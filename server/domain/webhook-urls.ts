import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { ApiError } from '../errors.js';

/** What a webhook target may be (config.webhooks): http and private targets only outside production. */
export interface UrlPolicy {
  allowHttp: boolean;
  allowPrivate: boolean;
}

/** The address a delivery connects to: resolved once and pinned, so DNS cannot change between check and use. */
export interface Target {
  address: string;
  family: 4 | 6;
}

const refuse = (message: string) => new ApiError('VALIDATION_ERROR', message, [{ path: 'url', message }]);

/**
 * Only globally routable unicast addresses: no loopback, private, link-local, unique-local, carrier-grade
 * NAT, multicast, reserved or unspecified ones (ipaddr.js names every special range; "unicast" is the
 * rest). An IPv4 address mapped into IPv6 is judged as the IPv4 address it is.
 */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  return parsed.range() === 'unicast';
}

/**
 * The URL's form: https (http too when allowed), no user or password in it. 422 on `url` otherwise. (An
 * http(s) URL always has a host: the URL parser refuses one without.)
 */
export function parseWebhookUrl(raw: string, policy: UrlPolicy): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw refuse('url must be an absolute URL');
  }
  const schemes = policy.allowHttp ? ['https:', 'http:'] : ['https:'];
  if (!schemes.includes(url.protocol)) throw refuse(policy.allowHttp ? 'url must be http or https' : 'url must be https');
  if (url.username || url.password) throw refuse('url must not carry a user name or password');
  return url;
}

/**
 * Resolves the URL's host and refuses it (422) when any of its addresses is not public, unless private
 * targets are allowed. Run at create and again before every delivery: a name that resolved to a public
 * address yesterday may point inside the network today.
 */
export async function resolveTarget(url: URL, policy: UrlPolicy): Promise<Target> {
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const addresses = isIP(host)
    ? [{ address: host, family: isIP(host) as 4 | 6 }]
    : await lookup(host, { all: true, verbatim: true }).catch(() => {
        throw refuse(`url's host ${host} does not resolve`);
      });
  if (addresses.length === 0) throw refuse(`url's host ${host} does not resolve`);
  if (!policy.allowPrivate) {
    const inside = addresses.find((a) => !isPublicAddress(a.address));
    if (inside)
      throw refuse(`url's host ${host} resolves to a non-public address (${inside.address}); webhooks go to public addresses only`);
  }
  const first = addresses[0]!;
  return { address: first.address, family: first.family as 4 | 6 };
}
