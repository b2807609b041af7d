/**
 * The @mip6sec/ike daemon against strongSwan charon over real UDP in network namespaces, both ways
 * round: our initiator to charon, and charon (`swanctl --initiate`) to our responder. Our daemon
 * runs in this process on a simulated kernel with its sockets in namespace b (NetnsUdpTransport);
 * charon runs in namespace a with kernel-libipsec, which fakes a NAT, so both sides float to 4500
 * and UDP-encapsulate ESP. After every step charon's `swanctl --list-sas` must mirror our
 * `listSas()`: SPIs, roles, addresses and ports, identities, algorithms, CHILD_SA SPIs, mode,
 * encapsulation and selectors (mirror.ts).
 *
 * - proposals: four IKE/ESP suites (AES-GCM with Curve25519, AES-CBC/HMAC-SHA2-256 with MODP-2048,
 *   AES-256-CBC/HMAC-SHA2-384 with ECP-384, ChaCha20-Poly1305 with ECP-256), PSK, tunnel mode with
 *   inner selectors unrelated to the outer addresses, each way, then DELETE from the initiator;
 * - certificates: charon with RSA, us with ECDSA P-256 (RFC 7427 signatures), over IPv6, each way;
 * - lifecycle, we initiate: CHILD_SA rekey (ours with PFS, then charon's), IKE_SA rekey (ours, then
 *   charon's), a MOBIKE move of ours to a new address (the old one removed), DELETE of the CHILD_SA
 *   by us and of the IKE_SA by charon;
 * - lifecycle, charon initiates: the same rekeys, charon moving when its address is replaced
 *   (kernel-netlink address events), DELETE of the CHILD_SA by charon and of the IKE_SA by us;
 * - the built CLI (`mip6sec ike initiate --once`) inside namespace b against a charon configured
 *   as strongSwan's documentation writes a PSK connection, with charon's defaults for the rest.
 */
import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { certificateAuthenticator } from '../../src/auth/certificate.js';
import type { PeerConfig } from '../../src/config.js';
import type { IkeSaListing } from '../../src/ike-daemon.js';
import { createTestPki, type TestPki } from './certs.js';
import { charonAlgorithms } from './charon-names.js';
import { CommandError, waitUntil } from './exec.js';
import { type MirroredSa, mirrorMismatches, waitMirrored } from './mirror.js';
import { describeInterop } from './prereqs.js';
import { InteropSite } from './site.js';
import type { SwanctlConnection } from './swanctl-conf.js';

const PSK = 'interop-daemon-psk-0123456789abcdef';
const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const CLI = join(ROOT, 'apps/cli/dist/main.js');

interface Suite {
  readonly name: string;
  readonly ike: string;
  readonly esp: string;
}

/** One AEAD with Curve25519, one MODP-2048 with CBC/HMAC, one ECP-384, one ChaCha20-Poly1305. */
const SUITES: readonly Suite[] = [
  { name: 'gcm', ike: 'aes128gcm16-prfsha256-x25519', esp: 'aes128gcm16' },
  { name: 'modp', ike: 'aes128-sha256-modp2048', esp: 'aes128-sha256' },
  { name: 'ecp', ike: 'aes256-sha384-ecp384', esp: 'aes256-sha384' },
  { name: 'chacha', ike: 'chacha20poly1305-prfsha256-ecp256', esp: 'chacha20poly1305' },
];

/** Inner networks per scenario: charon's side 10.1.N.0/24 (N.1 on its loopback), ours 10.2.N.0/24. */
const charonNet = (n: number) => `10.1.${n}.0/24`;
const ourNet = (n: number) => `10.2.${n}.0/24`;
const charonInner = (count: number) => Array.from({ length: count }, (_, n) => `10.1.${n}.1`);

const charonId = (name: string) => `charon-${name}@interop.test`;
const ourId = (name: string) => `ours-${name}@interop.test`;

