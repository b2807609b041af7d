import { describe, expect, it } from 'vitest';
import { packetBuffer } from './packet-pool.js';

describe('packet buffers', () => {
  it('are zeroed, 8-byte aligned, never overlap, and stay valid after their slab is full', () => {
    const got: Uint8Array[] = [];
    // More than one 64 KB slab's worth, of every small size.
    for (let i = 0; i < 400; i++) {
      const b = packetBuffer(1 + ((i * 37) % 1500));
      expect(b.every((x) => x === 0)).toBe(true);
      expect(b.byteOffset % 8).toBe(0);
      b.fill(i & 0xff);
      got.push(b);
    }
    got.forEach((b, i) => {
      expect(b.every((x) => x === (i & 0xff))).toBe(true);
    });
    const slabs = new Set(got.map((b) => b.buffer));
    expect(slabs.size).toBeGreaterThan(1);
  });

  it('large packets get a buffer of their own', () => {
    const b = packetBuffer(40_000);
    expect(b.byteOffset).toBe(0);
    expect(b.buffer.byteLength).toBe(40_000);
    expect(packetBuffer(0).length).toBe(0);
  });
});
