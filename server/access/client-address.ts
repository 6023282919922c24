/**
 * Who the client is, for the sign-in limits: the socket's peer address, or, when that peer is a
 * trusted proxy (TRUSTED_PROXIES, only with TRUST_PROXY_TLS=1), the rightmost address in
 * `X-Forwarded-For` that is not itself a trusted proxy. Every proxy appends the address it
 * received the request from, so only the entries right of the first untrusted hop were written by
 * proxies we trust; anything further left was sent by the client and is never believed.
 */
import { BlockList, isIP } from 'node:net';

/** The trusted proxies' networks (`addr/prefix` strings, as `Config.trustedProxies` holds them). */
export class TrustedProxies {
  readonly #list = new BlockList();
  readonly size: number;

  constructor(cidrs: readonly string[]) {
    for (const cidr of cidrs) {
      const [addr = '', prefix = ''] = cidr.split('/');
      const family = isIP(addr);
      if (family === 0) throw new Error(`not an IP network: ${cidr}`);
      this.#list.addSubnet(addr, Number(prefix), family === 4 ? 'ipv4' : 'ipv6');
    }
    this.size = cidrs.length;
  }

  /** Whether `ip` (normalized by `normalizeIp`) is a trusted proxy. */
  has(ip: string): boolean {
    const family = isIP(ip);
    if (family === 0 || this.size === 0) return false;
    return this.#list.check(ip, family === 4 ? 'ipv4' : 'ipv6');
  }
}

/**
 * One address in a canonical form (IPv6 compressed and lower-case, IPv4-mapped IPv6 as IPv4), from
 * a socket address or an `X-Forwarded-For` entry (brackets and a `:port` allowed); null when it is
 * not an IP address.
 */
export function normalizeIp(raw: string | undefined | null): string | null {
  if (!raw) return null;
  let s = raw.trim();
  if (s.length === 0 || s.length > 64) return null;
  const bracketed = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(s);
  if (bracketed?.[1]) s = bracketed[1];
  else if (/^[\d.]+:\d{1,5}$/.test(s)) s = s.slice(0, s.lastIndexOf(':'));
  const family = isIP(s);
  if (family === 4) return s;
  if (family !== 6 || s.includes('%')) return null;
  let canonical: string;
  try {
    canonical = new URL(`http://[${s}]/`).hostname.slice(1, -1);
  } catch {
    return null;
  }
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(canonical);
  if (mapped?.[1] && mapped[2]) {
    const hi = parseInt(mapped[1], 16);
    const lo = parseInt(mapped[2], 16);
    return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  }
  return canonical;
}

/** The client's address (see the module comment); `unknown` when the peer is not known. */
export function clientAddress(
  peer: string | undefined | null,
  forwardedFor: string | undefined | null,
  trusted: TrustedProxies,
): string {
  let current = normalizeIp(peer);
  if (current === null) return 'unknown';
  if (!forwardedFor || !trusted.has(current)) return current;
  const hops = forwardedFor.split(',');
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = normalizeIp(hops[i]);
    // Not an address: the trusted hop that forwarded it answers for it.
    if (hop === null) return current;
    current = hop;
    if (!trusted.has(hop)) return hop;
  }
  return current;
}

/**
 * The key the limits count under: an IPv4 address, or an IPv6 address's /64 network (one host
 * usually holds a whole /64, so single IPv6 addresses would be free to rotate).
 */
export function limitKey(address: string): string {
  if (isIP(address) !== 6) return address;
  const [head = '', tail] = address.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups =
    tail === undefined
      ? left
      : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((g) => parseInt(g, 16).toString(16))
    .join(':')}::/64`;
}
