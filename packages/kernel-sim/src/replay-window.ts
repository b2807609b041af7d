/**
 * The receiver's anti-replay window of RFC 4303 section 3.4.3, with 64-bit Extended Sequence Numbers
 * (RFC 4303 Appendix A2: the high-order 32 bits are inferred from the window, A2.2) and windows up to
 * 4096 packets. The check is split in two, as the RFC orders it: {@link ReplayWindow.check} before the
 * ICV is verified (no state change), {@link ReplayWindow.accept} after it verified.
 */
import { fail } from './errors.js';

export const MAX_REPLAY_WINDOW = 4096;
const TWO32 = 0x1_0000_0000;

export type ReplayVerdict =
  | { readonly ok: true; readonly hi: number; readonly lo: number }
  | { readonly ok: false; readonly reason: 'replay' | 'replay-old' | 'seq-zero' };

export class ReplayWindow {
  /** Window size in packets (0: no replay check, sequence numbers still tracked for ESN inference). */
  readonly size: number;
  readonly esn: boolean;
  private topHi = 0;
  private topLo = 0;
  // A ring of bits indexed by the low bits of the sequence number. Its length is a power of two that
  // divides 2^32, so the low 32 bits alone give the index, and it is at least one word longer than the
  // window so that sliding never has to clear a bit still inside the window.
  private readonly bits: Uint32Array;
  private readonly mask: number;

  constructor(size: number, esn = false) {
    if (!Number.isInteger(size) || size < 0 || size > MAX_REPLAY_WINDOW) {
      fail('EINVAL', `replay window ${size} is outside 0..${MAX_REPLAY_WINDOW}`);
    }
    this.size = size;
    this.esn = esn;
    let n = 64;
    while (n < size + 32) n *= 2;
    this.bits = new Uint32Array(n / 32);
    this.mask = n - 1;
  }

  /** Highest sequence number accepted so far (0/0 before the first packet). */
  get top(): { readonly hi: number; readonly lo: number } {
    return { hi: this.topHi, lo: this.topLo };
  }

  /** Decides whether a packet with low sequence bits `lo` may be new; infers the high bits under ESN. */
  check(lo: number): ReplayVerdict {
    lo >>>= 0;
    let hi = 0;
    if (this.esn) {
      // RFC 4303 A2.2, with W at least 1 so a window of 0 still infers the subspace.
      const w = Math.max(this.size, 1);
      const tl = this.topLo;
      const th = this.topHi;
      if (tl >= w - 1) hi = lo >= tl - w + 1 ? th : th + 1;
      else hi = lo >= tl - w + 1 + TWO32 ? th - 1 : th;
      if (hi < 0 || hi >= TWO32) return { ok: false, reason: 'replay-old' };
    }
    if (hi === 0 && lo === 0) return { ok: false, reason: 'seq-zero' };
    if (this.size === 0) return { ok: true, hi, lo };
    const diff = (this.topHi - hi) * TWO32 + (this.topLo - lo);
    if (diff < 0) return { ok: true, hi, lo };
    if (diff >= this.size) return { ok: false, reason: 'replay-old' };
    const i = lo & this.mask;
    if ((this.bits[i >>> 5]! >>> (i & 31)) & 1) return { ok: false, reason: 'replay' };
    return { ok: true, hi, lo };
  }

  /** Records an authenticated packet: slides the window forward when it is the newest, marks it seen. */
  accept(hi: number, lo: number): void {
    lo >>>= 0;
    const ahead = (hi - this.topHi) * TWO32 + (lo - this.topLo);
    if (ahead > 0) {
      const ringBits = this.mask + 1;
      if (ahead >= ringBits) this.bits.fill(0);
      else for (let k = 1; k <= ahead; k++) this.clearBit((this.topLo + k) & this.mask);
      this.topHi = hi;
      this.topLo = lo;
    }
    const i = lo & this.mask;
    this.bits[i >>> 5]! |= 1 << (i & 31);
  }

  /** A copy with the same position and bitmap (MIGRATE keeps the replay state of the SAs it moves). */
  clone(): ReplayWindow {
    const c = new ReplayWindow(this.size, this.esn);
    c.topHi = this.topHi;
    c.topLo = this.topLo;
    c.bits.set(this.bits);
    return c;
  }

  private clearBit(i: number): void {
    this.bits[i >>> 5]! &= ~(1 << (i & 31));
  }
}
