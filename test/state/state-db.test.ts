import { createMPT } from '@ethereumjs/mpt';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rlpEncode } from '../../src/codec/rlp.js';
import { bigintToFixed, fromHex, toHex, utf8 } from '../../src/crypto/bytes.js';
import { keccak256 } from '../../src/crypto/keccak.js';
import {
  AccountRangeError,
  EMPTY_CODE_HASH,
  emptyAccount,
  encodeAccount,
} from '../../src/state/account.js';
import { StateDB, StateError } from '../../src/state/state-db.js';
import {
  EMPTY_TRIE_ROOT,
  MemoryNodeStore,
  MissingNodeError,
  type TrieNodeStore,
} from '../../src/state/trie.js';

const addr = (n: number): Uint8Array => bigintToFixed(BigInt(n) + 0xe7a0n * (1n << 144n), 20);
const slot = (n: number): Uint8Array => bigintToFixed(BigInt(n), 32);

type Op =
  | { t: 'acct'; a: number; nonce: bigint; balance: bigint; locked: bigint }
  | { t: 'slot'; a: number; k: number; v: Uint8Array }
  | { t: 'code'; a: number; code: Uint8Array };

const small = fc.oneof(fc.constant(0n), fc.bigInt({ min: 1n, max: 1n << 70n }));
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      t: fc.constant('acct' as const),
      a: fc.nat(7),
      nonce: fc.oneof(fc.constant(0n), fc.bigInt({ min: 1n, max: (1n << 64n) - 1n })),
      balance: small,
      locked: small,
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      t: fc.constant('slot' as const),
      a: fc.nat(7),
      k: fc.nat(5),
      v: fc.oneof(fc.constant(new Uint8Array(0)), fc.uint8Array({ minLength: 1, maxLength: 80 })),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      t: fc.constant('code' as const),
      a: fc.nat(7),
      code: fc.oneof(
        fc.constant(new Uint8Array(0)),
        fc.uint8Array({ minLength: 1, maxLength: 64 }),
      ),
    }),
  },
);
const opsArb = fc.array(opArb, { maxLength: 60 });

function apply(db: StateDB, op: Op): void {
  if (op.t === 'acct') {
    const a = db.getAccount(addr(op.a));
    db.putAccount(addr(op.a), { ...a, nonce: op.nonce, balance: op.balance, locked: op.locked });
  } else if (op.t === 'slot') {
    db.putStorage(addr(op.a), slot(op.k), op.v);
  } else {
    db.putCode(addr(op.a), op.code);
  }
}

function persist(store: MemoryNodeStore, nodes: Array<[Uint8Array, Uint8Array]>): void {
  for (const [h, b] of nodes) store.put(h, b);
}

/** Root after applying `ops` to a fresh state in one commit. */
function rootOf(ops: Op[], store = new MemoryNodeStore()): Uint8Array {
  const db = new StateDB(EMPTY_TRIE_ROOT, store);
  for (const op of ops) apply(db, op);
  const c = db.commit();
  persist(store, c.nodes);
  return c.root;
}

/** The last write of each field group (account fields, code, each slot), first-write order. */
function finalOps(ops: Op[]): Op[] {
  const m = new Map<string, Op>();
  for (const op of ops) m.set(op.t === 'slot' ? `slot:${op.a}:${op.k}` : `${op.t}:${op.a}`, op);
  return [...m.values()];
}

/** A simple model of the state the ops describe. */
function model(ops: Op[]) {
  const accounts = new Map<
    number,
    { nonce: bigint; balance: bigint; locked: bigint; code: Uint8Array }
  >();
  const slots = new Map<string, Uint8Array>();
  for (const op of ops) {
    const a = accounts.get(op.a) ?? { nonce: 0n, balance: 0n, locked: 0n, code: new Uint8Array(0) };
    if (op.t === 'acct')
      accounts.set(op.a, { ...a, nonce: op.nonce, balance: op.balance, locked: op.locked });
    else if (op.t === 'code') accounts.set(op.a, { ...a, code: op.code });
    else slots.set(`${op.a}:${op.k}`, op.v);
  }
  return { accounts, slots };
}

