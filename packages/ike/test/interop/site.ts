/**
 * One interop site: a temp directory, a namespace pair, charon in namespace `a` and (when started)
 * our daemon with its sockets in namespace `b`; `close()` takes it all down. Each describe block
 * gets its own site, so one that moves or removes addresses cannot disturb another.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IkeDaemonConfig } from '../../src/config.js';
import { Charon } from './charon.js';
import { type NetnsEndOptions, NetnsPair, type Side } from './netns.js';
import { OurDaemon } from './our-daemon.js';
import type { SettingsTree } from './swanctl-conf.js';

export class InteropSite {
  ours: OurDaemon | undefined;

  private constructor(
    readonly dir: string,
    readonly pair: NetnsPair,
    readonly charon: Charon,
  ) {}

  static async create(
    name: string,
    o: { a?: NetnsEndOptions; b?: NetnsEndOptions; charon?: SettingsTree } = {},
  ): Promise<InteropSite> {
    const dir = await mkdtemp(join(tmpdir(), `mip6sec-${name}-`));
    let pair: NetnsPair | undefined;
    try {
      pair = await NetnsPair.create({ ...(o.a ? { a: o.a } : {}), ...(o.b ? { b: o.b } : {}) });
      const charon = await Charon.start({
        pair,
        side: 'a',
        dir: join(dir, 'charon'),
        ...(o.charon ? { settings: o.charon } : {}),
      });
      return new InteropSite(dir, pair, charon);
    } catch (err) {
      await pair?.destroy();
      await rm(dir, { recursive: true, force: true });
      throw err;
    }
  }

  async startOurs(config: IkeDaemonConfig): Promise<OurDaemon> {
    this.ours = await OurDaemon.start(this.pair, 'b', config);
    return this.ours;
  }

  /**
   * Lets a side keep its other addresses when the first of a subnet goes (Linux deletes the
   * secondary addresses with the primary otherwise), so an address can be swapped for a move.
   */
  async keepSecondaries(side: Side): Promise<void> {
    const dev = this.pair.end(side).ifname;
    await this.pair.exec(side, ['sysctl', '-qw', `net.ipv4.conf.${dev}.promote_secondaries=1`]);
  }

  async diagnostics(): Promise<string> {
    return `${this.ours ? `our daemon's errors:\n${this.ours.errorText()}\n` : ''}${await this.charon.diagnostics(150)}`;
  }

  async close(): Promise<void> {
    await this.ours?.stop();
    await this.charon.stop();
    await this.pair.destroy();
    if (!process.env.MIP6SEC_KEEP_INTEROP) await rm(this.dir, { recursive: true, force: true });
  }
}
