import { mkdir, readFile, stat } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { type Logger, silentLogger } from '../log.ts'
import { modelCid, parseModelCid } from './cid.ts'
import { ErrArtefactEmpty, ErrArtefactTooLarge } from './errors.ts'
import { fetchArtefactFromPeers } from './modelPeerFetch.ts'
import { formatBytes } from './modelValidation.ts'
import { writeOnce } from './writeOnce.ts'

/**
 * Default largest artefact: 512 MiB. Artefacts are what a verification method needs beside the
 * model; the largest are EZKL proving keys: 5 MB for the example risk scorer, 163 MB for a
 * 2^15-row circuit, 624 MiB for a 384×384 MLP at the ZK setup's 2^17-row limit (which the setup
 * then refuses). The limit keeps one upload, held in memory while it is hashed, bounded.
 */
export const DEFAULT_MAX_ARTEFACT_BYTES = 512 * 1024 * 1024

export interface ArtefactStoreOptions {
  /** Directory of `<cid>` files; created at the first put. Several nodes may share it. */
  dir: string
  /** Largest artefact accepted, in bytes; default DEFAULT_MAX_ARTEFACT_BYTES. */
  maxArtefactBytes?: number
  /** REST base URLs of other nodes, asked for artefacts this store lacks. */
  peers?: readonly string[]
  /** Limit on downloading an artefact from one peer; default 120 s (a proving key is large). */
  peerTimeoutMs?: number
  log?: Logger
}

/**
 * A content-addressed store of artefacts: any bytes (EZKL settings, circuits, keys, SRS…),
 * named by the same CID as models (CIDv1, raw, sha2-256, cid.ts), one file `<dir>/<cid>` each,
 * written atomically. Unlike models nothing is validated but the size: an artefact's meaning is
 * the verification method's business, and its CID already pins its bytes. An artefact missing
 * here is fetched from the peers, checked against its CID and stored.
 * @example
 * const artefacts = new ArtefactStore({ dir: '.pipe/models/artefacts' })
 * const { cid } = await artefacts.put(vkBytes)
 * await artefacts.get(cid) // the same bytes
 */
export class ArtefactStore {
  readonly dir: string
  readonly maxArtefactBytes: number
  private readonly peers: readonly string[]
  private readonly peerTimeoutMs: number
  private readonly log: Logger
  /** Peer fetches under way, by CID: concurrent callers share one download. */
  private readonly pending = new Map<string, Promise<Uint8Array | undefined>>()

  constructor(opts: ArtefactStoreOptions) {
    this.dir = resolve(opts.dir)
    this.maxArtefactBytes = opts.maxArtefactBytes ?? DEFAULT_MAX_ARTEFACT_BYTES
    if (!(this.maxArtefactBytes >= 1)) throw new RangeError(`ArtefactStore maxArtefactBytes must be ≥ 1, got ${opts.maxArtefactBytes}`)
    this.peers = opts.peers ?? []
    this.peerTimeoutMs = opts.peerTimeoutMs ?? 120_000
    this.log = opts.log ?? silentLogger
  }

  /** Stores bytes under their CID; idempotent. Throws ErrArtefactEmpty or ErrArtefactTooLarge, and then nothing is written. */
  async put(bytes: Uint8Array): Promise<{ cid: string; size: number; created: boolean }> {
    this.checkSize(bytes.length)
    const cid = await modelCid(bytes)
    await mkdir(this.dir, { recursive: true }) // on first use: a hub without artefacts has no folder for them
    const created = await writeOnce(this.dir, cid, bytes)
    if (created) this.log.info(`stored artefact ${cid} (${bytes.length} bytes)`)
    return { cid, size: bytes.length, created }
  }

  /**
   * An artefact's bytes, fetched from a peer when missing here (unless `localOnly`: what peers
   * ask for); undefined when nobody has it. Throws ErrInvalidCid.
   */
  async get(cid: string, opts: { localOnly?: boolean } = {}): Promise<Uint8Array | undefined> {
    const canonical = parseModelCid(cid)
    const local = await this.readLocal(canonical)
    if (local || opts.localOnly || this.peers.length === 0) return local
    const underway = this.pending.get(canonical)
    if (underway) return underway
    const work = this.fetch(canonical)
    this.pending.set(canonical, work)
    try {
      return await work
    } finally {
      if (this.pending.get(canonical) === work) this.pending.delete(canonical)
    }
  }

  /** The artefact's file and size when this store has it (for streaming an answer); never asks peers. Throws ErrInvalidCid. */
  async localFile(cid: string): Promise<{ path: string; size: number } | undefined> {
    const path = join(this.dir, parseModelCid(cid))
    try {
      return { path, size: (await stat(path)).size }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw err
    }
  }

  /** Throws ErrArtefactEmpty or ErrArtefactTooLarge for a body of `size` bytes. */
  checkSize(size: number): void {
    if (size === 0) throw ErrArtefactEmpty.with('the upload has 0 bytes; an artefact is the contents of a file')
    if (size > this.maxArtefactBytes) {
      throw ErrArtefactTooLarge.with(
        `the artefact has ${formatBytes(size)}, over this node's limit of ${formatBytes(this.maxArtefactBytes)}`,
      )
    }
  }

  private async readLocal(cid: string): Promise<Uint8Array | undefined> {
    try {
      return await readFile(join(this.dir, cid))
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw err
    }
  }

  private async fetch(cid: string): Promise<Uint8Array | undefined> {
    const fetched = await fetchArtefactFromPeers(cid, {
      peers: this.peers,
      maxBytes: this.maxArtefactBytes,
      timeoutMs: this.peerTimeoutMs,
      log: this.log,
    })
    if (!fetched) return undefined
    // fetchArtefactFromPeers checked the bytes against the CID; put stores them under it.
    await this.put(fetched.bytes)
    return fetched.bytes
  }
}
