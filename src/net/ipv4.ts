// IPv4 arithmetic on prefixes ("10.213.0.0/24"): pure functions, no I/O.

export interface Cidr { network: number; prefix: number }

export function ipToInt(ip: string): number {
  const parts = ip.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) throw new Error(`not an IPv4 address: "${ip}"`);
  return ((parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]) >>> 0;
}

export function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

const mask = (prefix: number) => (prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0);

/** "10.213.0.7/24" -> network 10.213.0.0, prefix 24. A bare address is a /32. */
export function parseCidr(text: string): Cidr {
  const [ip, p] = text.split('/');
  const prefix = p === undefined ? 32 : Number(p);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > 32) throw new Error(`bad prefix length in "${text}"`);
  return { network: (ipToInt(ip) & mask(prefix)) >>> 0, prefix };
}

export function formatCidr(c: Cidr): string {
  return `${intToIp(c.network)}/${c.prefix}`;
}

/** Do two prefixes share any address? (one contains the other) */
export function overlaps(a: Cidr, b: Cidr): boolean {
  const p = Math.min(a.prefix, b.prefix);
  return ((a.network & mask(p)) >>> 0) === ((b.network & mask(p)) >>> 0);
}

export function contains(c: Cidr, ip: string): boolean {
  return ((ipToInt(ip) & mask(c.prefix)) >>> 0) === c.network;
}

/** The n-th address of a prefix (1 = the first usable one, the gateway by convention). */
export function nthAddress(c: Cidr, n: number): string {
  const size = 2 ** (32 - c.prefix);
  if (n < 0 || n >= size) throw new Error(`${formatCidr(c)} has no address number ${n}`);
  return intToIp((c.network + n) >>> 0);
}

/** Usable host numbers: 1 .. size-2 (the first is the network, the last the broadcast address). */
export function hostCount(c: Cidr): number {
  return Math.max(0, 2 ** (32 - c.prefix) - 2);
}

