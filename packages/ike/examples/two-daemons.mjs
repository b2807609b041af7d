// Two IKEv2 daemons in one process, over real UDP on 127.0.0.1 and 127.0.0.2 (ports 500/4500
// mapped to 27500/27501 so no root is needed), each with its own simulated kernel.
// Build first (npx tsc -b packages/ike/tsconfig.lib.json), then: node packages/ike/examples/two-daemons.mjs
import 'reflect-metadata';
import { Bus, SystemClock } from '@mip6sec/core';
import { createCryptoProvider } from '@mip6sec/crypto';
import { IkeDaemon, UdpTransport } from '@mip6sec/ike';
import { PfkeyKernel, SimKernel } from '@mip6sec/kernel-sim';

const clock = new SystemClock();
const crypto = createCryptoProvider();
const transport = new UdpTransport({ portMap: { 500: 27500, 4500: 27501 } });

function daemon(name, local, peer) {
  const bus = new Bus();
  bus
    .on('ike.exchange')
    .subscribe((e) =>
      console.log(`${name}: ${e.exchange} ${e.initiator ? 'sent' : 'answered'}, ${e.messages} messages`),
    );
  const kernel = new SimKernel(new PfkeyKernel({ clock }), bus);
  return new IkeDaemon({ listen: [local], peers: [peer] }, bus, clock, kernel, crypto, transport);
}

const child = (localTs, remoteTs) => ({
  name: 'net',
  esp: ['aes256gcm16'],
  localTs: [localTs],
  remoteTs: [remoteTs],
});
const alice = daemon('alice', '127.0.0.1', {
  name: 'bob',
  local: '127.0.0.1',
  remote: '127.0.0.2',
  localId: 'alice@example.org',
  remoteId: 'bob.example.org',
  auth: { psk: 'a long shared secret' },
  ike: ['aes256gcm16-prfsha384-ecp384'],
  children: [child('10.1.0.0/16', '10.2.0.0/16')],
});
const bob = daemon('bob', '127.0.0.2', {
  name: 'alice',
  localId: 'bob.example.org',
  remoteId: 'alice@example.org',
  auth: { psk: 'a long shared secret' },
  ike: ['aes256gcm16-prfsha384-ecp384'],
  children: [child('10.2.0.0/16', '10.1.0.0/16')],
});
await alice.start();
await bob.start();
const { ike } = await alice.initiate('bob');
console.log(JSON.stringify(bob.listSas(), null, 2));
await alice.terminate(ike.ikeSpi);
await alice.stop();
await bob.stop();
