/**
 * The main job: the same scenario, network and seed under each strategy, one after the other,
 * with the figures side by side.
 */
import { writeFileSync } from 'node:fs';
import { espSecrets } from './keys.js';
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
  /** Base name of the capture files: one per strategy, `<pcap>.<strategy>.pcap`. */
  readonly pcap?: string;
  /** With pcap: also write the ESP SA table and IKE keys Wireshark needs. */
  readonly keys?: boolean;
  /** Called after each handover starts (for a progress bar). */
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
  const strategies: Record<string, StrategyMetrics> = {};
  const files: string[] = [];
  for (const name of opts.strategies ?? STRATEGIES) {
    const r = await runScenario(name, {
      ...options,
      capture: opts.pcap !== undefined,
      onHandover: () => opts.onProgress?.(name),
    });
    strategies[name] = r.metrics;
    if (opts.pcap) {
      const file = `${opts.pcap}.${name}.pcap`;
      writePcap(file, r.capture);
      files.push(file);
      if (opts.keys) {
        const keysFile = `${opts.pcap}.${name}.esp_sa`;
        writeFileSync(keysFile, await espSecrets(r.world));
        files.push(keysFile);
      }
    }
    await r.world.stop();
  }
  return { options, strategies, files };
}
