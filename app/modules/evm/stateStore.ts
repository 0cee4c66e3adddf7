import type { Common } from '@ethereumjs/common'
import { createMPT } from '@ethereumjs/mpt'
import { Caches, MerkleStateManager } from '@ethereumjs/statemanager'
import { ValueEncoding } from '@ethereumjs/util'
import type { KvStore } from '../../store/kvStore.ts'
import { TrieNodeStore } from '../../store/trieNodeStore.ts'
import { TRIE_NODE_PREFIX } from './keys.ts'
import { RecordingStateManager } from './recordingStateManager.ts'

/**
 * EVM world state: a secure Merkle-Patricia trie (keys hashed, as Ethereum does) over the
 * module's trie-node store. Any committed state root can be opened, so queries at historical
 * blocks need no archive mode.
 */
export class StateStore {
  readonly nodes: TrieNodeStore

  constructor(
    kv: KvStore,
    private readonly common: Common,
  ) {
    this.nodes = new TrieNodeStore(kv, TRIE_NODE_PREFIX)
  }

  /**
   * A state manager at `root`. `caches: true` keeps account/storage/code caches, which makes
   * repeated access cheap and — with one checkpoint around a block — writes the trie once per
   * block instead of once per tx.
   */
  async at(root: Uint8Array | undefined, opts: { caches?: boolean } = {}): Promise<MerkleStateManager> {
    return new MerkleStateManager({ trie: await this.trie(root), common: this.common, caches: opts.caches ? new Caches() : undefined })
  }

  /**
   * A state manager at `root`, with caches, that records what its users write (and read, when
   * turned on): the block's working state and the mempool's simulation state.
   */
  async recordingAt(root: Uint8Array | undefined): Promise<RecordingStateManager> {
    return new RecordingStateManager({ trie: await this.trie(root), common: this.common, caches: new Caches() })
  }

  private trie(root: Uint8Array | undefined): ReturnType<typeof createMPT> {
    return createMPT({ db: this.nodes, root, useKeyHashing: true, valueEncoding: ValueEncoding.Bytes, common: this.common })
  }
}
