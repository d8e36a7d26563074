/**
 * The shared value types of the protocol. Byte strings stay Uint8Array; the alias names what a
 * value is (its length is checked where it is decoded).
 */

/** A 20-byte account address: an externally owned account, a validator key or a system account. */
export type Address = Uint8Array;

/** The address of no account (0x00…00): the sender of a call nobody signed. Never mutate it. */
export const ZERO_ADDRESS: Address = new Uint8Array(20);

/** A 32-byte keccak-256 hash (a block hash, a state root, a digest consensus agrees on). */
export type Hash = Uint8Array;
