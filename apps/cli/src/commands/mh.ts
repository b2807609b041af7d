/** `mip6sec mh decode|encode`: Mobility Header messages, or whole IPv6 packets carrying one. */

import { decodeToJson, encodeFromJson } from '@mip6sec/mip6';
import type { Command } from 'commander';
import { argOrStdin, parseHex, parseJson, run, stringify, toHex } from '../io.js';

export function mhCommand(program: Command): void {
  const mh = program
    .command('mh')
    .description('Mobile IPv6 Mobility Header (RFC 6275), alone or inside an IPv6 packet')
    .addHelpText(
      'after',
      '\nExample:\n  $ mip6sec mh decode 3b00000000000000        # a Binding Refresh Request\n',
    );
  mh.command('decode')
    .argument(
      '[hex]',
      'an MH message, or an IPv6 packet when it starts with an IPv6 header; stdin when absent',
    )
    .option('--compact', 'one line of JSON')
    .description('decode an MH message (or a whole IPv6 packet with its extension headers) to JSON')
    .addHelpText(
      'after',
      '\nExample:\n  $ mip6sec mh decode 3b00000000000000        # a Binding Refresh Request\n',
    )
    .action((hex: string | undefined, opts: { compact?: boolean }) =>
      run(async () => {
        process.stdout.write(`${stringify(decodeToJson(parseHex(await argOrStdin(hex))), !opts.compact)}\n`);
      }),
    );
  mh.command('encode')
    .argument('[json]', 'JSON in the form decode prints; stdin when absent')
    .description('encode JSON (as printed by decode) into bytes, printed as hex')
    .addHelpText(
      'after',
      '\nExample:\n  $ mip6sec mh decode $HEX | mip6sec mh encode   # prints $HEX again\n',
    )
    .action((json: string | undefined) =>
      run(async () => {
        process.stdout.write(`${toHex(encodeFromJson(parseJson(await argOrStdin(json))))}\n`);
      }),
    );
}
