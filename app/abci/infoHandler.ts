import type { RequestInfo, RequestQuery, ResponseInfo, ResponseQuery } from 'cosmjs-types/tendermint/abci/types'
import type { DeepPartial } from 'cosmjs-types/helpers'
import type { InfoConnection } from './application.ts'
import type { PipeApp } from '../app.ts'
import { register } from '../errors.ts'

export const APP_VERSION = 1n
export const ErrUnknownQuery = register('pipe', 2, 'unknown query path')

/**
 * The info connection: Info tells CometBFT where the app stands after a restart (the handshake
 * then replays the missing blocks); Query answers ABCI queries.
 */
export class InfoHandler implements InfoConnection {
  constructor(private readonly app: PipeApp) {}

  async info(_req: RequestInfo): Promise<DeepPartial<ResponseInfo>> {
    const { height, appHash } = this.app.lastCommit
    return { data: 'pipe', version: '0.1.0', appVersion: APP_VERSION, lastBlockHeight: height, lastBlockAppHash: appHash }
  }

  async query(req: RequestQuery): Promise<DeepPartial<ResponseQuery>> {
    const e = ErrUnknownQuery.with(req.path)
    return { code: e.code, codespace: e.codespace, log: e.message, height: this.app.lastCommit.height }
  }
}