function expectState(db: StateDB, ops: Op[]): void {
  const m = model(ops);
  for (let a = 0; a < 8; a++) {
    const acct = db.getAccount(addr(a));
    const want = m.accounts.get(a);
    expect(acct.nonce).toBe(want?.nonce ?? 0n);
    expect(acct.balance).toBe(want?.balance ?? 0n);
    expect(acct.locked).toBe(want?.locked ?? 0n);
    expect(db.getCode(addr(a))).toEqual(want?.code ?? new Uint8Array(0));
    expect(acct.codeHash).toEqual(
      want && want.code.length > 0 ? keccak256(want.code) : EMPTY_CODE_HASH,
    );
    for (let k = 0; k < 6; k++) {
      expect(db.getStorage(addr(a), slot(k))).toEqual(
        m.slots.get(`${a}:${k}`) ?? new Uint8Array(0),
      );
    }
  }
}

describe('StateDB: accounts', () => {
  it('reads an absent account as empty, and reading never changes the root', () => {
    fc.assert(
      fc.property(opsArb, fc.array(fc.nat(12), { maxLength: 20 }), (ops, reads) => {
        const store = new MemoryNodeStore();
        const root = rootOf(ops, store);
        const db = new StateDB(root, store);
        for (const r of reads) {
          db.getAccount(addr(r));
          db.getStorage(addr(r), slot(r));
          db.getCode(addr(r));
        }
        expect(db.touched()).toEqual([]);
        expect(db.commit()).toEqual({ root, nodes: [] });
      }),
      { numRuns: 100 },
    );
    const db = new StateDB(EMPTY_TRIE_ROOT, new MemoryNodeStore());
    expect(db.getAccount(addr(1))).toEqual(emptyAccount());
  });

  it('deletes accounts that become empty', () => {
    const store = new MemoryNodeStore();
    const db = new StateDB(EMPTY_TRIE_ROOT, store);
    db.putAccount(addr(1), { ...emptyAccount() });
    expect(db.commit().root).toEqual(EMPTY_TRIE_ROOT);

    db.putAccount(addr(1), { ...emptyAccount(), balance: 5n });
    const one = db.commit().root;
    db.putAccount(addr(2), { ...emptyAccount(), locked: 7n });
    persist(store, db.commit().nodes);
    db.putAccount(addr(2), { ...db.getAccount(addr(2)), locked: 0n });
    expect(db.commit().root).toEqual(one);
    db.putAccount(addr(1), { ...db.getAccount(addr(1)), balance: 0n });
    expect(db.commit().root).toEqual(EMPTY_TRIE_ROOT);
  });

  it('matches an account trie built by @ethereumjs/mpt (keys keccak256(address))', async () => {
    const db = new StateDB(EMPTY_TRIE_ROOT, new MemoryNodeStore());
    const oracle = await createMPT();
    for (let i = 1; i <= 50; i++) {
      const a = {
        ...emptyAccount(),
        nonce: BigInt(i),
        balance: BigInt(i) * 10n ** 18n,
        locked: BigInt(i % 3),
      };
      db.putAccount(addr(i), a);
      await oracle.put(keccak256(addr(i)), encodeAccount(a));
    }
    expect(toHex(db.commit().root)).toBe(toHex(oracle.root()));
  });

  it('returns copies: mutating a returned account changes nothing', () => {
    const db = new StateDB(EMPTY_TRIE_ROOT, new MemoryNodeStore());
    db.putAccount(addr(1), { ...emptyAccount(), balance: 5n });
    const a = db.getAccount(addr(1));
    a.balance = 99n;
    expect(db.getAccount(addr(1)).balance).toBe(5n);
  });

  it('keeps code and storage when a stale copy of the account is written back', () => {
    const db = new StateDB(EMPTY_TRIE_ROOT, new MemoryNodeStore());
    const stale = db.getAccount(addr(1));
    db.putCode(addr(1), utf8('code'));
    db.putAccount(addr(1), { ...stale, balance: 1n });
    expect(db.getAccount(addr(1)).codeHash).toEqual(keccak256(utf8('code')));
    db.putStorage(addr(1), slot(1), Uint8Array.of(1));
    db.commit();
    const withStorage = db.getAccount(addr(1));
    db.putAccount(addr(1), {
      ...withStorage,
      storageRoot: EMPTY_TRIE_ROOT,
      codeHash: EMPTY_CODE_HASH,
    });
    expect(db.getAccount(addr(1))).toEqual({ ...withStorage });
  });

  it('rejects bad addresses and out-of-range fields', () => {
    const db = new StateDB(EMPTY_TRIE_ROOT, new MemoryNodeStore());
    const err = (f: () => unknown): unknown => {
      try {
        f();
      } catch (e) {
        return e;
      }
      return undefined;
    };
    const e1 = err(() => db.getAccount(new Uint8Array(19)));
    expect(e1).toBeInstanceOf(StateError);
    expect((e1 as StateError).code).toBe('BAD_ADDRESS');
    const e2 = err(() => db.putStorage(addr(1), new Uint8Array(20), Uint8Array.of(1)));
    expect((e2 as StateError).code).toBe('BAD_STORAGE_KEY');
    expect(() => db.putAccount(addr(1), { ...emptyAccount(), balance: -1n })).toThrow(
      AccountRangeError,
    );
    expect(db.touched()).toEqual([]);
  });
});

