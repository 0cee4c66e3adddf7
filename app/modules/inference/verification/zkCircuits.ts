import { LRUCache } from 'lru-cache'
import { sha256 } from '../../../crypto.ts'
import type { Model } from '../../../proto/pipe/inference/v1/types.ts'
import { ErrZkSetup } from '../errors.ts'
import { modeName, VerificationMode } from '../types/verificationMode.ts'
import { parseCircuitLayout, type ZkCircuitLayout } from './zkCircuit.ts'

/** The artefact names a ZKML registration lists (scripts/zk/zkSetup.ts makes them). */
export const ZK_ARTEFACTS = {
  settings: 'settings',
  compiledCircuit: 'compiled_circuit',
  verifyingKey: 'verifying_key',
  provingKey: 'proving_key',
  srs: 'srs',
} as const

/** Where artefacts come from: the node's model hub (content-addressed; peers asked when missing). */
export interface ArtefactSource {
  artefact(cid: string): Promise<Uint8Array | undefined>
}

/** What ZKML verification reads of the chain: committed registrations. */
export interface ZkRegistry {
  committedModel(cid: string): Promise<Model | undefined>
}

/** What verifying a model's proofs needs, every file checked against the registration. */
export interface VerifyingCircuit {
  modelCid: string
  layout: ZkCircuitLayout
  settings: Uint8Array
  verifyingKey: Uint8Array
  verifyingKeyHash: Uint8Array
  srs: Uint8Array
}

/** …and what proving needs besides. */
export interface ProvingCircuit extends VerifyingCircuit {
  compiledCircuit: Uint8Array
  provingKey: Uint8Array
}

/**
 * The ZK circuits of registered models, loaded from the hub and checked: the verifying key must
 * hash to the registry's `zk_verifying_key_hash`, every other file to its artefact CID (the
 * hub checks CIDs). Registrations never change, so a loaded circuit is kept (LRU).
 */
export class ZkCircuits {
  private readonly verifying = new LRUCache<string, Promise<VerifyingCircuit>>({ max: 256 })
  private readonly proving = new LRUCache<string, Promise<ProvingCircuit>>({ max: 16 })

  constructor(
    private readonly registry: ZkRegistry,
    private readonly hub: ArtefactSource,
  ) {}

  /** The registration, when it allows ZKML; else ErrZkSetup saying why not. */
  async registration(modelCid: string): Promise<Model> {
    const model = await this.registry.committedModel(modelCid)
    if (!model) throw ErrZkSetup.with(`model ${modelCid} is not registered; register it with \`npx pipe model register ${modelCid} --zk\``)
    if (!model.modes.includes(VerificationMode.VERIFICATION_MODE_ZKML)) {
      throw ErrZkSetup.with(`model ${modelCid} is registered without ZKML; it allows ${model.modes.map(modeName).join(', ')}`)
    }
    return model
  }

  forVerifying(modelCid: string): Promise<VerifyingCircuit> {
    return this.cached(this.verifying, modelCid, () => this.loadVerifying(modelCid))
  }

  forProving(modelCid: string): Promise<ProvingCircuit> {
    return this.cached(this.proving, modelCid, async () => {
      const base = await this.forVerifying(modelCid)
      const model = await this.registration(modelCid)
      return {
        ...base,
        compiledCircuit: await this.file(model, ZK_ARTEFACTS.compiledCircuit),
        provingKey: await this.file(model, ZK_ARTEFACTS.provingKey),
      }
    })
  }

  private async loadVerifying(modelCid: string): Promise<VerifyingCircuit> {
    const model = await this.registration(modelCid)
    const verifyingKey = await this.file(model, ZK_ARTEFACTS.verifyingKey)
    const verifyingKeyHash = sha256(verifyingKey)
    if (Buffer.compare(verifyingKeyHash, model.zkVerifyingKeyHash) !== 0) {
      throw ErrZkSetup.with(
        `the hub's verifying key of ${modelCid} hashes to ${Buffer.from(verifyingKeyHash).toString('hex')}, the registry holds ${Buffer.from(model.zkVerifyingKeyHash).toString('hex')}`,
      )
    }
    const settings = await this.file(model, ZK_ARTEFACTS.settings)
    return {
      modelCid,
      layout: parseCircuitLayout(settings),
      settings,
      verifyingKey,
      verifyingKeyHash,
      srs: await this.file(model, ZK_ARTEFACTS.srs),
    }
  }

  private async file(model: Model, name: string): Promise<Uint8Array> {
    const entry = model.artefacts.find((a) => a.name === name)
    if (!entry) throw ErrZkSetup.with(`the registration of ${model.cid} lists no "${name}" artefact`)
    const bytes = await this.hub.artefact(entry.cid)
    if (!bytes) throw ErrZkSetup.with(`artefact "${name}" (${entry.cid}) of ${model.cid} is in no hub this node can reach`)
    return bytes
  }

  /** A failed load is forgotten, so a later call retries (the hub may have the file by then). */
  private cached<T>(cache: LRUCache<string, Promise<T>>, key: string, load: () => Promise<T>): Promise<T> {
    const hit = cache.get(key)
    if (hit) return hit
    const p = load()
    cache.set(key, p)
    p.catch(() => {
      if (cache.get(key) === p) cache.delete(key)
    })
    return p
  }
}
