/**
 * `mip6sec ike initiate | respond | bench`: the @mip6sec/ike daemon on real UDP, configured like a
 * strongSwan connection from options, with its CHILD_SAs in a simulated kernel.
 */
import { type Command, InvalidArgumentError, Option } from 'commander';
import { run } from '../io.js';
import type { BenchFlags } from './ike/bench.js';
import type { PeerFlags } from './ike/config.js';
import type { SessionFlags } from './ike/session.js';

function port(text: string): number {
  if (!/^\d{1,5}$/.test(text) || Number(text) < 1 || Number(text) > 65535)
    throw new InvalidArgumentError('a port, 1 to 65535');
  return Number(text);
}

function positive(max: number) {
  return (text: string): number => {
    if (!/^\d{1,9}$/.test(text) || Number(text) < 1 || Number(text) > max)
      throw new InvalidArgumentError(`a whole number from 1 to ${max}`);
    return Number(text);
  };
}

function nonNegative(max: number) {
  return (text: string): number => {
    if (!/^\d{1,9}$/.test(text) || Number(text) > max)
      throw new InvalidArgumentError(`a whole number from 0 to ${max}`);
    return Number(text);
  };
}

function list(value: string, previous: string[] | undefined): string[] {
  const items = value
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== '');
  return [...(previous ?? []), ...items];
}

const PORTS_HELP = `
Ports: ADDR is the IKE port 500 and the NAT-T port 4500 on it; ADDR:PORT ([ADDR]:PORT for IPv6) puts
IKE on PORT and NAT-T on PORT+1 (--natt-port and --remote-natt-port say otherwise), so two daemons
can share an address. Ports below 1024 need root.`;

/** The options that describe the connection, shared by every verb (swanctl.conf's names in brackets). */
function connectionOptions(cmd: Command, role: 'initiator' | 'responder' | 'bench'): Command {
  cmd
    .option('--id <id>', "our identity [local.id]; default our address, or --cert's subject")
    .option(
      '--remote-id <id>',
      `the identity the peer must prove [remote.id]; default ${role === 'responder' ? 'any' : 'not checked (%any)'}`,
    )
    .option('--psk <secret>', 'pre-shared key both peers know [secrets.ike.secret]')
    .option(
      '--cert <file>',
      'our X.509 certificate, PEM or DER, for certificate authentication [local.certs]',
    )
    .option('--key <file>', 'the private key of --cert (PKCS#8, PKCS#1 or SEC1; PEM or DER) [private/]')
    .option('--ca <file>', "the CA certificate the peer's certificate must chain to [remote.cacerts]")
    .option(
      '--ike <proposals>',
      'IKE proposals, comma-separated or repeated, e.g. aes128gcm16-prfsha256-x25519 [proposals]',
      list,
    )
    .option('--esp <proposals>', 'ESP proposals, e.g. aes128gcm16,aes128-sha256 [esp_proposals]', list)
    .option(
      '--local-ts <prefixes>',
      'our traffic selectors, e.g. 10.1.0.0/16 [local_ts]; default dynamic',
      list,
    )
    .option('--remote-ts <prefixes>', "the peer's traffic selectors [remote_ts]; default dynamic", list)
    .addOption(
      new Option('--mode <mode>', 'CHILD_SA mode').choices(['tunnel', 'transport']).default('tunnel'),
    )
    .option('--child <name>', 'name of the CHILD_SA', 'net')
    .option('--no-mobike', 'do not negotiate MOBIKE [mobike = no]')
    .option('--encap', 'force UDP encapsulation of ESP, as behind a NAT [encap = yes]')
    .addOption(
      new Option('--kernel <backend>', 'where CHILD_SAs are installed').choices(['sim']).default('sim'),
    )
    .option(
      '--natt-port <port>',
      'our NAT-T port (default 4500 with IKE on 500, else the IKE port + 1)',
      port,
    )
    .option('--remote-natt-port <port>', "the peer's NAT-T port (same default)", port);
  return cmd;
}

const INITIATE_EXAMPLE = `${PORTS_HELP}

Output: the IKE_SA and its CHILD_SA (SPIs, algorithms, addresses, selectors; keys with --show-keys),
as text or, with --json, one JSON object a line. A failed negotiation exits with status 1 and the IKE
notify that caused it, e.g. "error: AUTHENTICATION_FAILED: ...".

Example:
  $ mip6sec ike respond --local 127.0.0.1:15010 --id gw.example.org --psk 'a long secret' \\
      --ike aes128gcm16-prfsha256-x25519 --esp aes128gcm16 --local-ts 10.2.0.0/16 --remote-ts 10.1.0.0/16 &
  $ mip6sec ike initiate --local 127.0.0.1:15000 --remote 127.0.0.1:15010 --id alice@example.org \\
      --remote-id gw.example.org --psk 'a long secret' --ike aes128gcm16-prfsha256-x25519 \\
      --esp aes128gcm16 --local-ts 10.1.0.0/16 --remote-ts 10.2.0.0/16 --once
  peer: ESTABLISHED, IKEv2, 5f1c0e0d9a2b3c4d_i* 8e7f6a5b4c3d2e1f_r
    local  'alice@example.org' @ 127.0.0.1:4500
    ...
`;

