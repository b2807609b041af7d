/** `mip6sec pfkey decode|encode`: PF_KEY v2 bytes to JSON and back. */

import { decode, encode, fromJson, toJson } from '@mip6sec/pfkey-codec';
import type { Command } from 'commander';
import { argOrStdin, parseHex, parseJson, run, stringify, toHex } from '../io.js';

export function pfkeyCommand(program: Command): void {
  const pfkey = program
    .command('pfkey')
    .description('PF_KEY v2 messages (RFC 2367 + Linux extensions, MIGRATE, SADB_X_EXT_REF)')
    .addHelpText(
      'after',
      '\nExample:\n  $ mip6sec pfkey decode 02070003020000000000000000000000   # an SADB_REGISTER for ESP\n',
    );
  pfkey
    .command('decode')
    .argument('[hex]', 'the message as hex (whitespace and 0x allowed); stdin when absent')
    .option('--compact', 'one line of JSON')
    .description('decode a PF_KEY v2 message and print it as JSON')
    .addHelpText('after', '\nExample:\n  $ mip6sec pfkey decode 02070003020000000000000000000000\n')
    .action((hex: string | undefined, opts: { compact?: boolean }) =>
      run(async () => {
        const msg = decode(parseHex(await argOrStdin(hex)));
        process.stdout.write(`${stringify(toJson(msg), !opts.compact)}\n`);
      }),
    );
  pfkey
    .command('encode')
    .argument('[json]', 'the message as JSON in the form decode prints; stdin when absent')
    .description('encode JSON (as printed by decode) into PF_KEY v2 bytes, printed as hex')
    .addHelpText(
      'after',
      '\nExample:\n  $ mip6sec pfkey decode $HEX | mip6sec pfkey encode   # prints $HEX again\n',
    )
    .action((json: string | undefined) =>
      run(async () => {
        const msg = fromJson(parseJson(await argOrStdin(json)));
        process.stdout.write(`${toHex(encode(msg))}\n`);
      }),
    );
}
