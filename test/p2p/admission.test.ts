/** The queue of gossiped transaction batches: order, preparation, slices per turn, backpressure, close. */
import { describe, expect, it } from 'vitest';
import { AdmissionQueue } from '../../src/p2p/admission.js';

function harness(
  o: { capacity?: number; perPeer?: number; sliceMs?: number; costMs?: number } = {},
) {
  let clock = 0;
  const turns: (() => void)[] = [];
  const admitted: string[] = [];
  let drops = 0;
  const q = new AdmissionQueue<string>({
    capacity: o.capacity ?? 8,
    perPeer: o.perPeer ?? 8,
    sliceMs: o.sliceMs ?? 10,
    admit: (peer, data) => {
      clock += o.costMs ?? 4;
      admitted.push(`${peer}:${data[0]}`);
      return `ok ${data[0]}`;
    },
    whenFull: 'ignored',
    onDrop: () => drops++,
    now: () => clock,
    schedule: (run) => turns.push(run),
  });
  const turn = () => turns.shift()!();
  return { q, turns, admitted, turn, drops: () => drops };
}

describe('transaction admission queue', () => {
  it('admits in arrival order, a slice of work per turn, and yields between slices', async () => {
    const h = harness({ sliceMs: 10, costMs: 4 });
    const verdicts = [1, 2, 3, 4, 5, 6, 7].map((i) => h.q.submit(`p${i % 2}`, Uint8Array.of(i)));
    expect(h.admitted).toEqual([]); // nothing happens inside the gossip callback
    expect(h.turns).toHaveLength(1);
    h.turn(); // 4 + 4 + 4 ms: the third batch crosses the 10 ms slice
    expect(h.admitted).toEqual(['p1:1', 'p0:2', 'p1:3']);
    expect(h.turns).toHaveLength(1); // the rest waits for the next turn
    h.turn();
    h.turn();
    expect(h.turns).toHaveLength(0);
    expect(h.admitted.map((a) => a.split(':')[1])).toEqual(['1', '2', '3', '4', '5', '6', '7']);
    expect(await Promise.all(verdicts)).toEqual([1, 2, 3, 4, 5, 6, 7].map((i) => `ok ${i}`));
  });

  it('answers at once, without admission, when full', async () => {
    const h = harness({ capacity: 2 });
    const kept = [h.q.submit('a', Uint8Array.of(1)), h.q.submit('a', Uint8Array.of(2))];
    expect(await h.q.submit('a', Uint8Array.of(3))).toBe('ignored');
    expect(h.drops()).toBe(1);
    expect(h.q.length).toBe(2);
    h.turn();
    expect(await Promise.all(kept)).toEqual(['ok 1', 'ok 2']);
    expect(h.admitted).toEqual(['a:1', 'a:2']);
    // Room again once admitted.
    const again = h.q.submit('a', Uint8Array.of(4));
    h.turn();
    expect(await again).toBe('ok 4');
  });

  it('prepares batches concurrently but admits them in arrival order', async () => {
    const admitted: number[] = [];
    const release = new Map<number, () => void>();
    const turns: (() => void)[] = [];
    const q = new AdmissionQueue<string>({
      capacity: 8,
      perPeer: 8,
      sliceMs: 10,
      admit: (_, data) => {
        admitted.push(data[0]!);
        return `ok ${data[0]}`;
      },
      prepare: (data) => new Promise<void>((r) => release.set(data[0]!, r)),
      whenFull: 'ignored',
      now: () => 0,
      schedule: (run) => turns.push(run),
    });
    const settle = async () => {
      for (let i = 0; i < 5; i++) await Promise.resolve();
      while (turns.length > 0) turns.shift()!();
    };
    const verdicts = [1, 2, 3].map((i) => q.submit('p', Uint8Array.of(i)));
    expect([...release.keys()]).toEqual([1, 2, 3]); // all three prepare at once
    release.get(3)!();
    release.get(2)!();
    await settle();
    expect(admitted).toEqual([]); // the first is not ready: nothing overtakes it
    release.get(1)!();
    await settle();
    expect(admitted).toEqual([1, 2, 3]);
    expect(await Promise.all(verdicts)).toEqual(['ok 1', 'ok 2', 'ok 3']);
  });

  it('keeps room for other peers: one peer may have only perPeer batches waiting', async () => {
    const h = harness({ capacity: 8, perPeer: 2 });
    const flood = [1, 2, 3, 4].map((i) => h.q.submit('flooder', Uint8Array.of(i)));
    const honest = h.q.submit('honest', Uint8Array.of(9));
    expect(h.drops()).toBe(2);
    h.turn();
    expect(await Promise.all(flood)).toEqual(['ok 1', 'ok 2', 'ignored', 'ignored']);
    expect(await honest).toBe('ok 9');
    // Once admitted, the flooder may send again.
    const again = h.q.submit('flooder', Uint8Array.of(5));
    h.turn();
    expect(await again).toBe('ok 5');
  });

  it('close answers every waiting batch and refuses later ones', async () => {
    const h = harness();
    const waiting = [h.q.submit('a', Uint8Array.of(1)), h.q.submit('a', Uint8Array.of(2))];
    h.q.close();
    expect(await Promise.all(waiting)).toEqual(['ignored', 'ignored']);
    expect(await h.q.submit('a', Uint8Array.of(3))).toBe('ignored');
    for (const t of h.turns.splice(0)) t();
    expect(h.admitted).toEqual([]);
  });
});
