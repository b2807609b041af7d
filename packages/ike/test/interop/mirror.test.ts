/**
 * The comparison of our listing with swanctl's (mirror.ts, charon-names.ts) without root: a pair
 * that mirrors gives no difference, and each field that does not is named.
 */
import { describe, expect, it } from 'vitest';
import type { IkeSaListing } from '../../src/ike-daemon.js';
import { charonAlgorithms } from './charon-names.js';
import { mirrorMismatches } from './mirror.js';
import { type IkeSaInfo, parseListSas } from './swanctl-output.js';

describe('charonAlgorithms', () => {
  it('names our suites as swanctl lists them', () => {
    expect(charonAlgorithms('aes128gcm16-prfsha256-curve25519', 'ike')).toEqual({
      encrAlg: 'AES_GCM_16',
      encrKeysize: 128,
      prfAlg: 'PRF_HMAC_SHA2_256',
      dhGroup: 'CURVE_25519',
    });
    expect(charonAlgorithms('aes256-sha384-prfsha384-ecp384', 'ike')).toEqual({
      encrAlg: 'AES_CBC',
      encrKeysize: 256,
      integAlg: 'HMAC_SHA2_384_192',
      prfAlg: 'PRF_HMAC_SHA2_384',
      dhGroup: 'ECP_384',
    });
    expect(charonAlgorithms('aes128-sha256-modp2048-noesn', 'esp')).toEqual({
      encrAlg: 'AES_CBC',
      encrKeysize: 128,
      integAlg: 'HMAC_SHA2_256_128',
      dhGroup: 'MODP_2048',
      esn: false,
    });
    // strongSwan gives ChaCha20-Poly1305 no key size.
    expect(charonAlgorithms('chacha20poly1305-esn', 'esp')).toEqual({
      encrAlg: 'CHACHA20_POLY1305',
      esn: true,
    });
  });

  it('refuses a transform it has no strongSwan name for', () => {
    expect(() => charonAlgorithms('aes128-sha256-modp1024', 'ike')).toThrow();
  });
});

const THEIRS = `list-sa event {
  gw {
    uniqueid = 3
    version = 2
    state = ESTABLISHED
    local-host = 192.0.2.1
    local-port = 4500
    local-id = gw@test
    remote-host = 192.0.2.2
    remote-port = 4500
    remote-id = ours@test
    initiator-spi = 0123456789abcdef
    responder-spi = fedcba9876543210
    nat-fake = yes
    nat-any = yes
    encr-alg = AES_GCM_16
    encr-keysize = 128
    prf-alg = PRF_HMAC_SHA2_256
    dh-group = CURVE_25519
    child-sas {
      net-4 {
        name = net
        uniqueid = 4
        reqid = 1
        state = INSTALLED
        mode = TUNNEL
        protocol = ESP
        encap = yes
        spi-in = c0ffee01
        spi-out = 00042121
        encr-alg = AES_GCM_16
        encr-keysize = 128
        local-ts = [
          10.1.0.0/24
        ]
        remote-ts = [
          10.2.0.0/24
        ]
      }
    }
  }
}
`;

const OURS: IkeSaListing = {
  ikeSpi: '0123456789abcdef:fedcba9876543210',
  spiI: '0123456789abcdef',
  spiR: 'fedcba9876543210',
  peer: 'gw',
  state: 'established',
  initiator: true,
  local: '192.0.2.2:4500',
  remote: '192.0.2.1:4500',
  localId: 'ours@test',
  remoteId: 'gw@test',
  algorithms: 'aes128gcm16-prfsha256-curve25519',
  natT: true,
  natLocal: false,
  natRemote: true,
  mobike: true,
  peerAdditionalAddresses: [],
  establishedAt: 0,
  children: [
    {
      name: 'net',
      state: 'installed',
      mode: 'tunnel',
      reqid: 1,
      reqidIn: 1,
      spiIn: '00042121',
      spiOut: 'c0ffee01',
      local: '192.0.2.2',
      remote: '192.0.2.1',
      encap: true,
      algorithms: 'aes128gcm16-noesn',
      localTs: ['10.2.0.0/24'],
      remoteTs: ['10.1.0.0/24'],
      createdAt: 0,
    },
  ],
};

describe('mirrorMismatches', () => {
  const theirs: IkeSaInfo = parseListSas(THEIRS)[0]!;

  it('finds nothing when the listings mirror', () => {
    expect(mirrorMismatches(OURS, theirs)).toEqual([]);
  });

  it('names every field that differs', () => {
    const child = OURS.children[0]!;
    const ours: IkeSaListing = {
      ...OURS,
      initiator: false,
      local: '192.0.2.3:4500',
      algorithms: 'aes256gcm16-prfsha256-curve25519',
      children: [{ ...child, spiOut: 'c0ffee02', localTs: ['10.3.0.0/24'] }],
    };
    const found = mirrorMismatches(ours, theirs).join('\n');
    expect(found).toMatch(/^initiator/m);
    expect(found).toMatch(/^our endpoint: ours "192\.0\.2\.3:4500", charon "192\.0\.2\.2:4500"$/m);
    expect(found).toMatch(/^IKE algorithms: .*"encrKeysize":256.*"encrKeysize":128/m);
    expect(found).toMatch(/^CHILD_SA net 00042121_i SPIs/m);
    expect(found).toMatch(/^CHILD_SA net 00042121_i selectors/m);
  });

  it('compares only installed CHILD_SAs', () => {
    const rekeyed = { ...OURS.children[0]!, state: 'rekeyed', spiIn: '0badcafe' };
    expect(mirrorMismatches({ ...OURS, children: [...OURS.children, rekeyed] }, theirs)).toEqual([]);
    expect(mirrorMismatches({ ...OURS, children: [] }, theirs)).toEqual([
      'installed CHILD_SAs (our inbound SPIs vs charon outbound SPIs): ours [], charon ["00042121"]',
    ]);
  });
});
