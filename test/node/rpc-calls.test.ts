/**
 * The node's JSON-RPC answers for calls that no block could execute as asked: value sent to a system account reverts in eth_call and
 * eth_estimateGas as it would in a block, and is refused by eth_sendRawTransaction.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toChecksumAddress } from '../../src/crypto/address.js';
import { toHex } from '../../src/crypto/bytes.js';
import { DAO_TREASURY, VOTER_BONUS_POOL } from '../../src/primitives/system-addresses.js';
import { Node } from '../../src/node/node.js';
import { NodeRpcBackend } from '../../src/node/rpc-backend.js';
import { RpcError } from '../../src/rpc/backend.js';
import { RpcHandler } from '../../src/rpc/handler.js';
import { GENESIS, NOW_MS, USER_KEYS, USERS } from '../chain/helpers.js';
import { signTx } from '../execution/helpers.js';

let dir: string;
let node: Node;
let handler: RpcHandler;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'etm-rpc-calls-'));
  node = new Node({ datadir: dir, genesis: GENESIS, validatorKey: null, now: () => NOW_MS });
  handler = new RpcHandler({ backend: new NodeRpcBackend(node) });
});
afterAll(async () => {
  await node.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function error(method: string, params: unknown[]): Promise<RpcError> {
  try {
    await handler.call(method, params);
  } catch (e) {
    if (e instanceof RpcError) return e;
    throw e;
  }
  throw new Error(`${method} succeeded`);
}

const user = toHex(USERS[0]!);

describe('calls no block could run as asked', () => {
  it('eth_call without "to" runs the data as initcode and returns what it returns', async () => {
    expect(await handler.call('eth_call', [{}])).toBe('0x');
    // PUSH1 0x2a PUSH1 0 MSTORE8 PUSH1 1 PUSH1 0 RETURN: returns the byte 0x2a.
    expect(await handler.call('eth_call', [{ from: user, data: '0x602a5f5360015ff3' }])).toBe(
      '0x2a',
    );
    // 21,000 + 32,000 for a creation, 2 for the initcode's word.
    expect(await handler.call('eth_estimateGas', [{ from: user }])).toBe('0xcf08');
    // With a recipient, a call to an account without code still returns empty data.
    expect(await handler.call('eth_call', [{ to: user }])).toBe('0x');
  });

  it('value to a system account reverts in eth_call and eth_estimateGas', async () => {
    for (const method of ['eth_call', 'eth_estimateGas']) {
      const e = await error(method, [{ from: user, to: toHex(DAO_TREASURY), value: '0x1' }]);
      expect(e.code).toBe(3);
      expect(e.message).toBe(
        `execution reverted: system account ${toChecksumAddress(DAO_TREASURY)} does not accept value: send it with value 0`,
      );
    }
    expect(await handler.call('eth_estimateGas', [{ from: user, to: toHex(DAO_TREASURY) }])).toBe(
      '0x5208',
    );
  });

  it('eth_sendRawTransaction refuses value to a system account with a clear error', async () => {
    const raw = signTx(2, { to: VOTER_BONUS_POOL, value: 10n ** 18n }, { key: USER_KEYS[0]! }).raw;
    const e = await error('eth_sendRawTransaction', [toHex(raw)]);
    expect(e).toMatchObject({
      code: -32000,
      message: `system account ${toChecksumAddress(VOTER_BONUS_POOL)} does not accept value: send it with value 0`,
      data: { code: 'value-to-system-account' },
    });
    expect(node.mempool.size).toBe(0);
  });
});
