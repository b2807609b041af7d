// A UDP socket inside a test namespace, driven by the test process over stdio (one JSON object a
// line), so code running in vitest can use sockets that live in a namespace it cannot enter.
//   argv:   ADDR PORT
//   stdout: {"ev":"bound","ip":..,"port":..} once listening, then for every datagram
//           {"ev":"recv","src":{"ip","port"},"dst":{"ip","port"},"data":"<base64>"}; {"ev":"error","message":..}
//   stdin:  {"op":"send","to":{"ip","port"},"from":"<ip>"?,"data":"<base64>"}
// A socket bound to the unspecified address cannot tell which address a datagram came to, so it
// reports the unspecified address as dst; `from` on such a socket sends from a socket bound to
// that address and the same port (SO_REUSEADDR), which then also receives for that address.
import dgram from 'node:dgram';
import { isIPv6 } from 'node:net';
import { createInterface } from 'node:readline';

const [addr, portArg] = process.argv.slice(2);
const type = isIPv6(addr ?? '') ? 'udp6' : 'udp4';
const unspecified = addr === '0.0.0.0' || addr === '::';
const emit = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);
const sockets = new Map();

function open(ip, port) {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket({ type, reuseAddr: true, ipv6Only: type === 'udp6' });
    s.once('error', reject);
    s.on('message', (msg, rinfo) =>
      emit({
        ev: 'recv',
        src: { ip: rinfo.address, port: rinfo.port },
        dst: { ip, port: s.address().port },
        data: msg.toString('base64'),
      }),
    );
    s.bind(port, ip, () => {
      s.off('error', reject);
      s.on('error', (err) => emit({ ev: 'error', message: err.message }));
      sockets.set(ip, s);
      resolve(s);
    });
  });
}

const main = await open(addr, Number(portArg)).catch((err) => {
  emit({ ev: 'error', message: `bind [${addr}]:${portArg}: ${err.message}` });
  process.exit(1);
});
const port = main.address().port;
emit({ ev: 'bound', ip: addr, port });

createInterface({ input: process.stdin }).on('line', async (line) => {
  let cmd;
  try {
    cmd = JSON.parse(line);
  } catch {
    return emit({ ev: 'error', message: `bad command: ${line}` });
  }
  if (cmd.op !== 'send') return emit({ ev: 'error', message: `unknown op: ${cmd.op}` });
  try {
    let s = main;
    if (unspecified && cmd.from && cmd.from !== addr)
      s = sockets.get(cmd.from) ?? (await open(cmd.from, port));
    s.send(Buffer.from(cmd.data, 'base64'), cmd.to.port, cmd.to.ip);
  } catch (err) {
    emit({ ev: 'error', message: `send: ${err.message}` });
  }
});
process.stdin.on('end', () => process.exit(0));
