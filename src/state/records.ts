/**
 * Records of a system module in the storage of a system account, so that they are part of the
 * state root like any contract's storage. Each record is one storage value, RLP-encoded, under
 * `keccak256(RLP [tag, …key parts])`; the tags of one account are disjoint between the stores
 * that share it.
 */
import { asList, rlpDecode, rlpEncode, type RlpItem } from '../codec/rlp.js';
import {
  rlpBytesLength,
  rlpListHeaderLength,
  rlpUintLength,
  writeRlpBytes,
  writeRlpListHeader,
  writeRlpUint,
} from '../codec/rlp-writer.js';
import { keccak256 } from '../crypto/keccak.js';
import type { Address } from '../primitives/types.js';
import type { StateDB } from './state-db.js';

const enc = (x: string) => new TextEncoder().encode(x);

/** RLP of each record tag, encoded once. */
const TAG_RLP = new Map<string, Uint8Array>();

/**
 * The storage slot of a record: keccak256(RLP [tag, …key parts]), written straight into one
 * buffer (the same bytes as rlpEncode; every staking operation computes several).
 */
export function slot(tag: string, ...parts: (Uint8Array | bigint)[]): Uint8Array {
  let tagRlp = TAG_RLP.get(tag);
  if (tagRlp === undefined) {
    tagRlp = rlpEncode(enc(tag));
    TAG_RLP.set(tag, tagRlp);
  }
  let payload = tagRlp.length;
  for (const p of parts) payload += typeof p === 'bigint' ? rlpUintLength(p) : rlpBytesLength(p);
  const out = new Uint8Array(rlpListHeaderLength(payload) + payload);
  let pos = writeRlpListHeader(out, 0, payload);
  out.set(tagRlp, pos);
  pos += tagRlp.length;
  for (const p of parts)
    pos = typeof p === 'bigint' ? writeRlpUint(out, pos, p) : writeRlpBytes(out, pos, p);
  return keccak256(out);
}

/** Typed records of one system account; subclasses own a set of tags. */
export abstract class RecordStore {
  constructor(
    protected readonly state: StateDB,
    protected readonly account: Address,
  ) {}

  protected read(key: Uint8Array): Uint8Array | null {
    const v = this.state.getStorage(this.account, key);
    return v.length === 0 ? null : v;
  }

  /** Writes a record; null (or an empty value) deletes it. */
  protected write(key: Uint8Array, value: Uint8Array | null): void {
    this.state.putStorage(this.account, key, value ?? new Uint8Array(0));
  }

  /** A record that is an RLP list; a missing record is the empty list. */
  protected readList(key: Uint8Array, what: string): RlpItem[] {
    const v = this.read(key);
    return v === null ? [] : asList(rlpDecode(v), what);
  }
}

/**
 * The records of one account, for a store whose records span two accounts (the staking
 * module's locks and its candidates' vote buckets).
 */
export class AccountRecords extends RecordStore {
  override read(key: Uint8Array): Uint8Array | null {
    return super.read(key);
  }

  override write(key: Uint8Array, value: Uint8Array | null): void {
    super.write(key, value);
  }

  override readList(key: Uint8Array, what: string): RlpItem[] {
    return super.readList(key, what);
  }
}
