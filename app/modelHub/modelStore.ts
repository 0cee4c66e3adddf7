import { mkdirSync } from 'node:fs'
import { readdir, readFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { LRUCache } from 'lru-cache'
import { type Logger, silentLogger } from '../log.ts'
import { ArtefactStore, DEFAULT_MAX_ARTEFACT_BYTES } from './artefactStore.ts'
import { modelCid, parseModelCid } from './cid.ts'
import { isBatchable, type ModelMetadata } from './modelMetadata.ts'
import { fetchModelFromPeers } from './modelPeerFetch.ts'
import { probeModel } from './modelProbe.ts'
import { checkModelSize, DEFAULT_MAX_MODEL_BYTES, validateModelStructure } from './modelValidation.ts'
import { writeOnce } from './writeOnce.ts'

export interface ModelStoreOptions {
  /** Directory of `<cid>.onnx` and `<cid>.json` files (artefacts in its `artefacts/`); created if missing. Several nodes may share it. */
  dir: string
  /** Largest model accepted, in bytes; default 64 MiB. */
  maxModelBytes?: number
  /** Largest artefact accepted, in bytes; default 512 MiB (DEFAULT_MAX_ARTEFACT_BYTES). */
  maxArtefactBytes?: number
  /** REST base URLs of other nodes (`http://host:1317`), asked for models and artefacts this store lacks. */
  peers?: string[]
  log?: Logger
  /** Limit on loading and probing a model at upload; default 60 s. */
  probeTimeoutMs?: number
  /** Limit on downloading a model from one peer; default 30 s. */
  peerTimeoutMs?: number
  /** Limit on downloading an artefact from one peer; default 120 s. */
  artefactPeerTimeoutMs?: number
  /** Probes (one child process each) run at once; more uploads wait their turn. Default 2. */
  maxConcurrentProbes?: number
}

export interface PutModelResult {
  metadata: ModelMetadata
  /** False when the store already had the model (then `metadata` is the stored one). */
  created: boolean
}

/** A `<cid>.json` file name; anything else in the directory (temp files…) is not a model. */
const METADATA_FILE = /^(baf[a-z2-7]+)\.json$/u
/** Models whose metadata is kept in memory. */
const KNOWN_MODELS = 10_000

/**
 * A content-addressed store of validated ONNX models in one directory: `<cid>.onnx` holds the
 * bytes, `<cid>.json` the ModelMetadata. Files appear atomically (written to a temp file, then
 * linked into place), the .onnx before the .json, so a reader that finds the .json finds complete
 * files; several processes may put the same model at once. A model missing here is fetched from
 * the peers, checked against its CID, validated and stored. Beside the models it keeps
 * artefacts (artefactStore.ts): any bytes a verification method needs, by the same kind of CID.
 * @example
 * const store = new ModelStore({ dir: '.pipe/models' })
 * const { metadata } = await store.put(fs.readFileSync('models/risk-scorer.onnx'))
 * await store.path(metadata.cid) // '.pipe/models/bafkrei….onnx', for onnxruntime
 */
export class ModelStore {
  readonly dir: string
  readonly maxModelBytes: number
  /** The artefacts (`<dir>/artefacts/<cid>`). */
  readonly artefacts: ArtefactStore
  private readonly peers: readonly string[]
  private readonly log: Logger
  private readonly probeTimeoutMs: number
  private readonly peerTimeoutMs: number
  /** Puts and peer fetches under way, by CID: concurrent callers share one validation. */
  private readonly pending = new Map<string, Promise<ModelMetadata | undefined>>()
  /** Metadata read, kept: a model's never changes (its CID is its content's hash). */
  private readonly known = new LRUCache<string, ModelMetadata>({ max: KNOWN_MODELS })
  private readonly maxConcurrentProbes: number
  private probesRunning = 0
  private readonly probeQueue: (() => void)[] = []

  constructor(opts: ModelStoreOptions) {
    this.dir = resolve(opts.dir)
    this.maxModelBytes = opts.maxModelBytes ?? DEFAULT_MAX_MODEL_BYTES
    if (!(this.maxModelBytes >= 1)) throw new RangeError(`ModelStore maxModelBytes must be ≥ 1, got ${opts.maxModelBytes}`)
    this.peers = opts.peers ?? []
    this.log = opts.log ?? silentLogger
    this.probeTimeoutMs = opts.probeTimeoutMs ?? 60_000
    this.peerTimeoutMs = opts.peerTimeoutMs ?? 30_000
    this.maxConcurrentProbes = opts.maxConcurrentProbes ?? 2
    mkdirSync(this.dir, { recursive: true })
    this.artefacts = new ArtefactStore({
      dir: join(this.dir, 'artefacts'),
      maxArtefactBytes: opts.maxArtefactBytes ?? DEFAULT_MAX_ARTEFACT_BYTES,
      peers: this.peers,
      peerTimeoutMs: opts.artefactPeerTimeoutMs,
      log: this.log,
    })
  }

  /** Largest artefact this store accepts, in bytes. */
  get maxArtefactBytes(): number {
    return this.artefacts.maxArtefactBytes
  }

  /** Stores an artefact (any bytes) and returns its CID; idempotent. Throws ErrArtefactEmpty or ErrArtefactTooLarge. */
  async putArtefact(bytes: Uint8Array): Promise<string> {
    return (await this.artefacts.put(bytes)).cid
  }

  /**
   * An artefact's bytes, fetched from a peer (and checked against the CID) when missing here,
   * unless `localOnly`; undefined when nobody has it. Throws ErrInvalidCid.
   */
  async artefact(cid: string, opts: { localOnly?: boolean } = {}): Promise<Uint8Array | undefined> {
    return this.artefacts.get(cid, opts)
  }

  /**
   * Validates and stores a model; idempotent. Throws the AppError of the first failed check
   * (modelErrors.ts), and then nothing is written.
   */
  async put(bytes: Uint8Array): Promise<PutModelResult> {
    checkModelSize(bytes, this.maxModelBytes) // before hashing: do not hash 2 GB to refuse it
    const cid = await modelCid(bytes)
    const stored = await this.readMetadata(cid)
    if (stored) return { metadata: stored, created: false }
    const underway = this.pending.get(cid)
    if (underway) {
      const metadata = await underway
      if (metadata) return { metadata, created: false }
    }
    let created = false
    const work = this.validateAndWrite(cid, bytes).then((r) => {
      created = r.created
      return r.metadata
    })
    this.pending.set(cid, work)
    try {
      return { metadata: await work, created }
    } finally {
      if (this.pending.get(cid) === work) this.pending.delete(cid)
    }
  }

  /** A model's metadata: from this store, else fetched from a peer; undefined if nobody has it. Throws ErrInvalidCid. */
  async metadata(cid: string): Promise<ModelMetadata | undefined> {
    return this.ensureLocal(parseModelCid(cid))
  }

  /**
   * A model's bytes, fetched from a peer if missing here (unless `localOnly`: what peers ask for).
   * Throws ErrInvalidCid.
   */
  async bytes(cid: string, opts: { localOnly?: boolean } = {}): Promise<Uint8Array | undefined> {
    const canonical = parseModelCid(cid)
    if (opts.localOnly) return (await this.readMetadata(canonical)) ? readFile(this.file(canonical, 'onnx')) : undefined
    if (!(await this.ensureLocal(canonical))) return undefined
    return readFile(this.file(canonical, 'onnx'))
  }

  /** The .onnx file's path (for onnxruntime), after a peer fetch if needed. Throws ErrInvalidCid. */
  async path(cid: string): Promise<string | undefined> {
    const canonical = parseModelCid(cid)
    return (await this.ensureLocal(canonical)) ? this.file(canonical, 'onnx') : undefined
  }

  /** Whether runs of the model can be stacked along dim 0 (the executor's ModelSource asks). */
  async batchable(cid: string): Promise<boolean> {
    return (await this.metadata(cid))?.batchable ?? false
  }

  /** Every model in this store (not the peers'), ordered by CID. */
  async list(): Promise<ModelMetadata[]> {
    const names = (await readdir(this.dir)).sort()
    const out: ModelMetadata[] = []
    for (const name of names) {
      const cid = METADATA_FILE.exec(name)?.[1]
      const metadata = cid ? await this.readMetadata(cid) : undefined
      if (metadata) out.push(metadata)
    }
    return out
  }

  private file(cid: string, ext: 'onnx' | 'json'): string {
    return join(this.dir, `${cid}.${ext}`)
  }

  /** Stored metadata, or undefined when missing (or unreadable: then it is rebuilt). */
  private async readMetadata(cid: string): Promise<ModelMetadata | undefined> {
    const known = this.known.get(cid)
    if (known) return known
    let text: string
    try {
      text = await readFile(this.file(cid, 'json'), 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw err
    }
    try {
      const metadata = JSON.parse(text) as ModelMetadata
      if (metadata.cid === cid) {
        this.known.set(metadata.cid, metadata)
        return metadata
      }
      this.log.warn(`${this.file(cid, 'json')} describes ${metadata.cid}, not ${cid}; rebuilding it`)
    } catch (err) {
      this.log.warn(`${this.file(cid, 'json')} is not valid JSON (${(err as Error).message}); rebuilding it`)
    }
    return undefined
  }

  /**
   * Makes sure both files of `cid` are here: the .json as is; a lone .onnx (a writer stopped
   * between the two files) is re-put; otherwise the peers are asked.
   */
  private async ensureLocal(cid: string): Promise<ModelMetadata | undefined> {
    const stored = await this.readMetadata(cid)
    if (stored) return stored
    const underway = this.pending.get(cid)
    if (underway) return underway
    const work = this.recover(cid)
    this.pending.set(cid, work)
    try {
      return await work
    } finally {
      if (this.pending.get(cid) === work) this.pending.delete(cid)
    }
  }

  private async recover(cid: string): Promise<ModelMetadata | undefined> {
    const local = await readFile(this.file(cid, 'onnx')).catch(() => undefined)
    if (local && (await modelCid(local)) === cid) return (await this.validateAndWrite(cid, local)).metadata
    if (this.peers.length === 0) return undefined
    const fetched = await fetchModelFromPeers(cid, {
      peers: this.peers,
      maxBytes: this.maxModelBytes,
      timeoutMs: this.peerTimeoutMs,
      log: this.log,
    })
    if (!fetched) return undefined
    // The peer accepted these bytes, but this node checks them itself (its limits, its onnxruntime).
    return (await this.validateAndWrite(cid, fetched.bytes)).metadata
  }

  private async validateAndWrite(cid: string, bytes: Uint8Array): Promise<PutModelResult> {
    const info = validateModelStructure(bytes, { maxModelBytes: this.maxModelBytes })
    const { costMicros } = await this.probe(bytes, info.inputs)
    const metadata: ModelMetadata = {
      cid,
      size: bytes.length,
      irVersion: info.irVersion,
      opset: info.opset,
      inputs: info.inputs,
      outputs: info.outputs,
      batchable: isBatchable(info.inputs, info.outputs),
      costMicros,
      parameters: info.parameters,
      ops: info.ops,
    }
    await this.publish(cid, 'onnx', bytes)
    const created = await this.publish(cid, 'json', new TextEncoder().encode(`${JSON.stringify(metadata, null, 2)}\n`))
    if (!created) {
      // Another process sharing the directory stored it first: its metadata is the store's answer.
      const theirs = await this.readMetadata(cid)
      if (theirs) return { metadata: theirs, created: false }
    }
    this.log.info(`stored model ${cid} (${bytes.length} bytes, opset ${info.opset}, ${costMicros} µs per inference)`)
    return { metadata, created }
  }

  /** probeModel, at most `maxConcurrentProbes` at a time: a burst of uploads cannot fork a process each. */
  private async probe(bytes: Uint8Array, inputs: ModelMetadata['inputs']): Promise<{ costMicros: number }> {
    if (this.probesRunning >= this.maxConcurrentProbes) await new Promise<void>((resolve) => this.probeQueue.push(resolve))
    else this.probesRunning++
    try {
      return await probeModel(bytes, inputs, { timeoutMs: this.probeTimeoutMs })
    } finally {
      // Hand the slot straight to the next waiter, or free it.
      const next = this.probeQueue.shift()
      if (next) next()
      else this.probesRunning--
    }
  }

  /** Writes `<cid>.<ext>` atomically (writeOnce); true if this call created it. */
  private publish(cid: string, ext: 'onnx' | 'json', data: Uint8Array): Promise<boolean> {
    return writeOnce(this.dir, `${cid}.${ext}`, data)
  }
}
