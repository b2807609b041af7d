/**
 * A small seeded generator (mulberry32) so every run of a scenario with the same seed makes the
 * same losses, jitter and orderings. Not for cryptography: keys come from the CryptoProvider.
 */
export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0 || 0x9e3779b9;
  }
  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  chance(p: number): boolean {
    return p > 0 && this.next() < p;
  }
  /** Uniform in [-amp, amp]. */
  jitter(amp: number): number {
    return amp > 0 ? (this.next() * 2 - 1) * amp : 0;
  }
  /** A child generator, so adding a consumer does not shift another consumer's draws. */
  fork(label: string): Rng {
    let h = this.state ^ 0x85ebca6b;
    for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193);
    return new Rng(h >>> 0);
  }
}
