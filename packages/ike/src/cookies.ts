/**
 * Stateless cookies (RFC 7296 section 2.6): Cookie = VersionIDofSecret | Hash(Ni | IPi | SPIi | secret).
 * The responder answers an IKE_SA_INIT without a valid cookie with N(COOKIE) and keeps nothing;
 * the secret changes every `rotateMs`, and cookies made with the previous secret stay valid.
 */
import { type Clock, type CryptoProvider, type Ip, ipToBytes } from '@mip6sec/core';
import { bytesToU32, concat, equalBytes, u32ToBytes, u64ToBytes } from './bytes.js';

interface Secret {
  readonly version: number;
  readonly value: Uint8Array;
  readonly since: number;
}

export class CookieJar {
  private readonly crypto: CryptoProvider;
  private readonly clock: Clock;
  private readonly rotateMs: number;
  private current: Secret;
  private previous: Secret | undefined;

  constructor(crypto: CryptoProvider, clock: Clock, rotateMs = 300_000) {
    this.crypto = crypto;
    this.clock = clock;
    this.rotateMs = rotateMs;
    this.current = { version: 1, value: crypto.randomBytes(32), since: clock.now() };
  }

  make(ni: Uint8Array, ipi: Ip, spiI: bigint): Uint8Array {
    this.rotate();
    return this.compute(this.current, ni, ipi, spiI);
  }

  verify(cookie: Uint8Array, ni: Uint8Array, ipi: Ip, spiI: bigint): boolean {
    this.rotate();
    if (cookie.length !== 36) return false;
    const version = bytesToU32(cookie, 0);
    const secret = [this.current, this.previous].find((s) => s?.version === version);
    return secret !== undefined && equalBytes(cookie, this.compute(secret, ni, ipi, spiI));
  }

  private compute(s: Secret, ni: Uint8Array, ipi: Ip, spiI: bigint): Uint8Array {
    const hash = this.crypto.hash('sha256', concat(ni, ipToBytes(ipi), u64ToBytes(spiI), s.value));
    return concat(u32ToBytes(s.version), hash);
  }

  private rotate(): void {
    const now = this.clock.now();
    if (now - this.current.since < this.rotateMs) return;
    this.previous = this.current;
    this.current = {
      version: (this.current.version + 1) >>> 0,
      value: this.crypto.randomBytes(32),
      since: now,
    };
  }
}
