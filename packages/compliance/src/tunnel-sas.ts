/**
 * Tunnel SAs as IKE would install them for one MN-HA binding, and the MN end of everything a
 * kernel holds: the setup and the observation every strategy's own tests share.
 */
import type { Ip, KernelBackend, SaData } from '@mip6sec/core';
import { DEFAULT_REQIDS } from '@mip6sec/mip6';

// One counter for every kernel of a test run, so SPIs never collide between hosts.
let nextSpi = 0x1000;

/** Adds the home-test and payload tunnel SA pairs between `mn` and `ha`; returns their SPIs. */
export async function installTunnelSas(kernel: KernelBackend, mn: Ip, ha: Ip): Promise<number[]> {
  const spis: number[] = [];
  for (const reqid of [DEFAULT_REQIDS.homeTesting, DEFAULT_REQIDS.payload]) {
    for (const [src, dst] of [
      [mn, ha],
      [ha, mn],
    ] as const) {
      const spi = nextSpi++;
      const data: SaData = {
        mode: 'tunnel',
        reqid,
        enc: { alg: 'aes-gcm-16', key: new Uint8Array(20).fill(7) },
        replayWindow: 32,
      };
      await kernel.addSa({ src, dst, spi, proto: 'esp' }, data);
      spis.push(spi);
    }
  }
  return spis;
}

/** The MN end of every tunnel template and tunnel SA the kernel holds (the end that is not `ha`). */
export async function tunnelMnEnds(kernel: KernelBackend, ha: Ip): Promise<{ templates: Ip[]; sas: Ip[] }> {
  const templates = (await kernel.dumpPolicies()).flatMap((p) =>
    p.templates.filter((t) => t.mode === 'tunnel').map((t) => (t.src === ha ? t.dst! : t.src!)),
  );
  const sas = (await kernel.dumpSas())
    .filter((s) => s.mode === 'tunnel')
    .map((s) => (s.src === ha ? s.dst : s.src));
  return { templates: [...new Set(templates)], sas: [...new Set(sas)] };
}
