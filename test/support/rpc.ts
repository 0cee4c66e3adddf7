/** A raw JSON-RPC call (no client library), for asserting exact error codes and messages. */
export interface RawRpcResponse {
  result?: unknown
  error?: { code: number; message: string; data?: unknown }
}

export async function rawRpc(url: string, method: string, params: unknown[] = []): Promise<RawRpcResponse> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  })
  return (await res.json()) as RawRpcResponse
}

/** Polls `fn` until it returns a value other than undefined/null, or fails after `timeoutMs`. */
export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | null>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await fn()
    if (v !== undefined && v !== null) return v
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}
