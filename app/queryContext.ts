import type { EvmAccounts } from './modules/bank/expectedKeepers.ts'
import { invalidArgument } from './queryError.ts'

/** What a query handler runs against: committed state at one height. */
export interface QueryContext {
  /** The height answered (the latest committed one when the request gave 0). */
  height: bigint
  /** EVM accounts at that height (balances, nonces). */
  accounts(): Promise<EvmAccounts>
  /** Time of the committed block at that height, seconds. */
  blockTime(): Promise<bigint>
}

/**
 * One gRPC query method served over ABCI Query (and gRPC): protobuf request bytes in,
 * protobuf response bytes out; failures are QueryErrors (app/queryError.ts).
 */
export interface QueryMethod {
  /** Full method path, e.g. `/cosmos.bank.v1beta1.Query/Balance`. */
  path: string
  handle(request: Uint8Array, ctx: QueryContext): Promise<Uint8Array>
}

/**
 * A query method from a request and response codec.
 * @example queryMethod('/cosmos.bank.v1beta1.Query/Balance', QueryBalanceRequest, QueryBalanceResponse, async (req, ctx) => …)
 */
export function queryMethod<Req, Res>(
  path: string,
  request: { decode(bytes: Uint8Array): Req },
  response: { encode(message: Res): { finish(): Uint8Array } },
  handle: (req: Req, ctx: QueryContext) => Promise<Res>,
): QueryMethod {
  return {
    path,
    async handle(bytes, ctx) {
      let req: Req
      try {
        req = request.decode(bytes)
      } catch (err) {
        throw invalidArgument(`request does not decode: ${(err as Error).message}`)
      }
      return response.encode(await handle(req, ctx)).finish()
    },
  }
}
