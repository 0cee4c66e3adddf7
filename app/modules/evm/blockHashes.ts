import type { EVMMockBlockchainInterface } from '@ethereumjs/evm'
import type { BlockStore } from './blockStore.ts'

/**
 * What the EVM's BLOCKHASH opcode reads: hashes of committed blocks. (Prague's EIP-2935
 * history contract is not deployed; BLOCKHASH serves the last 256 blocks as before.)
 */
export class BlockHashSource implements EVMMockBlockchainInterface {
  constructor(private readonly blocks: BlockStore) {}

  async getBlock(height: number): Promise<{ hash(): Uint8Array }> {
    const block = await this.blocks.blockByHeight(BigInt(height))
    const hash = block?.hash ?? new Uint8Array(32)
    return { hash: () => hash }
  }

  async putBlock(): Promise<void> {}

  shallowCopy(): this {
    return this
  }
}