describe('StateDB: inheriting the accounts of a committed state', () => {
  /** A node store that counts its reads. */
  function counting(store: MemoryNodeStore): TrieNodeStore & { reads: number } {
    const c = { reads: 0, get: (h: Uint8Array) => (c.reads++, store.get(h)) };
    return c;
  }

  it('reads as a fresh state would, without the trie, and its own changes stay its own', () => {
    fc.assert(
      fc.property(opsArb, opsArb, opsArb, (before, block, next) => {
        const store = new MemoryNodeStore();
        const root0 = rootOf(before, store);
        // The head's execution: a block applied and committed, then read for a while.
        const view = new StateDB(root0, store, null);
        for (const op of block) apply(view, op);
        const c = view.commit();
        persist(store, c.nodes);
        const all = [...before, ...block];
        expectState(view, all);
        const reads = counting(store);
        const child = new StateDB(c.root, reads, null).inheritAccounts(view);
        expect(child.getAccount(addr(0))).toEqual(view.getAccount(addr(0)));
        expect(reads.reads).toBe(0); // the account came from the view
        // The next block, on the child: the view still reads the head's state.
        for (const op of next) apply(child, op);
        const c2 = child.commit();
        persist(store, c2.nodes);
        // A grandchild finds the accounts the view read and the child did not touch in the
        // view's map, and the child's changes in the child's.
        const reads2 = counting(store);
        const grandchild = new StateDB(c2.root, reads2, null).inheritAccounts(child);
        for (let a = 0; a < 8; a++) grandchild.getAccount(addr(a));
        expect(reads2.reads).toBe(0);
        expectState(grandchild, [...all, ...next]);
        expectState(view, all);
        expectState(child, [...all, ...next]);
        expect(toHex(c2.root)).toBe(toHex(rootOf([...all, ...next])));
      }),
      { numRuns: 100 },
    );
  });

  it('does not carry on a view that read more than 65,536 accounts (a flood of reads)', () => {
    const store = new MemoryNodeStore();
    const root = rootOf([{ t: 'acct', a: 1, nonce: 1n, balance: 5n, locked: 0n }], store);
    const view = new StateDB(root, store, null);
    view.getAccount(addr(1));
    const reads = counting(store);
    expect(new StateDB(root, reads, null).inheritAccounts(view).getAccount(addr(1)).nonce).toBe(1n);
    expect(reads.reads).toBe(0);
    for (let i = 0; i < 65_536; i++) view.getAccount(addr(1_000 + i));
    expect(new StateDB(root, reads, null).inheritAccounts(view).getAccount(addr(1)).nonce).toBe(1n);
    expect(reads.reads).toBeGreaterThan(0);
  });

  it('is ignored for a view at another root or with changes pending', () => {
    const store = new MemoryNodeStore();
    const root = rootOf([{ t: 'acct', a: 1, nonce: 1n, balance: 5n, locked: 0n }], store);
    const pending = new StateDB(root, store);
    pending.putAccount(addr(1), { ...pending.getAccount(addr(1)), balance: 99n });
    expect(new StateDB(root, store).inheritAccounts(pending).getAccount(addr(1)).balance).toBe(5n);
    const elsewhere = new StateDB(EMPTY_TRIE_ROOT, store);
    elsewhere.getAccount(addr(1));
    expect(new StateDB(root, store).inheritAccounts(elsewhere).getAccount(addr(1)).balance).toBe(
      5n,
    );
  });
});