const RESPOND_EXAMPLE = `${PORTS_HELP}

Without --once the responder serves until SIGINT or SIGTERM (then deletes its IKE_SAs), printing
one line per event: IKE_SA established, CHILD_SA installed or rekeyed, moved (MOBIKE), deleted.

Example:
  $ mip6sec ike respond --local 192.0.2.1 --id gw.example.org --remote-id '%any' --psk 'a long secret' \\
      --local-ts 10.2.0.0/16 --remote-ts 10.1.0.0/16 --json
  {"type":"listening","ip":"192.0.2.1","port":500,"nattPort":4500}
  {"type":"ike.sa-established","ikeSpi":"...","initiator":false,...}
`;

const BENCH_EXAMPLE = `${PORTS_HELP}

Output: setups per second over the timed run, latency percentiles of one setup (IKE_SA_INIT, IKE_AUTH
and the first CHILD_SA), failures by notify, and the driver's own CPU time (the run and its deletions;
when it nears the run's length, the driver was the limit). --json prints the same as one JSON object.

Example:
  $ mip6sec ike bench --local 127.0.0.1:15000 --remote 127.0.0.1:15010 --remote-id gw.example.org \\
      --psk 'a long secret' --ike aes128gcm16-prfsha256-x25519 --count 500 --concurrency 16
`;

export function ikeCommand(program: Command): void {
  const ike = program
    .command('ike')
    .description('the IKEv2 daemon of @mip6sec/ike on real UDP, CHILD_SAs in a simulated kernel')
    .addHelpText(
      'after',
      "\nExample:\n  $ mip6sec ike initiate --remote 192.0.2.1 --remote-id gw.example.org --psk 'a long secret' --once\n",
    );

  connectionOptions(
    ike
      .command('initiate')
      .description('negotiate an IKE_SA and a CHILD_SA with a responder, print them, and keep them up')
      .option(
        '--local <addr>',
        'our address ADDR[:PORT] [local_addrs]; default the source address for --remote',
      )
      .requiredOption('--remote <addr>', "the responder's address ADDR[:PORT] [remote_addrs]"),
    'initiator',
  )
    .option('--request-home-address', 'ask for a Mobile IPv6 home address in IKE_AUTH (RFC 5026)')
    .option('--once', 'exit once the IKE_SA and its first CHILD_SA are up (deleting them first)')
    .option('--no-delete', 'with --once: exit without deleting the IKE_SA')
    .option('--timeout <seconds>', 'give up after this many seconds (ETIMEDOUT)', positive(86_400))
    .option('--json', 'one JSON object a line')
    .option('--show-keys', 'print the IKE and ESP keys too')
    .addHelpText('after', INITIATE_EXAMPLE)
    .action((flags: SessionFlags & PeerFlags) =>
      run(async () => {
        const { initiate } = await import('./ike/session.js');
        await initiate(withLists(flags));
      }),
    );

  connectionOptions(
    ike
      .command('respond')
      .description('answer IKE_SA setups from initiators; serve until SIGINT/SIGTERM, or --once')
      .requiredOption('--local <addr>', 'the address to listen on, ADDR[:PORT] [local_addrs]')
      .option('--remote <addr>', 'answer only this initiator, ADDR[:PORT] [remote_addrs]; default any'),
    'responder',
  )
    .option('--home-address-pool <prefix>', 'assign Mobile IPv6 home addresses from this prefix (RFC 5026)')
    .option(
      '--once',
      'exit once the first IKE_SA and its CHILD_SA are up (after the peer deletes them, or 2 s)',
    )
    .option(
      '--timeout <seconds>',
      'with --once: give up after this many seconds (ETIMEDOUT)',
      positive(86_400),
    )
    .option('--json', 'one JSON object a line')
    .option('--show-keys', 'print the IKE and ESP keys too')
    .addHelpText('after', RESPOND_EXAMPLE)
    .action((flags: SessionFlags & PeerFlags) =>
      run(async () => {
        const { respond } = await import('./ike/session.js');
        await respond(withLists(flags));
      }),
    );

  connectionOptions(
    ike
      .command('bench')
      .description('drive N IKE_SA setups against a responder and print setups/s and latency percentiles')
      .option('--local <addr>', 'our address ADDR[:PORT]; default the source address for --remote')
      .requiredOption('--remote <addr>', "the responder's address ADDR[:PORT]"),
    'bench',
  )
    .option('--count <n>', 'IKE_SA setups in all', positive(1_000_000), 100)
    .option('--concurrency <n>', 'setups under way at once', positive(10_000), 10)
    .option('--warmup <n>', 'setups made and deleted before the timed ones', nonNegative(1_000_000), 0)
    .option('--json', 'print the result as one JSON object')
    .addHelpText('after', BENCH_EXAMPLE)
    .action((flags: BenchFlags) =>
      run(async () => {
        const { bench } = await import('./ike/bench.js');
        await bench(withLists(flags));
      }),
    );
}

/** Repeatable list options are absent when never given; the verbs want empty lists. */
function withLists<T extends Partial<PeerFlags>>(
  flags: T,
): T & Pick<PeerFlags, 'ike' | 'esp' | 'localTs' | 'remoteTs'> {
  return {
    ...flags,
    ike: flags.ike ?? [],
    esp: flags.esp ?? [],
    localTs: flags.localTs ?? [],
    remoteTs: flags.remoteTs ?? [],
  };
}
