import { describe, expect, it } from 'vitest';
import { AUTH_ALG, DH_GROUP, ENCR, ESN, PRF, PROTOCOL, TRANSFORM_TYPE } from '../constants.js';
import type { Proposal } from '../payloads/types.js';
import {
  acceptChosenProposal,
  parseProposal,
  parseProposals,
  selectProposal,
  suiteName,
  toProposals,
} from './proposals.js';

const { ENCR: E, PRF: P, INTEG: I, DH: D, ESN: N } = TRANSFORM_TYPE;
const kl = (bits: number) => [{ type: 14, value: bits }];

describe('strongSwan proposal keywords', () => {
  it('parses IKE proposals, deriving the PRF from the integrity algorithm', () => {
    expect(parseProposal('aes128-sha256-modp2048', 'ike').transforms).toEqual([
      { type: E, id: ENCR.ENCR_AES_CBC, attributes: kl(128) },
      { type: P, id: PRF.PRF_HMAC_SHA2_256 },
      { type: I, id: AUTH_ALG.AUTH_HMAC_SHA2_256_128 },
      { type: D, id: DH_GROUP.MODP_2048 },
    ]);
    expect(parseProposal('aes256gcm16-prfsha384-ecp384', 'ike').transforms).toEqual([
      { type: E, id: ENCR.ENCR_AES_GCM_16, attributes: kl(256) },
      { type: P, id: PRF.PRF_HMAC_SHA2_384 },
      { type: D, id: DH_GROUP.ECP_384 },
    ]);
    expect(parseProposal('chacha20poly1305-prfsha256-x25519', 'ike').transforms).toEqual([
      { type: E, id: ENCR.ENCR_CHACHA20_POLY1305 },
      { type: P, id: PRF.PRF_HMAC_SHA2_256 },
      { type: D, id: DH_GROUP.CURVE25519 },
    ]);
    expect(parseProposal('aes128-sha256-ecp256', 'ike').transforms.at(-1)).toEqual({
      type: D,
      id: DH_GROUP.ECP_256,
    });
  });

  it('parses ESP proposals with ESN defaulting to off and an optional PFS group', () => {
    expect(parseProposal('aes128gcm16', 'esp').transforms).toEqual([
      { type: E, id: ENCR.ENCR_AES_GCM_16, attributes: kl(128) },
      { type: N, id: ESN.NO_ESN },
    ]);
    expect(parseProposal('aes128-sha256', 'esp').transforms).toEqual([
      { type: E, id: ENCR.ENCR_AES_CBC, attributes: kl(128) },
      { type: I, id: AUTH_ALG.AUTH_HMAC_SHA2_256_128 },
      { type: N, id: ESN.NO_ESN },
    ]);
    expect(parseProposal('aes256-sha384-modp2048-esn', 'esp').transforms).toEqual([
      { type: E, id: ENCR.ENCR_AES_CBC, attributes: kl(256) },
      { type: I, id: AUTH_ALG.AUTH_HMAC_SHA2_384_192 },
      { type: D, id: DH_GROUP.MODP_2048 },
      { type: N, id: ESN.ESN },
    ]);
  });

  it.each([
    ['aes128-md5-modp2048', 'ike'],
    ['aes128gcm16-modp2048', 'ike'],
    ['aes128gcm16-sha256-prfsha256-modp2048', 'ike'],
    ['aes128-sha256', 'ike'],
    ['aes128', 'esp'],
    ['aes128-aes128gcm16-sha256', 'esp'],
    ['aes128-sha256-modp1024', 'ike'],
    ['aes128-sha256-esn-modp2048', 'ike'],
    ['aes128-sha256-prfsha256', 'esp'],
  ] as const)('refuses %s for %s with EINVAL', (text, protocol) => {
    expect(() => parseProposal(text, protocol)).toThrow(expect.objectContaining({ code: 'EINVAL' }));
  });
});