describe('StateDB: storage and code', () => {
  it('storage root follows storage, and clearing it restores the earlier root', () => {
    const store = new MemoryNodeStore();
    const db = new StateDB(EMPTY_TRIE_ROOT, store);
    db.putAccount(addr(1), { ...emptyAccount(), balance: 1n });
    const base = db.commit().root;
    db.putStorage(addr(1), slot(1), Uint8Array.of(0x2a));
    const r1 = db.commit().root;
    const s1 = db.getAccount(addr(1)).storageRoot;
    expect(s1).not.toEqual(EMPTY_TRIE_ROOT);
    db.putStorage(addr(1), slot(2), Uint8Array.of(0x2b));
    db.commit();
    const s2 = db.getAccount(addr(1)).storageRoot;
    expect(s2).not.toEqual(s1);
    db.putStorage(addr(1), slot(2), new Uint8Array(0));
    expect(db.commit().root).toEqual(r1);
    expect(db.getAccount(addr(1)).storageRoot).toEqual(s1);
    db.putStorage(addr(1), slot(1), new Uint8Array(0));
    expect(db.commit().root).toEqual(base);
    expect(db.getAccount(addr(1)).storageRoot).toEqual(EMPTY_TRIE_ROOT);
  });

  it('stores slots as Ethereum does: keccak256(slot) → rlp(value), any value length', async () => {
    const db = new StateDB(EMPTY_TRIE_ROOT, new MemoryNodeStore());
    const oracle = await createMPT();
    const long = new Uint8Array(100).fill(7); // a system-contract record longer than a word
    const values = [Uint8Array.of(1), fromHex('0x0100'), long, new Uint8Array(32).fill(0xff)];
    for (let k = 0; k < values.length; k++) {
      db.putStorage(addr(3), slot(k), values[k]!);
      await oracle.put(keccak256(slot(k)), rlpEncode(values[k]!));
    }
    db.commit();
    expect(toHex(db.getAccount(addr(3)).storageRoot)).toBe(toHex(oracle.root()));
    expect(db.getStorage(addr(3), slot(2))).toEqual(long);
    expect(db.getStorage(addr(3), slot(9))).toEqual(new Uint8Array(0));
  });

  it('persists code under its hash and reads it back after reopening', () => {
    const store = new MemoryNodeStore();
    const db = new StateDB(EMPTY_TRIE_ROOT, store);
    const code = fromHex('0x6001600101');
    db.putCode(addr(1), code);
    db.putCode(addr(2), code);
    expect(db.getCode(addr(1))).toEqual(code);
    const c = db.commit();
    const codeNodes = c.nodes.filter(([h]) => toHex(h) === toHex(keccak256(code)));
    expect(codeNodes).toEqual([[keccak256(code), code]]);
    persist(store, c.nodes);
    expect(new StateDB(c.root, store).getCode(addr(2))).toEqual(code);
  });

  it('throws MissingNodeError for code that is not stored', () => {
    const store = new MemoryNodeStore();
    const db = new StateDB(EMPTY_TRIE_ROOT, store);
    db.putCode(addr(1), utf8('code'));
    const c = db.commit();
    for (const [h, b] of c.nodes) if (toHex(h) !== toHex(keccak256(utf8('code')))) store.put(h, b);
    expect(() => new StateDB(c.root, store).getCode(addr(1))).toThrow(MissingNodeError);
  });
});

