/** `mip6sec kernel replay`: a script of PF_KEY writes, packets and clock steps against a simulated kernel. */
import type { ReplayOptions, ReplayOutput } from '@mip6sec/kernel-sim';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { fileOrStdinLines, InputError, run, stringify } from '../io.js';

// The example is a script that runs as printed: the SPDADD hex is what pfkey-codec's `buildSpdAdd`
// makes for the policy its comment describes.
const EXAMPLE = `
Script (one command per line; blank lines and # comments are skipped):
  send SOCKET HEX                     write a PF_KEY message from SOCKET (opened on first use);
                                      reports the write's errno and every message any socket got
  packet out SRC DST PROTO [SPORT DPORT | MHTYPE]
                                      an outbound packet through the SPD (PROTO: a number or
                                      udp, tcp, icmpv6, mh); reports the verdict and any ACQUIRE
  packet in HEX                       an inbound IPv6 packet through the SAD and SPD
  advance SECONDS                     move the virtual clock; reports EXPIREs
  dump                                the SPD and the SAD

Output: one JSON object per command, each with the script's line number; a bad line gives
{"line":N,"error":"..."} and the script goes on (--strict makes that exit status 1).

Example:
  $ cat handover.replay
  # IKE registers for ESP SAs: the kernel answers with its algorithms
  send ike 02070003020000000000000000000000
  # SPDADD out 2001:db8::100 -> 2001:db8::1 proto MH, ESP transport, reqid 1
  send mgr 020e000010000000000000000000000005000500878000000a0000000000000020010db8000000000000000000000100000000000000000005000600878000000a0000000000000020010db800000000000000000000000100000000000000000400120002000200000000000000000010003200010300000100000000000000
  # a Binding Update: no SA yet, so the kernel sends ACQUIRE to the registered socket
  packet out 2001:db8::100 2001:db8::1 mh 5
  advance 31
  dump
  $ mip6sec kernel replay handover.replay
  {"line":2,"cmd":"send","socket":"ike","errno":0,"delivered":[{"socket":"ike","message":{"type":"REGISTER",...}}]}
  ...
  $ mip6sec kernel replay < handover.replay | jq -c 'select(.cmd == "packet out") | .result'
  "acquire"
`;

function seconds(text: string): number {
  if (!/^\d{1,9}$/.test(text)) throw new InvalidArgumentError('a whole number of seconds');
  return Number(text);
}

function seed(text: string): number {
  if (!/^\d{1,10}$/.test(text) || Number(text) > 0xffffffff)
    throw new InvalidArgumentError('0 to 4294967295');
  return Number(text);
}

interface ReplayFlags {
  migrateLookup: 'exact' | 'flow';
  acqExpires?: number;
  spiSeed?: number;
  strict?: boolean;
}

export function kernelCommand(program: Command): void {
  const kernel = program
    .command('kernel')
    .description('the simulated kernel IPsec of @mip6sec/kernel-sim (SPD, SAD, PF_KEY sockets, ESP)')
    .addHelpText('after', "\nExample:\n  $ printf 'advance 5\\ndump\\n' | mip6sec kernel replay\n");
  kernel
    .command('replay')
    .argument('[file]', 'the script; stdin when absent or -')
    .description('run a script against a fresh simulated kernel and print one JSON object per command')
    .addOption(
      new Option(
        '--migrate-lookup <how>',
        'how MIGRATE finds its policy: exact selector, or by flow (Linux 6.12+)',
      )
        .choices(['exact', 'flow'])
        .default('exact'),
    )
    .option('--acq-expires <seconds>', 'lifetime of larval SAs made by ACQUIRE (default 30)', seconds)
    .option('--spi-seed <n>', 'seed of the SPIs the kernel picks, for a different but repeatable run', seed)
    .option('--strict', 'exit with status 1 when a line of the script was bad')
    .addHelpText('after', EXAMPLE)
    .action((file: string | undefined, flags: ReplayFlags) =>
      run(async () => {
        const options: ReplayOptions = {
          kernel: {
            migrateLookup: flags.migrateLookup,
            ...(flags.acqExpires !== undefined ? { acqExpires: flags.acqExpires } : {}),
            ...(flags.spiSeed !== undefined ? { spiSeed: flags.spiSeed } : {}),
          },
        };
        const bad: number[] = [];
        const print = (obj: ReplayOutput): void => {
          if ('error' in obj) bad.push(obj.line as number);
          process.stdout.write(`${stringify(obj, false)}\n`);
        };
        // Loaded here, not at the top: the simulated kernel (and its crypto) would otherwise slow the
        // start of every other verb.
        const { runReplay } = await import('@mip6sec/kernel-sim');
        await runReplay(await fileOrStdinLines(file), print, options);
        if (flags.strict && bad.length > 0) {
          const lines = bad.length === 1 ? 'line' : 'lines';
          throw new InputError('EINVAL', `${bad.length} bad ${lines} in the script, first at line ${bad[0]}`);
        }
      }),
    );
}