describe('negotiation', () => {
  const init = parseProposals(['aes256gcm16-prfsha384-ecp384', 'aes128-sha256-modp2048-ecp256'], 'ike');
  const offered = toProposals(init, new Uint8Array(0));

  it('picks in the responder order and echoes the offered number', () => {
    const mine = parseProposals(['aes128-sha256-ecp256-modp2048'], 'ike');
    const r = selectProposal(offered, mine);
    expect(r?.proposal.num).toBe(2);
    expect(r?.suite).toEqual({
      protocol: 'ike',
      encr: 'aes-cbc',
      encrKeyBits: 128,
      integ: 'hmac-sha2-256-128',
      prf: 'hmac-sha2-256',
      dh: 19,
    });
    expect(suiteName(r!.suite)).toBe('aes128-sha256-prfsha256-ecp256');
    expect(acceptChosenProposal(offered, [r!.proposal])).toEqual(r!.suite);
  });

  it('prefers the group of the KE payload when both sides allow it', () => {
    const mine = parseProposals(['aes128-sha256-ecp256-modp2048'], 'ike');
    expect(selectProposal(offered, mine, { preferDh: 14 })?.suite.dh).toBe(14);
    expect(selectProposal(offered, mine, { preferDh: 20 })?.suite.dh).toBe(19);
  });

  it('finds nothing when no transform set matches', () => {
    expect(
      selectProposal(offered, parseProposals(['chacha20poly1305-prfsha256-x25519'], 'ike')),
    ).toBeUndefined();
  });

  it('does not accept PFS the responder did not configure, nor drop PFS the initiator asked for', () => {
    const pfs = toProposals(parseProposals(['aes128-sha256-modp2048'], 'esp'), Uint8Array.of(1, 2, 3, 4));
    expect(selectProposal(pfs, parseProposals(['aes128-sha256'], 'esp'))).toBeUndefined();
    const r = selectProposal(pfs, parseProposals(['aes128-sha256-modp2048'], 'esp'));
    expect(r?.suite).toEqual({
      protocol: 'esp',
      encr: 'aes-cbc',
      encrKeyBits: 128,
      integ: 'hmac-sha2-256-128',
      dh: 14,
      esn: false,
    });
    expect(r?.proposal.transforms.map((t) => t.type)).toEqual([E, I, D, N]);
  });

  it('rejects a response naming a transform or proposal that was not offered', () => {
    const chosen: Proposal = {
      num: 1,
      protocol: PROTOCOL.IKE,
      spi: new Uint8Array(0),
      transforms: [
        { type: E, id: ENCR.ENCR_AES_GCM_16, attributes: kl(128) },
        { type: P, id: PRF.PRF_HMAC_SHA2_384 },
        { type: D, id: DH_GROUP.ECP_384 },
      ],
    };
    expect(() => acceptChosenProposal(offered, [chosen])).toThrow(
      expect.objectContaining({ code: 'NO_PROPOSAL_CHOSEN' }),
    );
    expect(() => acceptChosenProposal(offered, [{ ...chosen, num: 9 }])).toThrow(
      expect.objectContaining({ code: 'NO_PROPOSAL_CHOSEN' }),
    );
    expect(() => acceptChosenProposal(offered, [])).toThrow(
      expect.objectContaining({ code: 'NO_PROPOSAL_CHOSEN' }),
    );
    const ok = {
      ...chosen,
      transforms: [{ type: E, id: ENCR.ENCR_AES_GCM_16, attributes: kl(256) }, ...chosen.transforms.slice(1)],
    };
    expect(acceptChosenProposal(offered, [ok]).encr).toBe('aes-gcm-16');
    expect(() => acceptChosenProposal(offered, [{ ...ok, transforms: ok.transforms.slice(0, 2) }])).toThrow(
      expect.objectContaining({ code: 'NO_PROPOSAL_CHOSEN' }),
    );
  });
});
