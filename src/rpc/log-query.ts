/**
 * A log query over a range of committed blocks (eth_getLogs, and the log filters' polls): the
 * blocks are scanned in time slices shared with every other request, so that consensus never
 * waits long behind a query, and the reply is built as logs are found.
 */
import { RpcError, RpcErrorCode, type RpcBackend } from './backend.js';
import { formatLog, RawJson } from './format.js';
import type { LogMatcher } from './log-filter.js';
import type { WorkScheduler } from './work.js';

export interface LogQueryLimits {
  /** Most blocks one query may span. */
  maxLogBlockRange: bigint;
  /** Most logs one query may return. */
  maxLogResults: number;
  /** Longest one query may take, its waits for time slices included. */
  logQueryTimeoutMs: number;
  scheduler: WorkScheduler;
}

/** The logs of blocks `fromBlock` … `toBlock` (committed, in order) that `matcher` passes. */
export async function queryLogs(
  backend: RpcBackend,
  limits: LogQueryLimits,
  matcher: LogMatcher,
  fromBlock: bigint,
  toBlock: bigint,
): Promise<RawJson> {
  const span = toBlock - fromBlock + 1n;
  if (span > limits.maxLogBlockRange) {
    throw new RpcError(
      RpcErrorCode.LimitExceeded,
      `query exceeds max block range ${limits.maxLogBlockRange}`,
    );
  }
  const task = limits.scheduler.task();
  const parts: string[] = [];
  for (let n = fromBlock; n <= toBlock; n++) {
    if (task.due) {
      if (task.elapsedMs > limits.logQueryTimeoutMs) {
        throw new RpcError(
          RpcErrorCode.LimitExceeded,
          `query timeout exceeded: scanned ${n - fromBlock} of ${span} blocks in ${limits.logQueryTimeoutMs} ms; narrow the block range or the filter`,
        );
      }
      await task.next();
    }
    const logs = backend.blockLogs(n, matcher);
    if (logs === null) break;
    if (parts.length + logs.length > limits.maxLogResults) {
      throw new RpcError(
        RpcErrorCode.LimitExceeded,
        `query returned more than ${limits.maxLogResults} results; narrow the block range or the filter`,
      );
    }
    for (const log of logs) parts.push(JSON.stringify(formatLog(log)));
  }
  return new RawJson(`[${parts.join(',')}]`);
}
