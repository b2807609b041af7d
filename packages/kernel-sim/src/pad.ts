/**
 * The Peer Authorization Database (RFC 4301 section 4.4.3) with the RFC 4877 binding of an IKE identity
 * to the home addresses it may use: an ordered list searched first match by identity (an exact identity,
 * or a pattern with `*` wildcards such as `*@example.com`). IKE asks whether a peer may authenticate from
 * an address; the home agent asks whether an identity may register or protect a home address.
 */
import { canonicalIp, type Ip, type Prefix, parsePrefix, prefixContains } from '@mip6sec/core';
import { fail } from './errors.js';

export interface PadEntry {
  /** IKE identity (FQDN, RFC 822 name, key id or address text), or a pattern with `*`. */
  readonly identity: string;
  /** Addresses the peer may run IKE from; absent means anywhere. */
  readonly peerAddresses?: readonly Prefix[];
  /** Home addresses this identity may bind and protect (RFC 4877 section 4.4); absent means none. */
  readonly homeAddresses?: readonly Ip[];
  /** How the peer authenticates (informational for IKE). */
  readonly auth?: 'psk' | 'pubkey' | 'eap';
}

export interface PadEntryInput {
  readonly identity: string;
  readonly peerAddresses?: readonly (Prefix | string)[];
  readonly homeAddresses?: readonly string[];
  readonly auth?: PadEntry['auth'];
}

function patternMatches(pattern: string, identity: string): boolean {
  if (!pattern.includes('*')) return pattern === identity;
  const re = new RegExp(
    `^${pattern
      .split('*')
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
  return re.test(identity);
}

export class Pad {
  private readonly list: PadEntry[] = [];

  /** Appends an entry (later entries are searched after earlier ones); EEXIST for a repeated identity. */
  add(input: PadEntryInput): PadEntry {
    if (typeof input.identity !== 'string' || input.identity === '')
      fail('EINVAL', 'a PAD entry needs an identity');
    if (this.list.some((e) => e.identity === input.identity)) {
      fail('EEXIST', `a PAD entry for ${input.identity} exists`);
    }
    const entry: PadEntry = {
      identity: input.identity,
      ...(input.peerAddresses
        ? { peerAddresses: input.peerAddresses.map((p) => (typeof p === 'string' ? parsePrefix(p) : p)) }
        : {}),
      ...(input.homeAddresses ? { homeAddresses: input.homeAddresses.map(canonicalIp) } : {}),
      ...(input.auth ? { auth: input.auth } : {}),
    };
    this.list.push(entry);
    return entry;
  }

  /** Removes the entry with exactly this identity; ENOENT when there is none. */
  remove(identity: string): void {
    const at = this.list.findIndex((e) => e.identity === identity);
    if (at < 0) fail('ENOENT', `no PAD entry for ${identity}`);
    this.list.splice(at, 1);
  }

  /** The first entry whose identity or pattern matches. */
  lookup(identity: string): PadEntry | undefined {
    return this.list.find((e) => patternMatches(e.identity, identity));
  }

  /** May this identity authenticate from this address? */
  mayConnectFrom(identity: string, address: Ip): boolean {
    const e = this.lookup(identity);
    if (!e) return false;
    return e.peerAddresses === undefined || e.peerAddresses.some((p) => prefixContains(p, address));
  }

  /** May this identity register and protect this home address (RFC 4877)? */
  authorizeHomeAddress(identity: string, hoa: Ip): boolean {
    const e = this.lookup(identity);
    if (!e?.homeAddresses) return false;
    const want = canonicalIp(hoa);
    return e.homeAddresses.includes(want);
  }

  /** The identity a home address belongs to, for checking a BU against the IKE_SA it came through. */
  identityForHomeAddress(hoa: Ip): string | undefined {
    const want = canonicalIp(hoa);
    return this.list.find((e) => e.homeAddresses?.includes(want))?.identity;
  }

  entries(): readonly PadEntry[] {
    return [...this.list];
  }

  clear(): void {
    this.list.length = 0;
  }
}
