import { type AppError, toAppError } from '../errors.ts'
import type { EthTx } from '../modules/evm/ethTx.ts'
import type { EvmMempool } from '../modules/evm/mempool.ts'
import { type CosmosTx, looksLikeTxRaw } from '../modules/tx/cosmosTx.ts'
import type { CosmosTxDecoder } from '../modules/tx/txDecoder.ts'

/** A block tx, decoded: Ethereum or Cosmos (the inference results tx is handled apart). */
export type BlockTx = EthTx | CosmosTx

export function isEthTx(tx: BlockTx): tx is EthTx {
  return tx.kind === 'ethereum'
}

/**
 * Decodes the user txs of blocks (PrepareProposal, ProcessProposal, FinalizeBlock): each kind
 * by its module, with the stateless checks every validator makes alike.
 */
export class BlockTxDecoder {
  constructor(
    private readonly evm: EvmMempool,
    private readonly cosmos: CosmosTxDecoder,
  ) {}

  /** The decoded tx, or why it is invalid. */
  decode(raw: Uint8Array): BlockTx | AppError {
    if (!looksLikeTxRaw(raw)) return this.evm.decodeForBlock(raw)
    try {
      return this.cosmos.decode(raw)
    } catch (err) {
      return toAppError(err)
    }
  }
}
