/**
 * UDP traffic between two namespaces, used to show that packets really pass a tunnel: an echo
 * server on one side, a client on the other, both plain node processes inside the namespaces.
 */
import { fileURLToPath } from 'node:url';
import { CommandError, waitUntil } from './exec.js';
import type { NetnsPair, Side } from './netns.js';

const PROBE = fileURLToPath(new URL('./udp-probe.mjs', import.meta.url));

export interface EchoServer {
  stop(): void;
}

/** Starts a UDP echo server bound to `address`:`port` inside a side's namespace. */
export async function startUdpEcho(
  pair: NetnsPair,
  side: Side,
  address: string,
  port: number,
): Promise<EchoServer> {
  const child = pair.spawnNode(side, PROBE, ['server', address, String(port)]);
  let out = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => {
    out += d;
  });
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    out += d;
  });
  await waitUntil(`UDP echo on [${address}]:${port} in ${pair.end(side).ns}`, async () => {
    if (child.exitCode !== null) throw new CommandError('ECMDFAIL', `echo server exited: ${out}`);
    return out.includes('ready') ? true : undefined;
  });
  return { stop: () => child.kill('SIGTERM') };
}

/** Sends `count` datagrams from `local` to the echo at `remote`:`port`; returns how many came back. */
export async function udpRoundTrips(
  pair: NetnsPair,
  side: Side,
  local: string,
  remote: string,
  port: number,
  count = 3,
): Promise<{ sent: number; received: number }> {
  const r = await pair.exec(
    side,
    [process.execPath, PROBE, 'client', local, remote, String(port), String(count)],
    {
      allowFailure: true,
      timeoutMs: 5000 + count * 2500,
    },
  );
  const line = r.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as { sent: number; received: number };
  } catch {
    throw new CommandError('ECMDFAIL', `udp probe gave no result (exit ${r.code}): ${r.stderr}${r.stdout}`);
  }
}
