import type { DeepPartial } from 'cosmjs-types/helpers'
import {
  type ResponseApplySnapshotChunk,
  ResponseApplySnapshotChunk_Result,
  type ResponseListSnapshots,
  type ResponseLoadSnapshotChunk,
  type ResponseOfferSnapshot,
  ResponseOfferSnapshot_Result,
} from 'cosmjs-types/tendermint/abci/types'
import type { SnapshotConnection } from './connections.ts'

/** The snapshot connection: state sync is not offered yet, so there are no snapshots to serve. */
export class SnapshotHandler implements SnapshotConnection {
  async listSnapshots(): Promise<DeepPartial<ResponseListSnapshots>> {
    return { snapshots: [] }
  }
  async offerSnapshot(): Promise<DeepPartial<ResponseOfferSnapshot>> {
    return { result: ResponseOfferSnapshot_Result.REJECT }
  }
  async loadSnapshotChunk(): Promise<DeepPartial<ResponseLoadSnapshotChunk>> {
    return { chunk: new Uint8Array(0) }
  }
  async applySnapshotChunk(): Promise<DeepPartial<ResponseApplySnapshotChunk>> {
    return { result: ResponseApplySnapshotChunk_Result.REJECT_SNAPSHOT }
  }
}
