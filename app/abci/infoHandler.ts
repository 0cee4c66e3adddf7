import type { DeepPartial } from 'cosmjs-types/helpers'
import type { RequestInfo, RequestQuery, ResponseInfo, ResponseQuery } from 'cosmjs-types/tendermint/abci/types'
import type { PipeApp } from '../pipeApp.ts'
import type { InfoConnection } from './connections.ts'

export const APP_VERSION = 1n

/**
 * The info connection: Info tells CometBFT where the app stands after a restart (the handshake
 * then replays the missing blocks); Query answers ABCI queries (app.queries routes them).
 */
export class InfoHandler implements InfoConnection {
  constructor(private readonly app: PipeApp) {}

  async info(_req: RequestInfo): Promise<DeepPartial<ResponseInfo>> {
    const { height, appHash } = this.app.lastCommit
    return { data: 'pipe', version: '0.1.0', appVersion: APP_VERSION, lastBlockHeight: height, lastBlockAppHash: appHash }
  }

  async query(req: RequestQuery): Promise<DeepPartial<ResponseQuery>> {
    return this.app.queries.query(req)
  }
}