/** Our peer and charon's connection for one scenario, PSK unless `auth` says otherwise. */
function scenario(
  site: InteropSite,
  o: { name: string; n: number; suite: Suite; family?: 4 | 6; childEsp?: string },
): { peer: PeerConfig; conn: SwanctlConnection } {
  const { a, b } = site.pair;
  const [ca, cb] = o.family === 6 ? [a.ipv6, b.ipv6] : [a.ipv4, b.ipv4];
  const esp = o.childEsp ?? o.suite.esp;
  return {
    peer: {
      name: o.name,
      local: cb,
      remote: ca,
      localId: ourId(o.name),
      remoteId: charonId(o.name),
      auth: { psk: PSK },
      ike: [o.suite.ike],
      children: [{ name: `net-${o.name}`, esp: [esp], localTs: [ourNet(o.n)], remoteTs: [charonNet(o.n)] }],
    },
    conn: {
      remoteAddrs: [cb],
      proposals: [o.suite.ike],
      local: { auth: 'psk', id: charonId(o.name) },
      remote: { auth: 'psk', id: ourId(o.name) },
      children: {
        [`net-${o.name}`]: { localTs: [charonNet(o.n)], remoteTs: [ourNet(o.n)], espProposals: [esp] },
      },
    },
  };
}

/** What every tunnel CHILD_SA with charon looks like from our side here. */
function expectTunnel(sa: IkeSaListing, n: number): void {
  expect(sa.children).toHaveLength(1);
  expect(sa.children[0]).toMatchObject({
    state: 'installed',
    mode: 'tunnel',
    encap: true,
    localTs: [ourNet(n)],
    remoteTs: [charonNet(n)],
  });
  // kernel-libipsec's faked NAT moves IKE to 4500 on both ends.
  expect(sa.local).toMatch(/:4500$/);
  expect(sa.remote).toMatch(/:4500$/);
  expect(sa.natRemote).toBe(true);
}

const gone = (conn: string) => (sas: { name: string }[]) =>
  sas.some((s) => s.name === conn) ? undefined : true;

