/**
 * One IKE daemon of the CLI: the package's IkeDaemon on real UDP (UdpTransport, ports mapped as the
 * options say), the real clock, the native crypto provider, and a simulated kernel that holds the
 * CHILD_SAs (`--kernel sim`, the only backend the CLI has).
 */
import { Bus, SystemClock } from '@mip6sec/core';
import { createCryptoProvider } from '@mip6sec/crypto';
import { IkeDaemon, type IkeDaemonConfig, UdpTransport } from '@mip6sec/ike';
import { PfkeyKernel, SimKernel } from '@mip6sec/kernel-sim';
import { type IkeEndpoint, portMap } from './endpoint.js';

export interface CliDaemon {
  readonly daemon: IkeDaemon;
  readonly bus: Bus;
  /** Deletes every IKE SA (telling the peers, waiting at most `ms` for their answers), then stops. */
  shutdown(ms: number): Promise<void>;
  /** Stops without deleting anything. */
  stop(): Promise<void>;
}

function within<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/**
 * Starts a daemon bound to `local` (its IKE and NAT-T ports); `remote` gives the peer's ports when
 * they are not the standard ones. Rejects with the socket error when a port cannot be bound.
 */
export async function startDaemon(
  config: IkeDaemonConfig,
  local: IkeEndpoint,
  remote: IkeEndpoint | undefined,
): Promise<CliDaemon> {
  const clock = new SystemClock();
  const bus = new Bus();
  const crypto = createCryptoProvider();
  // SPIs as unpredictable as a real kernel's: two daemons on one address must not pick the same ones.
  const seed = crypto.randomBytes(4);
  const spiSeed = new DataView(seed.buffer, seed.byteOffset, 4).getUint32(0);
  const kernel = new SimKernel(new PfkeyKernel({ clock, spiSeed }), bus);
  // The daemon speaks of 500 and 4500; the transport puts them on our ports and the peer's. Without
  // --remote, a responder answers whatever port a request came from.
  const transport = new UdpTransport({ portMap: portMap(local), remotePortMap: portMap(remote) });
  const daemon = new IkeDaemon(config, bus, clock, kernel, crypto, transport);
  await daemon.start();
  const stop = async () => {
    // Closing waits for datagrams already sent (the last DELETE answer, an AUTHENTICATION_FAILED).
    await daemon.stop();
    bus.complete();
  };
  return {
    daemon,
    bus,
    async shutdown(ms: number) {
      const sas = daemon.listSas().filter((s) => s.state === 'established');
      if (sas.length > 0 && ms > 0)
        await within(Promise.allSettled(sas.map((s) => daemon.terminate(s.ikeSpi))), ms);
      await stop();
    },
    stop,
  };
}
