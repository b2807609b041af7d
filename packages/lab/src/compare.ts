/**
 * The main job: the same scenario, network and seed under each strategy, one after the other,
 * with the figures side by side.
 */
import { writeFileSync } from 'node:fs';
import { extname } from 'node:path';
import type { StrategyMetrics } from './metrics.js';
import { writePcap } from './pcap.js';
import { runScenario, STRATEGIES } from './scenario.js';

export interface CompareOptions {
  readonly strategies?: readonly string[];
  readonly scenario?: string;
  readonly mns?: number;
  readonly handovers?: number;
  readonly rttMs?: number;
  readonly loss?: number;
  readonly seed?: number;
  readonly reconcile?: boolean;
  /**
   * Capture of the first MN's link: written to this file when one strategy runs, else to one file
   * per strategy with the strategy's name before the extension (see {@link captureFile}).
   */
  readonly pcap?: string;
  /** With pcap: also write the ESP SA table and IKE keys Wireshark needs (see keys.ts). */
  readonly keys?: boolean;
  /** Called as each MN handover starts (for a progress bar). */
  readonly onProgress?: (strategy: string) => void;
}

export interface ComparisonResult {
  readonly options: {
    readonly scenario: string;
    readonly mns: number;
    readonly handovers: number;
    readonly rttMs: number;
    readonly loss: number;
    readonly seed: number;
    readonly reconcile: boolean;
  };
  readonly strategies: Record<string, StrategyMetrics>;
  /** Files written (captures, key tables). */
  readonly files: string[];
}

/**
 * Where a strategy's capture goes: `file` itself when it is the only strategy, else the strategy's
 * name inserted before the extension (`run.pcap` -> `run.migrate.pcap`; no extension: `run.migrate`).
 */
export function captureFile(file: string, strategy: string, only: boolean): string {
  if (only) return file;
  const ext = extname(file);
  return ext ? `${file.slice(0, -ext.length)}.${strategy}${ext}` : `${file}.${strategy}`;
}

/** The key tables beside a capture: `run.pcap` -> `run.esp_sa`, `run.ikev2_decryption_table`. */
export function keyFiles(pcapFile: string): { esp: string; ike: string } {
  const ext = extname(pcapFile);
  const stem = ext ? pcapFile.slice(0, -ext.length) : pcapFile;
  return { esp: `${stem}.esp_sa`, ike: `${stem}.ikev2_decryption_table` };
}

export async function runComparison(opts: CompareOptions = {}): Promise<ComparisonResult> {
  const options = {
    scenario: opts.scenario ?? 'handover',
    mns: opts.mns ?? 1,
    handovers: opts.handovers ?? 20,
    rttMs: opts.rttMs ?? 50,
    loss: opts.loss ?? 0.01,
    seed: opts.seed ?? 1,
    reconcile: opts.reconcile ?? true,
  };
  const names = opts.strategies ?? STRATEGIES;
  for (const n of names) {
    if (!(STRATEGIES as readonly string[]).includes(n))
      throw new Error(`unknown strategy ${JSON.stringify(n)} (known: ${STRATEGIES.join(', ')})`);
  }
  const strategies: Record<string, StrategyMetrics> = {};
  const files: string[] = [];
  for (const name of names) {
    const r = await runScenario(name, {
      ...options,
      capture: opts.pcap !== undefined,
      onHandover: () => opts.onProgress?.(name),
    });
    strategies[name] = r.metrics;
    if (opts.pcap) {
      const file = captureFile(opts.pcap, name, names.length === 1);
      writePcap(file, r.capture);
      files.push(file);
      if (opts.keys && r.keys) {
        const k = keyFiles(file);
        writeFileSync(k.esp, r.keys.espSaTable());
        writeFileSync(k.ike, r.keys.ikev2Table());
        files.push(k.esp, k.ike);
      }
    }
    await r.world.stop();
  }
  return { options, strategies, files };
}