describeInterop('@mip6sec/ike daemon <-> charon: proposals and certificates, both directions', () => {
  let site: InteropSite;
  let pki: TestPki;

  beforeAll(async () => {
    site = await InteropSite.create('ike-charon-matrix', { a: { inner: charonInner(SUITES.length + 1) } });
    pki = await createTestPki(site.dir, [
      { name: 'gw-charon', keyType: 'rsa', id: 'charon.interop.test' },
      { name: 'gw-ours', keyType: 'ecdsa', id: 'ours.interop.test' },
    ]);
    const { charon, pair } = site;
    await charon.addCredential('cacert', pki.ca.certPath);
    await charon.addCredential('cert', pki.entities['gw-charon']!.certPath);
    await charon.addCredential('key', pki.entities['gw-charon']!.keyPath);
    const scenarios = SUITES.map((suite, n) => scenario(site, { name: suite.name, n, suite }));
    const certN = SUITES.length;
    const certSuite = SUITES[0]!;
    const ours = pki.entities['gw-ours']!;
    await charon.configure({
      connections: {
        ...Object.fromEntries(scenarios.map((s) => [s.peer.name, s.conn])),
        cert6: {
          remoteAddrs: [pair.b.ipv6],
          proposals: [certSuite.ike],
          local: { auth: 'pubkey', id: 'charon.interop.test', certs: ['gw-charon.pem'] },
          remote: { auth: 'pubkey', id: 'ours.interop.test', cacerts: ['ca.pem'] },
          children: {
            'net-cert6': {
              localTs: [charonNet(certN)],
              remoteTs: [ourNet(certN)],
              espProposals: [certSuite.esp],
            },
          },
        },
      },
      psks: scenarios.map((s) => ({ ids: [charonId(s.peer.name), ourId(s.peer.name)], secret: PSK })),
    });
    await site.startOurs({
      listen: [pair.b.ipv4, pair.b.ipv6],
      peers: [
        ...scenarios.map((s) => s.peer),
        {
          name: 'cert6',
          local: pair.b.ipv6,
          remote: pair.a.ipv6,
          localId: 'ours.interop.test',
          remoteId: 'charon.interop.test',
          auth: {
            authenticator: certificateAuthenticator({
              cert: ours.certPem,
              key: ours.keyPem,
              ca: pki.ca.certPem,
            }),
          },
          ike: [certSuite.ike],
          children: [
            {
              name: 'net-cert6',
              esp: [certSuite.esp],
              localTs: [ourNet(certN)],
              remoteTs: [charonNet(certN)],
            },
          ],
        },
      ],
    });
  });

  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail' && site) console.error(await site.diagnostics());
  });

  afterAll(async () => {
    await site?.close();
  });

  it.each(SUITES.map((s, n) => [s.name, s, n] as const))(
    'we initiate with %s: PSK, tunnel CHILD_SA mirrored by charon, then our DELETE',
    async (name, suite, n) => {
      const { charon } = site;
      const ours = site.ours!;
      const r = await ours.daemon.initiate(name);
      expect(r.failures).toEqual([]);
      expectTunnel(r.ike, n);
      const m = await waitMirrored(charon, ours, name, name);
      const ike = charonAlgorithms(suite.ike, 'ike');
      expect(m.theirs).toMatchObject({ ...ike, state: 'ESTABLISHED', initiator: false, natFake: true });
      expect(m.theirs.children[0]).toMatchObject({ ...charonAlgorithms(suite.esp, 'esp'), mode: 'TUNNEL' });
      await ours.daemon.terminate(m.ours.ikeSpi);
      await charon.waitForSas(`IKE_SA ${name} deleted`, gone(name));
      expect(ours.daemon.listSas().filter((s) => s.peer === name)).toEqual([]);
    },
  );

  it.each(SUITES.map((s, n) => [s.name, s, n] as const))(
    'charon initiates with %s: PSK, tunnel CHILD_SA mirrored by us, then charon DELETE',
    async (name, suite, n) => {
      const { charon } = site;
      const ours = site.ours!;
      const up = ours.expect('ike.child-installed');
      await charon.initiate(`net-${name}`, { ike: name });
      await up;
      const m = await waitMirrored(charon, ours, name, name);
      expect(m.ours.initiator).toBe(false);
      expectTunnel(m.ours, n);
      expect(m.theirs).toMatchObject({ ...charonAlgorithms(suite.ike, 'ike'), initiator: true });
      const deleted = ours.expect('ike.sa-deleted', (e) => e.ikeSpi === m.ours.ikeSpi);
      await charon.terminate({ ike: name });
      expect(await deleted).toMatchObject({ reason: 'deleted by peer' });
      expect(ours.daemon.listSas().filter((s) => s.peer === name)).toEqual([]);
      expect(await ours.kernel.dumpSas()).toEqual([]);
    },
  );

  it('we initiate over IPv6 with an ECDSA certificate; charon answers with RSA; both verify the chain', async () => {
    const { charon, pair } = site;
    const ours = site.ours!;
    const r = await ours.daemon.initiate('cert6');
    expect(r.failures).toEqual([]);
    const m = await waitMirrored(charon, ours, 'cert6', 'cert6');
    expect(m.ours).toMatchObject({ localId: 'ours.interop.test', remoteId: 'charon.interop.test' });
    expect(m.ours.local).toBe(`[${pair.b.ipv6}]:4500`);
    const log = await charon.log();
    expect(log).toMatch(/authentication of 'ours\.interop\.test' with ECDSA.* successful/);
    expect(log).toMatch(/authentication of 'charon\.interop\.test' \(myself\) with RSA/);
    await ours.daemon.terminate(m.ours.ikeSpi);
    await charon.waitForSas('IKE_SA cert6 deleted', gone('cert6'));
  });

  it('charon initiates over IPv6 with its RSA certificate; we answer with ECDSA', async () => {
    const { charon } = site;
    const ours = site.ours!;
    const up = ours.expect('ike.child-installed');
    await charon.initiate('net-cert6', { ike: 'cert6' });
    await up;
    const m = await waitMirrored(charon, ours, 'cert6', 'cert6');
    expect(m.theirs).toMatchObject({
      initiator: true,
      localId: 'charon.interop.test',
      remoteId: 'ours.interop.test',
    });
    const deleted = ours.expect('ike.sa-deleted', (e) => e.ikeSpi === m.ours.ikeSpi);
    await charon.terminate({ ike: 'cert6' });
    await deleted;
  });
});