describe('StateDB: order, journal and persistence', () => {
  it('same changes in any order, over several commits, give the same root', () => {
    fc.assert(
      fc.property(
        opsArb,
        fc.infiniteStream(fc.nat()),
        fc.array(fc.nat(60), { maxLength: 4 }),
        (ops, seeds, cuts) => {
          const expected = rootOf(ops);
          const changes = finalOps(ops);
          const it = seeds[Symbol.iterator]();
          for (let i = changes.length - 1; i > 0; i--) {
            const j = it.next().value! % (i + 1);
            [changes[i], changes[j]] = [changes[j]!, changes[i]!];
          }
          const store = new MemoryNodeStore();
          let db = new StateDB(EMPTY_TRIE_ROOT, store);
          changes.forEach((op, i) => {
            apply(db, op);
            if (cuts.includes(i)) {
              const c = db.commit();
              persist(store, c.nodes);
              db = new StateDB(c.root, store);
            }
          });
          expect(toHex(db.commit().root)).toBe(toHex(expected));
        },
      ),
      { numRuns: 150 },
    );
  });

  it('revert restores exactly; nested checkpoints merge into the outer one', () => {
    fc.assert(
      fc.property(opsArb, opsArb, opsArb, fc.boolean(), (base, inner, innermost, keepInnermost) => {
        const store = new MemoryNodeStore();
        const committedBase = rootOf(base.slice(0, base.length >> 1), store);
        const db = new StateDB(committedBase, store);
        const rest = base.slice(base.length >> 1);
        for (const op of rest) apply(db, op);
        const touchedBefore = db.touched();

        db.checkpoint();
        for (const op of inner) apply(db, op);
        db.checkpoint();
        for (const op of innermost) apply(db, op);
        if (keepInnermost) db.commitCheckpoint();
        else db.revert();
        // Inside the outer checkpoint: what is kept is visible.
        expectState(db, [...base, ...inner, ...(keepInnermost ? innermost : [])]);
        db.revert();
        expect(db.touched()).toEqual(touchedBefore);
        expectState(db, base);
        expect(toHex(db.commit().root)).toBe(toHex(rootOf(base)));
      }),
      { numRuns: 100 },
    );
  });

  it('a committed inner checkpoint survives when the outer one is committed', () => {
    fc.assert(
      fc.property(opsArb, opsArb, (a, b) => {
        const db = new StateDB(EMPTY_TRIE_ROOT, new MemoryNodeStore());
        db.checkpoint();
        for (const op of a) apply(db, op);
        db.checkpoint();
        for (const op of b) apply(db, op);
        db.commitCheckpoint();
        db.commitCheckpoint();
        expect(toHex(db.commit().root)).toBe(toHex(rootOf([...a, ...b])));
      }),
      { numRuns: 50 },
    );
  });

  it('refuses revert without a checkpoint and commit with one open', () => {
    const db = new StateDB(EMPTY_TRIE_ROOT, new MemoryNodeStore());
    expect(() => db.revert()).toThrow(StateError);
    expect(() => db.commitCheckpoint()).toThrow(StateError);
    db.checkpoint();
    let code: string | undefined;
    try {
      db.commit();
    } catch (e) {
      code = (e as StateError).code;
    }
    expect(code).toBe('OPEN_CHECKPOINT');
    db.commitCheckpoint();
    expect(db.commit().root).toEqual(EMPTY_TRIE_ROOT);
  });

  it('a StateDB reopened at a committed root over the persisted nodes sees the same state', () => {
    fc.assert(
      fc.property(opsArb, opsArb, (first, second) => {
        const store = new MemoryNodeStore();
        const db = new StateDB(EMPTY_TRIE_ROOT, store);
        for (const op of first) apply(db, op);
        persist(store, db.commit().nodes);
        for (const op of second) apply(db, op);
        const c = db.commit();
        persist(store, c.nodes);
        expect(db.root).toEqual(c.root);
        expectState(db, [...first, ...second]);
        // Only the persisted nodes are visible to the reopened state.
        const strict: TrieNodeStore = { get: (h) => store.get(h) };
        expectState(new StateDB(c.root, strict), [...first, ...second]);
      }),
      { numRuns: 100 },
    );
  });

  it('lists touched addresses in byte order', () => {
    const db = new StateDB(EMPTY_TRIE_ROOT, new MemoryNodeStore());
    db.putStorage(addr(5), slot(1), Uint8Array.of(1));
    db.putAccount(addr(2), { ...emptyAccount(), balance: 1n });
    db.putCode(addr(9), Uint8Array.of(1));
    db.putAccount(addr(5), { ...emptyAccount(), balance: 1n });
    expect(db.touched()).toEqual([addr(2), addr(5), addr(9)]);
    db.commit();
    expect(db.touched()).toEqual([]);
  });
});
