/** A minimal JSON-RPC client for the commands that talk to a running node. */
export class RpcCallError extends Error {
  override name = 'RpcCallError';
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

export async function rpcCall<T = unknown>(
  url: string,
  method: string,
  params: unknown[] = [],
): Promise<T> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
    });
  } catch (e) {
    throw new RpcCallError(
      -1,
      `cannot reach ${url}: ${(e as Error).cause ?? (e as Error).message}`,
    );
  }
  const body = (await res.json()) as { result?: T; error?: { code: number; message: string } };
  if (body.error) throw new RpcCallError(body.error.code, body.error.message);
  return body.result as T;
}