/**
 * The rekeys, MOBIKE and DELETE on one IKE SA. `initiator` says who brought it up; the other side
 * answers. Each step ends when charon's listing mirrors ours again.
 */
function lifecycle(initiator: 'ours' | 'charon'): void {
  const name = initiator === 'ours' ? 'life-o' : 'life-c';
  // PFS on CHILD_SA rekeys: the ESP proposal names a DH group (the first CHILD_SA has none).
  const suite: Suite =
    initiator === 'ours'
      ? { name, ike: 'aes128-sha256-modp2048', esp: 'aes128-sha256-modp2048' }
      : { name, ike: 'aes256gcm16-prfsha384-x25519', esp: 'aes256gcm16-x25519' };
  const moved = initiator === 'ours' ? '192.0.2.12' : '192.0.2.11';
  let site: InteropSite;
  let current: IkeSaListing;

  beforeAll(async () => {
    site = await InteropSite.create(`ike-charon-${name}`, { a: { inner: charonInner(1) } });
    const s = scenario(site, { name, n: 0, suite });
    await site.charon.configure({
      connections: { [name]: s.conn },
      psks: [{ ids: [charonId(name), ourId(name)], secret: PSK }],
    });
    await site.startOurs({ listen: [site.pair.b.ipv4], peers: [s.peer] });
    await site.keepSecondaries(initiator === 'ours' ? 'b' : 'a');
  });

  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail' && site) console.error(await site.diagnostics());
  });

  afterAll(async () => {
    await site?.close();
  });

  const mirrored = async (accept?: (m: MirroredSa) => boolean) => {
    const m = await waitMirrored(site.charon, site.ours!, name, name, accept ? { accept } : {});
    current = m.ours;
    return m;
  };

  it(`${initiator === 'ours' ? 'we initiate' : 'charon initiates'}: IKE_SA and CHILD_SA up, mirrored`, async () => {
    const ours = site.ours!;
    if (initiator === 'ours') {
      const r = await ours.daemon.initiate(name);
      expect(r.failures).toEqual([]);
    } else {
      const up = ours.expect('ike.child-installed');
      await site.charon.initiate(`net-${name}`, { ike: name });
      await up;
    }
    const m = await mirrored();
    expect(m.ours.initiator).toBe(initiator === 'ours');
    expectTunnel(m.ours, 0);
  });

  it('our CHILD_SA rekey: new SPIs with PFS on both sides, the old SAs gone from charon', async () => {
    const ours = site.ours!;
    const old = current.children[0]!;
    const fresh = await ours.daemon.rekeyChild(current.ikeSpi, Number.parseInt(old.spiIn, 16));
    expect(fresh.spiIn).not.toBe(old.spiIn);
    expect(fresh.algorithms).toBe(
      initiator === 'ours' ? 'aes128-sha256-modp2048-noesn' : 'aes256gcm16-curve25519-noesn',
    );
    await site.charon.waitForSas('the old CHILD_SA gone', (sas) => {
      const kids = sas.find((s) => s.name === name)?.children ?? [];
      return kids.some((k) => k.spiOut === old.spiIn || k.spiIn === old.spiOut) ? undefined : true;
    });
    const m = await mirrored();
    expect(m.ours.children.map((c) => c.spiIn)).toEqual([fresh.spiIn]);
    expect(m.theirs.children[0]!.dhGroup).toBe(initiator === 'ours' ? 'MODP_2048' : 'CURVE_25519');
  });

  it("charon's CHILD_SA rekey: we answer, install the new SAs and drop the old", async () => {
    const ours = site.ours!;
    const old = current.children[0]!;
    const rekeyed = ours.expect('ike.child-installed', (e) => e.rekey);
    await site.charon.rekey({ child: `net-${name}` });
    await rekeyed;
    await waitUntil('our old CHILD_SA gone', async () =>
      ours.daemon.listSas()[0]?.children.some((c) => c.spiIn === old.spiIn) ? undefined : true,
    );
    const m = await mirrored();
    expect(m.ours.children[0]!.spiIn).not.toBe(old.spiIn);
  });

  // The peer that rekeys an IKE SA is the original initiator of the new one (RFC 7296 section 2.18),
  // and only the original initiator moves with MOBIKE: the initiator's own rekey comes last.
  const ourIkeRekey = () =>
    it('our IKE_SA rekey: new IKE SPIs on both sides, the CHILD_SA carried over, we are its initiator', async () => {
      const ours = site.ours!;
      const before = current;
      const after = await ours.daemon.rekeyIke(before.ikeSpi);
      expect(after.ikeSpi).not.toBe(before.ikeSpi);
      const m = await mirrored((x) => x.ours.ikeSpi === after.ikeSpi);
      expect(m.ours.initiator).toBe(true);
      expect(m.ours.children.map((c) => c.spiIn)).toEqual(before.children.map((c) => c.spiIn));
    });
  const charonIkeRekey = () =>
    it("charon's IKE_SA rekey: we answer and move to the new IKE SA, charon its initiator", async () => {
      const before = current;
      await site.charon.rekey({ ike: name });
      const m = await mirrored((x) => x.ours.ikeSpi !== before.ikeSpi);
      expect(m.ours.initiator).toBe(false);
      expect(m.ours.children.map((c) => c.spiIn)).toEqual(before.children.map((c) => c.spiIn));
    });
  if (initiator === 'ours') {
    charonIkeRekey();
    ourIkeRekey();
  } else {
    ourIkeRekey();
    charonIkeRekey();
  }

  if (initiator === 'ours') {
    it('MOBIKE: our address is replaced, we move with UPDATE_SA_ADDRESSES, charon follows', async () => {
      const { pair, charon } = site;
      const ours = site.ours!;
      const old = pair.b.ipv4;
      await pair.addAddress('b', `${moved}/24`);
      const updated = ours.expect('ike.addresses-updated', (e) => e.local.ip === moved);
      await ours.daemon.roam(current.ikeSpi, { local: moved });
      expect(await updated).toMatchObject({ cause: 'mobike', local: { ip: moved, port: 4500 } });
      await pair.removeAddress('b', `${old}/24`);
      const m = await mirrored();
      expect(m.ours.local).toBe(`${moved}:4500`);
      expect(m.theirs.remoteHost).toBe(moved);
      expect(m.ours.children[0]).toMatchObject({ local: moved });
      expect(await ours.daemon.liveness(m.ours.ikeSpi)).toBe(true);
      expect(await charon.log()).toMatch(
        /remote endpoint changed from 192\.0\.2\.2\[4500\] to 192\.0\.2\.12\[4500\]/,
      );
    });

    it('DELETE: we delete the CHILD_SA, then charon deletes the IKE_SA', async () => {
      const { charon } = site;
      const ours = site.ours!;
      // Both sides agree on the CHILD_SA right now: a listing kept from an earlier test may predate
      // work charon finished after it (e.g. the settling of its MOBIKE update).
      const now = await mirrored();
      const child = now.ours.children[0]!;
      await ours.daemon.deleteChild(now.ours.ikeSpi, Number.parseInt(child.spiIn, 16));
      await charon.waitForSas('charon without the CHILD_SA', (sas) => {
        const sa = sas.find((s) => s.name === name);
        return sa && sa.children.length === 0 ? sa : undefined;
      });
      const m = await mirrored();
      expect(m.ours.children).toEqual([]);
      const deleted = ours.expect('ike.sa-deleted', (e) => e.ikeSpi === current.ikeSpi);
      await charon.terminate({ ike: name });
      await deleted;
      expect(ours.daemon.listSas()).toEqual([]);
      expect(await ours.kernel.dumpSas()).toEqual([]);
    });
  } else {
    it("MOBIKE: charon's address is replaced, charon moves (kernel-netlink event), we follow", async () => {
      const { pair, charon } = site;
      const ours = site.ours!;
      const old = pair.a.ipv4;
      const updated = ours.expect('ike.addresses-updated', (e) => e.remote.ip === moved, 20_000);
      await pair.addAddress('a', `${moved}/24`);
      await pair.removeAddress('a', `${old}/24`);
      expect(await updated).toMatchObject({ cause: 'mobike', remote: { ip: moved, port: 4500 } });
      const m = await mirrored();
      expect(m.ours.remote).toBe(`${moved}:4500`);
      expect(m.theirs.localHost).toBe(moved);
      expect(m.ours.children[0]).toMatchObject({ remote: moved });
      expect(await ours.daemon.liveness(m.ours.ikeSpi)).toBe(true);
      expect(await charon.log()).toMatch(/requesting address change using MOBIKE/);
    });

    it('DELETE: charon deletes the CHILD_SA, then we delete the IKE_SA', async () => {
      const { charon } = site;
      const ours = site.ours!;
      await charon.terminate({ child: `net-${name}` });
      await waitUntil('our CHILD_SA gone', async () =>
        ours.daemon.listSas()[0]?.children.length === 0 ? true : undefined,
      );
      const m = await mirrored();
      expect(m.theirs.children).toEqual([]);
      await ours.daemon.terminate(current.ikeSpi);
      await charon.waitForSas(`IKE_SA ${name} deleted`, gone(name));
      expect(ours.daemon.listSas()).toEqual([]);
      expect(await ours.kernel.dumpSas()).toEqual([]);
    });
  }
}

