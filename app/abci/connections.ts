import type { DeepPartial } from 'cosmjs-types/helpers'
import type {
  RequestApplySnapshotChunk,
  RequestCheckTx,
  RequestExtendVote,
  RequestFinalizeBlock,
  RequestInfo,
  RequestInitChain,
  RequestLoadSnapshotChunk,
  RequestOfferSnapshot,
  RequestPrepareProposal,
  RequestProcessProposal,
  RequestQuery,
  RequestVerifyVoteExtension,
  ResponseApplySnapshotChunk,
  ResponseCheckTx,
  ResponseCommit,
  ResponseExtendVote,
  ResponseFinalizeBlock,
  ResponseInfo,
  ResponseInitChain,
  ResponseListSnapshots,
  ResponseLoadSnapshotChunk,
  ResponseOfferSnapshot,
  ResponsePrepareProposal,
  ResponseProcessProposal,
  ResponseQuery,
  ResponseVerifyVoteExtension,
} from 'cosmjs-types/tendermint/abci/types'

/**
 * An ABCI 2.0 application, grouped by the CometBFT connection that calls it
 * (https://github.com/cometbft/cometbft/blob/v0.38.x/spec/abci/abci++_basic_concepts.md).
 * Handlers return partial responses; the server fills protobuf defaults.
 */
export interface InfoConnection {
  info(req: RequestInfo): Promise<DeepPartial<ResponseInfo>>
  query(req: RequestQuery): Promise<DeepPartial<ResponseQuery>>
}

export interface MempoolConnection {
  checkTx(req: RequestCheckTx): Promise<DeepPartial<ResponseCheckTx>>
  /**
   * Optional: called as soon as a CheckTx request is read, before earlier requests of the
   * connection are answered, to start work that may overlap (sender recovery). Must not change
   * anything CheckTx decides on.
   */
  prefetchCheckTx?(req: RequestCheckTx): void
}

/** Consensus calls: the server runs them strictly one at a time, in arrival order. */
export interface ConsensusConnection {
  initChain(req: RequestInitChain): Promise<DeepPartial<ResponseInitChain>>
  prepareProposal(req: RequestPrepareProposal): Promise<DeepPartial<ResponsePrepareProposal>>
  processProposal(req: RequestProcessProposal): Promise<DeepPartial<ResponseProcessProposal>>
  extendVote(req: RequestExtendVote): Promise<DeepPartial<ResponseExtendVote>>
  verifyVoteExtension(req: RequestVerifyVoteExtension): Promise<DeepPartial<ResponseVerifyVoteExtension>>
  finalizeBlock(req: RequestFinalizeBlock): Promise<DeepPartial<ResponseFinalizeBlock>>
  commit(): Promise<DeepPartial<ResponseCommit>>
}

export interface SnapshotConnection {
  listSnapshots(): Promise<DeepPartial<ResponseListSnapshots>>
  offerSnapshot(req: RequestOfferSnapshot): Promise<DeepPartial<ResponseOfferSnapshot>>
  loadSnapshotChunk(req: RequestLoadSnapshotChunk): Promise<DeepPartial<ResponseLoadSnapshotChunk>>
  applySnapshotChunk(req: RequestApplySnapshotChunk): Promise<DeepPartial<ResponseApplySnapshotChunk>>
}

export interface AbciApplication extends InfoConnection, MempoolConnection, ConsensusConnection, SnapshotConnection {}
