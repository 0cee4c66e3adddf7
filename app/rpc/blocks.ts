import type { StoredBlock } from '../modules/evm/blockStore.ts'
import type { EvmKeeper } from '../modules/evm/keeper.ts'
import { RpcError, SERVER_ERROR } from './errors.ts'
import type { BlockRef } from './params.ts'

/**
 * Turns a block selector into a committed block. CometBFT blocks are final once committed, so
 * `safe`, `finalized` and `latest` are the same block; `pending` reads the latest committed
 * state too (the mempool's view is only used for nonces).
 */
export async function findBlock(evm: EvmKeeper, ref: BlockRef): Promise<StoredBlock | undefined> {
  const head = evm.head()
  if (!head) return undefined
  if ('tag' in ref) return ref.tag === 'earliest' ? evm.blocks.blockByHeight(0n) : head
  if ('number' in ref) return ref.number > head.header.number ? undefined : evm.blocks.blockByHeight(ref.number)
  return evm.blocks.blockByHash(ref.hash)
}

/** Like {@link findBlock} for state queries, where a missing block is an error (geth: "header not found"). */
export async function requireBlock(evm: EvmKeeper, ref: BlockRef): Promise<StoredBlock> {
  const block = await findBlock(evm, ref)
  if (block) return block
  if (!evm.head()) throw new RpcError(SERVER_ERROR, 'chain not started: no committed block yet')
  throw new RpcError(SERVER_ERROR, 'header not found')
}

/** Height a block selector stands for (used for filter ranges). */
export function refHeight(evm: EvmKeeper, ref: BlockRef): bigint {
  const latest = evm.head()?.header.number ?? 0n
  if ('tag' in ref) return ref.tag === 'earliest' ? 0n : latest
  if ('number' in ref) return ref.number
  throw new RpcError(SERVER_ERROR, 'a block hash cannot be used as a range bound')
}