describeInterop('@mip6sec/ike daemon <-> charon: lifecycle of an IKE SA we initiated', () =>
  lifecycle('ours'),
);
describeInterop('@mip6sec/ike daemon <-> charon: lifecycle of an IKE SA charon initiated', () =>
  lifecycle('charon'),
);

/**
 * swanctl.conf for a PSK net-to-net connection in the shape strongSwan's documentation gives it:
 * addresses, PSK identities, the two subnets and the secret; proposals, ports, mode, MOBIKE and
 * everything else are charon's defaults.
 */
function documentedPskConf(local: string, remote: string): string {
  return `connections {
  gw-gw {
    local_addrs = ${local}
    remote_addrs = ${remote}
    local {
      auth = psk
      id = gw.interop.test
    }
    remote {
      auth = psk
      id = cli@interop.test
    }
    children {
      net-net {
        local_ts = 10.1.0.0/16
        remote_ts = 10.2.0.0/16
      }
    }
  }
}
secrets {
  ike-1 {
    id-1 = gw.interop.test
    id-2 = cli@interop.test
    secret = "${PSK}"
  }
}
`;
}

describeInterop(
  'mip6sec ike initiate (the built CLI in a namespace) <-> charon with documented defaults',
  () => {
    let site: InteropSite;

    beforeAll(async () => {
      // The CLI and the packages it runs, built as CI builds them (nothing to do when dist is current).
      const tsc = spawnSync(join(ROOT, 'node_modules/.bin/tsc'), ['-b', 'apps/cli/tsconfig.lib.json'], {
        cwd: ROOT,
        encoding: 'utf8',
      });
      if (tsc.status !== 0)
        throw new CommandError('ECMDFAIL', `building the CLI failed:\n${tsc.stdout}${tsc.stderr}`);
      site = await InteropSite.create('ike-charon-cli', { a: { inner: ['10.1.0.1'] } });
      await writeFile(
        join(site.charon.swanctlDir, 'conf.d', 'interop.conf'),
        documentedPskConf(site.pair.a.ipv4, site.pair.b.ipv4),
      );
      await site.charon.loadAll();
    });

    afterEach(async (ctx) => {
      if (ctx.task.result?.state === 'fail' && site) console.error(await site.diagnostics());
    });

    afterAll(async () => {
      await site?.close();
    });

    const initiate = (extra: readonly string[]) =>
      site.pair.exec(
        'b',
        [
          process.execPath,
          CLI,
          'ike',
          'initiate',
          '--remote',
          site.pair.a.ipv4,
          '--id',
          'cli@interop.test',
          '--remote-id',
          'gw.interop.test',
          '--psk',
          PSK,
          '--local-ts',
          '10.2.0.0/16',
          '--remote-ts',
          '10.1.0.0/16',
          '--once',
          '--timeout',
          '20',
          '--json',
          ...extra,
        ],
        { allowFailure: true, timeoutMs: 40_000 },
      );

    it('establishes with --once and prints what charon lists (charon keeps it with --no-delete)', async () => {
      const r = await initiate(['--no-delete']);
      expect([r.code, r.stderr]).toEqual([0, '']);
      const lines = r.stdout.trim().split('\n');
      expect(lines).toHaveLength(1);
      const ours = JSON.parse(lines[0]!) as IkeSaListing & { type: string };
      expect(ours.type).toBe('ike.sa');
      const m = await waitUntil('charon to list the CLI IKE_SA', async () => {
        const theirs = (await site.charon.listSas()).find((s) => s.name === 'gw-gw');
        return theirs?.state === 'ESTABLISHED' && theirs.children.length === 1 ? theirs : undefined;
      });
      expect(mirrorMismatches(ours, m)).toEqual([]);
      expect(ours).toMatchObject({
        initiator: true,
        local: `${site.pair.b.ipv4}:4500`,
        localId: 'cli@interop.test',
      });
      // Our defaults (aes128-sha256-modp2048; ESP aes128gcm16 first) are among charon's.
      expect(ours.algorithms).toBe('aes128-sha256-prfsha256-modp2048');
      expect(ours.children[0]).toMatchObject({
        localTs: ['10.2.0.0/16'],
        remoteTs: ['10.1.0.0/16'],
        mode: 'tunnel',
        encap: true,
      });
      await site.charon.terminate({ ike: 'gw-gw' });
    });

    it('without --no-delete, deletes the IKE_SA on its way out', async () => {
      const r = await initiate([]);
      expect([r.code, r.stderr]).toEqual([0, '']);
      const ours = JSON.parse(r.stdout.trim()) as IkeSaListing;
      expect(ours.state).toBe('established');
      expect((await site.charon.listSas()).filter((s) => s.name === 'gw-gw')).toEqual([]);
      expect(await site.charon.log()).toMatch(/received DELETE for IKE_SA gw-gw\[\d+\]/);
    });

    it('a wrong PSK exits 1 naming AUTHENTICATION_FAILED', async () => {
      const r = await site.pair.exec(
        'b',
        [
          process.execPath,
          CLI,
          'ike',
          'initiate',
          '--remote',
          site.pair.a.ipv4,
          '--id',
          'cli@interop.test',
          '--psk',
          `${PSK}-wrong`,
          '--once',
          '--timeout',
          '20',
        ],
        { allowFailure: true, timeoutMs: 40_000 },
      );
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^error: AUTHENTICATION_FAILED: .+\n$/);
    });
  },
);
