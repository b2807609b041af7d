/** Builds the `mip6sec` command tree; each verb lives in its own module under commands/. */
import { Command } from 'commander';
import { mhCommand } from './commands/mh.js';
import { pfkeyCommand } from './commands/pfkey.js';

export function buildProgram(): Command {
  const program = new Command('mip6sec')
    .description(
      'Mobile IPv6 and IKEv2/IPsec together: run and measure the MIGRATE and MSRD interface designs',
    )
    .showHelpAfterError()
    .configureOutput({ outputError: (s, write) => write(s) });
  pfkeyCommand(program);
  mhCommand(program);
  return program;
}
