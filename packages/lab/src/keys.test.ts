import type { SecurityAssociation } from '@mip6sec/core';
import type { IkeSaListing } from '@mip6sec/ike';
import { describe, expect, it } from 'vitest';
import { captureFile, keyFiles } from './compare.js';
import { espSaLine, ikeAlgorithms, ikev2Line } from './keys.js';

const sa = (p: Partial<SecurityAssociation>): SecurityAssociation => ({
  src: '2001:db8:100::1001',
  dst: '2001:db8:1::1',
  spi: 0xc0ffee,
  proto: 'esp',
  mode: 'tunnel',
  reqid: 4,
  enc: { alg: 'aes-gcm-16', key: Uint8Array.from({ length: 20 }, (_, i) => i) },
  replayWindow: 32,
  state: 'mature',
  current: { bytes: 0, packets: 0, addTime: 0, seq: 0 },
  ...p,
});

describe("Wireshark's esp_sa lines", () => {
  it('name the HA end, wildcard the moving MN end, and carry key and salt', () => {
    expect(espSaLine(sa({}), '2001:db8:1::1')).toBe(
      '"IPv6","*","2001:db8:1::1","0x00c0ffee","AES-GCM with 16 octet ICV [RFC4106]","0x000102030405060708090a0b0c0d0e0f10111213","NULL",""',
    );
    const back = espSaLine(sa({ src: '2001:db8:1::1', dst: '2001:db8:100::1001' }), '2001:db8:1::1');
    expect(back?.split(',').slice(1, 3)).toEqual(['"2001:db8:1::1"', '"*"']);
  });

  it('write the HMAC suites and leave out what tshark cannot decrypt', () => {
    const cbc = espSaLine(
      sa({
        enc: { alg: 'aes-cbc', key: new Uint8Array(16) },
        integ: { alg: 'hmac-sha2-256-128', key: Uint8Array.of(0xab, 0xcd) },
      }),
    );
    expect(cbc).toContain('"AES-CBC [RFC3602]"');
    expect(cbc).toMatch(/"HMAC-SHA-256-128 \[RFC4868\]","0xabcd"$/);
    expect(espSaLine(sa({ enc: { alg: 'chacha20-poly1305', key: new Uint8Array(36) } }))).toBeUndefined();
  });
});

describe("Wireshark's ikev2_decryption_table lines", () => {
  const listing = {
    spiI: '0011223344556677',
    spiR: '8899aabbccddeeff',
    algorithms: 'aes128gcm16-prfsha256-x25519',
    keys: { skD: '', skAi: '', skAr: '', skEi: 'aa', skEr: 'bb', skPi: '', skPr: '' },
  } as unknown as IkeSaListing;

  it('write bytes as bare hex and names quoted', () => {
    expect(ikev2Line(listing)).toBe(
      '0011223344556677,8899aabbccddeeff,aa,bb,"AES-GCM-128 with 16 octet ICV [RFC5282]",,,"NONE [RFC4306]"',
    );
  });

  it('map CBC suites with their integrity, and nothing else', () => {
    expect(ikeAlgorithms('aes256-sha384-prfsha384-modp2048')).toEqual({
      enc: 'AES-CBC-256 [RFC3602]',
      integ: 'HMAC_SHA2_384_192 [RFC4868]',
    });
    expect(ikeAlgorithms('chacha20poly1305-prfsha256-x25519')).toBeUndefined();
    expect(ikev2Line({ ...listing, keys: undefined } as unknown as IkeSaListing)).toBeUndefined();
  });
});

describe('capture file names', () => {
  it('use the file itself for one strategy, and insert the strategy otherwise', () => {
    expect(captureFile('/tmp/run.pcap', 'msrd', true)).toBe('/tmp/run.pcap');
    expect(captureFile('/tmp/run.pcap', 'msrd', false)).toBe('/tmp/run.msrd.pcap');
    expect(captureFile('/tmp/run', 'migrate', false)).toBe('/tmp/run.migrate');
    expect(keyFiles('/tmp/run.msrd.pcap')).toEqual({
      esp: '/tmp/run.msrd.esp_sa',
      ike: '/tmp/run.msrd.ikev2_decryption_table',
    });
  });
});
