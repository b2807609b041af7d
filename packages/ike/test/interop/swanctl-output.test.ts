import { describe, expect, it } from 'vitest';
import { parseListSas, parsePretty, SwanctlOutputError } from './swanctl-output.js';

// Shape of `swanctl --list-sas --pretty` as charon 5.9 prints it (captured from a harness run,
// identities changed to show a DN with spaces and a list with two selectors).
const LIST_SAS = `
list-sa event {
  psk4 {
    uniqueid = 3
    version = 2
    state = ESTABLISHED
    local-host = 192.0.2.1
    local-port = 4500
    local-id = O=mip6sec, CN=gw-a.interop.test
    remote-host = 192.0.2.2
    remote-port = 4500
    remote-id = b@psk.interop.test
    initiator = yes
    initiator-spi = 81aed5af83c4cfab
    responder-spi = b4d8b0638ea2bffe
    nat-remote = yes
    nat-any = yes
    encr-alg = AES_CBC
    encr-keysize = 128
    integ-alg = HMAC_SHA2_256_128
    prf-alg = PRF_HMAC_SHA2_256
    dh-group = MODP_3072
    established = 5
    child-sas {
      net4-7 {
        name = net4
        uniqueid = 7
        reqid = 1
        state = INSTALLED
        mode = TUNNEL
        protocol = ESP
        encap = yes
        spi-in = ccbe9c23
        spi-out = 8952f575
        encr-alg = AES_GCM_16
        encr-keysize = 256
        dh-group = MODP_2048
        bytes-in = 32
        packets-in = 1
        bytes-out = 64
        packets-out = 2
        local-ts = [
          10.1.0.1/32
          10.1.1.0/24
        ]
        remote-ts = [
          10.2.0.1/32
        ]
      }
    }
  }
}
list-sa event {
  other {
    uniqueid = 4
    state = CONNECTING
    local-host = 2001:db8::1
    remote-host = 2001:db8::2
    initiator = yes
    initiator-spi = 0102030405060708
    responder-spi = 0000000000000000
    child-sas {
    }
  }
}
list-sas reply {
}
`;

describe('parsePretty', () => {
  it('reads nested sections, lists and values with spaces, skipping log lines', () => {
    const msgs = parsePretty(
      `[IKE] some log line\nfoo reply {\n  a = x y = z\n  b {\n    c = [\n      1\n    ]\n  }\n  e =\n}\n`,
    );
    expect(msgs).toEqual([{ kind: 'foo reply', body: { a: 'x y = z', b: { c: ['1'] }, e: '' } }]);
  });

  it('rejects truncated output instead of returning partial SAs', () => {
    expect(() => parsePretty('list-sa event {\n  x {\n    a = 1\n')).toThrow(SwanctlOutputError);
    expect(() => parsePretty('list-sa event {\n  c = [\n    1\n')).toThrow(/unterminated list/);
    expect(() => parsePretty('list-sa event {\n  what is this\n}\n')).toThrow(/not a vici element/);
  });
});

describe('parseListSas', () => {
  it('maps IKE_SAs and CHILD_SAs to typed records', () => {
    const [sa, other] = parseListSas(LIST_SAS);
    expect(sa).toMatchObject({
      name: 'psk4',
      uniqueId: 3,
      state: 'ESTABLISHED',
      localHost: '192.0.2.1',
      localPort: 4500,
      localId: 'O=mip6sec, CN=gw-a.interop.test',
      remoteId: 'b@psk.interop.test',
      initiator: true,
      initiatorSpi: '81aed5af83c4cfab',
      responderSpi: 'b4d8b0638ea2bffe',
      natRemote: true,
      natLocal: false,
      encrAlg: 'AES_CBC',
      encrKeysize: 128,
      integAlg: 'HMAC_SHA2_256_128',
      prfAlg: 'PRF_HMAC_SHA2_256',
      dhGroup: 'MODP_3072',
    });
    expect(sa?.children).toHaveLength(1);
    expect(sa?.children[0]).toMatchObject({
      key: 'net4-7',
      name: 'net4',
      uniqueId: 7,
      mode: 'TUNNEL',
      encap: true,
      esn: false,
      spiIn: 'ccbe9c23',
      spiOut: '8952f575',
      encrAlg: 'AES_GCM_16',
      integAlg: undefined,
      dhGroup: 'MODP_2048',
      packetsIn: 1,
      bytesOut: 64,
      localTs: ['10.1.0.1/32', '10.1.1.0/24'],
      remoteTs: ['10.2.0.1/32'],
    });
    expect(other).toMatchObject({ name: 'other', state: 'CONNECTING', localPort: 0, children: [] });
  });

  it('returns nothing for an empty list and fails on an SA without its SPIs', () => {
    expect(parseListSas('list-sas reply {\n}\n')).toEqual([]);
    expect(() => parseListSas('list-sa event {\n  x {\n    uniqueid = 1\n    state = X\n  }\n}\n')).toThrow(
      /IKE_SA x: 'local-host' is missing/,
    );
  });
});
