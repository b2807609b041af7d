/** Builds the `mip6sec` command tree; each verb lives in its own module under commands/. */
import { Command } from 'commander';
import { compareCommand } from './commands/compare.js';
import { ikeCommand } from './commands/ike.js';
import { kernelCommand } from './commands/kernel.js';
import { mhCommand } from './commands/mh.js';
import { pfkeyCommand } from './commands/pfkey.js';

export function buildProgram(): Command {
  const program = new Command('mip6sec')
    .description(
      'Mobile IPv6 and IKEv2/IPsec together: run and measure the MIGRATE and MSRD interface designs',
    )
    .addHelpText(
      'after',
      '\nExample:\n  $ mip6sec pfkey decode 02070003020000000000000000000000\n  $ mip6sec kernel replay --help\n',
    )
    .showHelpAfterError()
    .configureOutput({ outputError: (s, write) => write(s) });
  compareCommand(program);
  pfkeyCommand(program);
  mhCommand(program);
  kernelCommand(program);
  ikeCommand(program);
  return program;
}
