import type { DeepPartial } from 'cosmjs-types/helpers'
import type { RequestQuery, ResponseQuery } from 'cosmjs-types/tendermint/abci/types'
import { register, toAppError } from '../errors.ts'
import type { EvmAccounts } from '../modules/bank/expectedKeepers.ts'
import type { QueryContext, QueryMethod } from '../queryContext.ts'
import { invalidArgument } from '../queryError.ts'

export const ErrUnknownQuery = register('pipe', 2, 'unknown query path')

/** Where a query reads committed state. */
export interface QueryState {
  latestHeight(): bigint
  /** EVM accounts at a committed height, undefined if there is no such block. */
  accountsAt(height: bigint): Promise<EvmAccounts | undefined>
  /** Time of the committed block at `height`, seconds (undefined: no such block). */
  blockTimeAt(height: bigint): Promise<bigint | undefined>
}

/**
 * ABCI Query: routes a gRPC method path (`/cosmos.bank.v1beta1.Query/Balance`) to the module
 * that serves it, at the height asked (0: the latest committed one) and always answers that
 * height, which @cosmjs/stargate requires. Errors come back as the SDK sends them (code,
 * codespace, `rpc error: code = … desc = …` log).
 */
export class QueryRouter {
  private readonly methods: ReadonlyMap<string, QueryMethod>

  constructor(
    methods: QueryMethod[],
    private readonly state: QueryState,
  ) {
    this.methods = new Map(methods.map((m) => [m.path, m]))
  }

  /** The paths served, sorted (for docs and error messages). */
  paths(): string[] {
    return [...this.methods.keys()].sort()
  }

  /** ABCI Query: the answer or the failure as an ABCI result, always at the height answered. */
  async query(req: RequestQuery): Promise<DeepPartial<ResponseQuery>> {
    const height = req.height === 0n ? this.state.latestHeight() : req.height
    try {
      return { code: 0, ...(await this.run(req.path, req.data, req.height)) }
    } catch (err) {
      const e = toAppError(err)
      return { code: e.code, codespace: e.codespace, log: e.message, height }
    }
  }

  /**
   * Runs the query method at `path` on committed state at `height` (0: the latest committed
   * one). The one way into a query, for ABCI Query and gRPC alike.
   * @throws an AppError: ErrUnknownQuery, a QueryError, or whatever the method throws
   */
  async run(path: string, data: Uint8Array, requested: bigint): Promise<{ value: Uint8Array; height: bigint }> {
    const latest = this.state.latestHeight()
    const height = requested === 0n ? latest : requested
    const method = this.methods.get(path)
    if (!method) throw ErrUnknownQuery.with(`${path}; served: ${this.paths().join(', ')}`)
    if (height > latest)
      throw invalidArgument(`cannot query with height in the future (${height}, latest is ${latest}); please provide a valid height`)
    if (height < 0n) throw invalidArgument(`height ${height} is negative`)
    let accounts: Promise<EvmAccounts> | undefined
    const ctx: QueryContext = {
      height,
      accounts: () =>
        (accounts ??= this.state.accountsAt(height).then((a) => {
          if (!a) throw invalidArgument(`no state at height ${height}`)
          return a
        })),
      blockTime: async () => {
        const t = await this.state.blockTimeAt(height)
        if (t === undefined) throw invalidArgument(`no block at height ${height}`)
        return t
      },
    }
    return { value: await method.handle(data, ctx), height }
  }
}
