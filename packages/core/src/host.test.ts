import 'reflect-metadata';
import { container, type InjectionToken } from 'tsyringe';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from './clock.js';
import { WiringError } from './errors.js';
import { checkPlugins, Host, type Plugin } from './host.js';
import { BUS, KERNEL_BACKEND, MOBILITY_STRATEGY } from './tokens.js';

const plugin = (
  name: string,
  provides: InjectionToken<unknown>[],
  requires: InjectionToken<unknown>[] = [],
): Plugin => ({
  name,
  provides,
  requires,
  register: (c) => {
    for (const t of provides) c.register(t, { useValue: { name } });
  },
});

describe('plugin wiring', () => {
  it('refuses two providers of one token and names both', () => {
    expect(() => checkPlugins([plugin('a', [KERNEL_BACKEND]), plugin('b', [KERNEL_BACKEND])], [])).toThrow(
      /KernelBackend is provided by both a and b/,
    );
  });
  it('refuses a requirement nobody provides', () => {
    try {
      checkPlugins([plugin('s', [MOBILITY_STRATEGY], [KERNEL_BACKEND])], [BUS]);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(WiringError);
      expect((e as WiringError).code).toBe('ENOENT');
      expect(String(e)).toMatch(/s requires .*KernelBackend/);
    }
  });
  it('gives each host its own container and bus', async () => {
    const clock = new VirtualClock();
    const a = new Host(container, {
      name: 'a',
      role: 'mn',
      clock,
      plugins: [plugin('k1', [KERNEL_BACKEND])],
    });
    const b = new Host(container, {
      name: 'b',
      role: 'ha',
      clock,
      plugins: [plugin('k2', [KERNEL_BACKEND])],
    });
    expect(a.resolve(KERNEL_BACKEND)).toEqual({ name: 'k1' });
    expect(b.resolve(KERNEL_BACKEND)).toEqual({ name: 'k2' });
    expect(a.resolve(BUS)).not.toBe(b.resolve(BUS));
    const started: string[] = [];
    a.addStartable({ start: () => void started.push('start'), stop: () => void started.push('stop') });
    await a.start();
    await a.stop();
    expect(started).toEqual(['start', 'stop']);
  });
});
