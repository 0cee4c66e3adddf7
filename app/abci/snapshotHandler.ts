import {
  ResponseApplySnapshotChunk_Result,
  ResponseOfferSnapshot_Result,
  type ResponseApplySnapshotChunk,
  type ResponseListSnapshots,
  type ResponseLoadSnapshotChunk,
  type ResponseOfferSnapshot,
} from 'cosmjs-types/tendermint/abci/types'
import type { DeepPartial } from 'cosmjs-types/helpers'
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
