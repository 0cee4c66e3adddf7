import type { PipeApp } from '../pipeApp.ts'
import type { AbciApplication } from './connections.ts'
import { ConsensusHandler } from './consensusHandler.ts'
import { InfoHandler } from './infoHandler.ts'
import { MempoolHandler } from './mempoolHandler.ts'
import { SnapshotHandler } from './snapshotHandler.ts'

/** Joins the four per-connection handlers into the application the ABCI server calls. */
export function abciHandlers(app: PipeApp): AbciApplication {
  const info = new InfoHandler(app)
  const mempool = new MempoolHandler(app)
  const consensus = new ConsensusHandler(app)
  const snapshot = new SnapshotHandler()
  return {
    info: (r) => info.info(r),
    query: (r) => info.query(r),
    checkTx: (r) => mempool.checkTx(r),
    prefetchCheckTx: (r) => mempool.prefetchCheckTx(r),
    initChain: (r) => consensus.initChain(r),
    prepareProposal: (r) => consensus.prepareProposal(r),
    processProposal: (r) => consensus.processProposal(r),
    extendVote: (r) => consensus.extendVote(r),
    verifyVoteExtension: (r) => consensus.verifyVoteExtension(r),
    finalizeBlock: (r) => consensus.finalizeBlock(r),
    commit: () => consensus.commit(),
    listSnapshots: () => snapshot.listSnapshots(),
    offerSnapshot: () => snapshot.offerSnapshot(),
    loadSnapshotChunk: () => snapshot.loadSnapshotChunk(),
    applySnapshotChunk: () => snapshot.applySnapshotChunk(),
  }
}
