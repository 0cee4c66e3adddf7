import { InferenceNode, Model } from '../../../proto/pipe/inference/v1/types.ts'
import { ChainedKeeper, ChainedStore } from '../../../store/chainedStore.ts'

import type { KvStore, WriteSet } from '../../../store/kvStore.ts'
import { MODEL_PREFIX, NODE_PREFIX, prefixed, REGISTRY_ROOT_KEY, TEE_POLICY_KEY } from '../keys.ts'
import type { AttestationPolicy } from '../verification/nitroAttestation.ts'

const enc = (s: string) => new TextEncoder().encode(s)

/** One page of a registry listing. */
export interface RegistryPage<T> {
  items: T[]
  /** The last item's key when more may follow (pass it back to get the next page). */
  nextKey: Uint8Array | undefined
}

/**
 * The on-chain registries of the inference module: models (CID → owner, allowed verification
 * modes, ZK verifying-key hash, artefacts) and inference nodes (signing key → operator, modes,
 * TEE attestation). Registrations are written once and never change; ZK and TEE verification
 * read them to know which key a result must be checked against.
 */
export class RegistryKeeper extends ChainedKeeper {
  private constructor(store: ChainedStore) {
    super(store)
  }

  static async open(kv: KvStore): Promise<RegistryKeeper> {
    return new RegistryKeeper(await ChainedStore.open(kv, REGISTRY_ROOT_KEY))
  }

  /** Stores genesis: the TEE attestation policy, when the chain has one (in the app hash). */
  initGenesis(tee: AttestationPolicy | undefined, ws: WriteSet): Uint8Array {
    if (tee) this.store.put(TEE_POLICY_KEY, encodePolicy(tee))
    return this.store.endGenesis(ws)
  }

  /** The TEE attestation policy (genesis), or undefined when the chain accepts no TEE nodes. */
  async teePolicy(): Promise<AttestationPolicy | undefined> {
    return decodePolicy(await this.store.get(TEE_POLICY_KEY))
  }

  async committedTeePolicy(): Promise<AttestationPolicy | undefined> {
    return decodePolicy(await this.store.getCommitted(TEE_POLICY_KEY))
  }

  /** The model as block execution sees it (this block's registrations included). */
  async model(cid: string): Promise<Model | undefined> {
    const bytes = await this.store.get(prefixed(MODEL_PREFIX, enc(cid)))
    return bytes ? Model.decode(bytes) : undefined
  }

  async committedModel(cid: string): Promise<Model | undefined> {
    const bytes = await this.store.getCommitted(prefixed(MODEL_PREFIX, enc(cid)))
    return bytes ? Model.decode(bytes) : undefined
  }

  async node(key: Uint8Array): Promise<InferenceNode | undefined> {
    const bytes = await this.store.get(prefixed(NODE_PREFIX, key))
    return bytes ? InferenceNode.decode(bytes) : undefined
  }

  async committedNode(key: Uint8Array): Promise<InferenceNode | undefined> {
    const bytes = await this.store.getCommitted(prefixed(NODE_PREFIX, key))
    return bytes ? InferenceNode.decode(bytes) : undefined
  }

  putModel(model: Model): void {
    this.store.put(prefixed(MODEL_PREFIX, enc(model.cid)), Model.encode(model).finish())
  }

  putNode(node: InferenceNode): void {
    this.store.put(prefixed(NODE_PREFIX, node.nodeKey), InferenceNode.encode(node).finish())
  }

  /** Committed models in CID order, after `after` (a CID), at most `limit`. */
  async models(after: Uint8Array | undefined, limit: number): Promise<RegistryPage<Model>> {
    return this.page(MODEL_PREFIX, after, limit, (b) => Model.decode(b))
  }

  /** Committed nodes in key order, after `after` (a node key), at most `limit`. */
  async nodes(after: Uint8Array | undefined, limit: number): Promise<RegistryPage<InferenceNode>> {
    return this.page(NODE_PREFIX, after, limit, (b) => InferenceNode.decode(b))
  }

  private async page<T>(
    prefix: Uint8Array,
    after: Uint8Array | undefined,
    limit: number,
    decode: (b: Uint8Array) => T,
  ): Promise<RegistryPage<T>> {
    const rows = await this.store.rangeCommitted(prefix, after && prefixed(prefix, after), limit + 1)
    const more = rows.length > limit
    const kept = more ? rows.slice(0, limit) : rows
    const last = kept.at(-1)
    return { items: kept.map(([, v]) => decode(v)), nextKey: more && last ? last[0].subarray(prefix.length) : undefined }
  }
}

function encodePolicy(p: AttestationPolicy): Uint8Array {
  const json = {
    root: Buffer.from(p.rootCertificate).toString('hex'),
    allowedPcrs: p.allowedPcrs,
    allowDebug: p.allowDebug,
    maxAgeMs: p.maxAgeMs,
  }
  return enc(JSON.stringify(json))
}

function decodePolicy(bytes: Uint8Array | undefined): AttestationPolicy | undefined {
  if (!bytes) return undefined
  const json = JSON.parse(new TextDecoder().decode(bytes)) as {
    root: string
    allowedPcrs: Record<number, string>[]
    allowDebug: boolean
    maxAgeMs: number
  }
  return {
    rootCertificate: new Uint8Array(Buffer.from(json.root, 'hex')),
    allowedPcrs: json.allowedPcrs,
    allowDebug: json.allowDebug,
    maxAgeMs: json.maxAgeMs,
  }
}
