import { describe, expect, it } from 'vitest';
import { HomeAddressPool } from './home-address-pool.js';

describe('HomeAddressPool', () => {
  it('hands out addresses from the first host on, sticky per identity, honouring free proposals', () => {
    const pool = new HomeAddressPool({ prefix: '2001:db8:1::5/64', reserved: ['2001:db8:1::101'] });
    expect(pool.prefix).toEqual({ addr: '2001:db8:1::', len: 64 });
    expect(pool.assign('a').assignment).toEqual({ identity: 'a', hoa: '2001:db8:1::100', prefixLen: 64 });
    expect(pool.assign('b').assignment.hoa).toBe('2001:db8:1::102');
    expect(pool.assign('a', '2001:db8:1::7')).toEqual({
      assignment: { identity: 'a', hoa: '2001:db8:1::100', prefixLen: 64 },
      changed: true,
    });
    expect(pool.assign('c', '2001:db8:1::7')).toEqual({
      assignment: { identity: 'c', hoa: '2001:db8:1::7', prefixLen: 64 },
      changed: false,
    });
    expect(pool.assign('d', '2001:db8:2::7').changed).toBe(true);
    expect(pool.assign('e', '2001:db8:1::').assignment.hoa).not.toBe('2001:db8:1::');
    expect(pool.owner('2001:db8:1::7')).toBe('c');
    expect(pool.release('c')).toBe(true);
    expect(pool.release('c')).toBe(false);
    expect(pool.owner('2001:db8:1::7')).toBeUndefined();
    expect(pool.assignments().map((a) => a.identity)).toEqual(['a', 'b', 'd', 'e']);
  });

  it('fails with INTERNAL_ADDRESS_FAILURE when exhausted, and wraps around to freed addresses', () => {
    const pool = new HomeAddressPool({ prefix: '10.0.0.0/30', firstHost: 1 });
    expect(pool.family).toBe(4);
    expect(pool.assign('a').assignment.hoa).toBe('10.0.0.1');
    expect(pool.assign('b').assignment.hoa).toBe('10.0.0.2');
    expect(pool.assign('c').assignment.hoa).toBe('10.0.0.3');
    expect(() => pool.assign('d')).toThrow(expect.objectContaining({ code: 'INTERNAL_ADDRESS_FAILURE' }));
    pool.release('b');
    expect(pool.assign('d').assignment.hoa).toBe('10.0.0.2');
  });

  it('refuses a bad prefix', () => {
    expect(() => new HomeAddressPool({ prefix: 'nope' })).toThrow(
      expect.objectContaining({ code: 'EINVAL' }),
    );
  });
});
