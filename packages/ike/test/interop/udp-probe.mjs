// Runs inside a test namespace (node udp-probe.mjs ...) to send traffic through a tunnel.
//   server ADDR PORT                     echo every datagram back; prints "ready" once bound
//   client LOCAL REMOTE PORT COUNT       send COUNT datagrams one after another, each awaiting its echo;
//                                        prints {"sent":n,"received":m}; exit 0 when all came back
import dgram from 'node:dgram';
import { isIPv6 } from 'node:net';

const [mode, local, remoteOrPort, portArg, countArg] = process.argv.slice(2);
const socket = dgram.createSocket(isIPv6(local ?? '') ? 'udp6' : 'udp4');

if (mode === 'server') {
  socket.on('message', (msg, rinfo) => socket.send(msg, rinfo.port, rinfo.address));
  socket.bind(Number(remoteOrPort), local, () => process.stdout.write('ready\n'));
} else if (mode === 'client') {
  const count = Number(countArg ?? 1);
  const port = Number(portArg);
  let sent = 0;
  let received = 0;
  let timer;
  const finish = () => {
    process.stdout.write(`${JSON.stringify({ sent, received })}\n`);
    process.exit(received === count ? 0 : 1);
  };
  const next = () => {
    if (sent === count) return finish();
    sent++;
    socket.send(`probe ${sent}`, port, remoteOrPort);
    timer = setTimeout(finish, 2000);
  };
  socket.on('message', (msg) => {
    if (String(msg) !== `probe ${sent}`) return;
    clearTimeout(timer);
    received++;
    next();
  });
  socket.bind(0, local, next);
} else {
  process.stderr.write('usage: udp-probe.mjs server ADDR PORT | client LOCAL REMOTE PORT COUNT\n');
  process.exit(2);
}
