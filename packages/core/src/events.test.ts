import { describe, expect, it } from 'vitest';
import { Bus, type Mip6BindingSending } from './events.js';

const sending: Omit<Mip6BindingSending, 'waitUntil'> = {
  type: 'mip6.binding-sending',
  hoa: '2001:db8::100',
  ha: '2001:db8::1',
  coa: '2001:db8:5::100',
  previousCoa: '2001:db8::100',
  seq: 1,
  kBit: true,
  deregistration: false,
  changesCoa: true,
};

describe('Bus', () => {
  it('delivers events to subscribers of their type only', () => {
    const bus = new Bus();
    const got: string[] = [];
    bus.on('mip6.returned-home').subscribe((e) => got.push(e.hoa));
    bus.emit({
      type: 'mip6.returned-home',
      hoa: '2001:db8::100',
      ha: '2001:db8::1',
      oldCoa: '2001:db8:5::100',
    });
    bus.emit({ type: 'ike.sa-deleted', ikeSpi: 'x', reason: 'test' });
    expect(got).toEqual(['2001:db8::100']);
  });

  it('emitAndWait waits for every hold, and reports a rejected hold without failing the emitter', async () => {
    const bus = new Bus();
    const order: string[] = [];
    const errors: unknown[] = [];
    bus.errors.subscribe((e) => errors.push(e.error));
    bus.on('mip6.binding-sending').subscribe((e) =>
      e.waitUntil(
        new Promise<void>((r) =>
          setTimeout(() => {
            order.push('strategy');
            r();
          }, 5),
        ),
      ),
    );
    bus.on('mip6.binding-sending').subscribe((e) => e.waitUntil(Promise.reject(new Error('boom'))));
    await bus.emitAndWait<Mip6BindingSending>(sending);
    order.push('bu sent');
    expect(order).toEqual(['strategy', 'bu sent']);
    expect(String(errors[0])).toContain('boom');
  });
});
