import type { Logger } from '../log.ts'
import { modelCid } from './cid.ts'

/**
 * Header a node sends when it asks a peer for a model's or an artefact's bytes: the peer answers
 * from its own store only and never asks its peers in turn, so two nodes missing the same bytes
 * cannot ask each other forever.
 */
export const LOCAL_ONLY_HEADER = 'x-pipe-local-only'

export interface FetchFromPeersOptions {
  /** REST base URLs of other nodes, tried in order, e.g. `http://127.0.0.1:1327`. */
  peers: readonly string[]
  /** Bodies longer than this are abandoned (they could not be stored anyway). */
  maxBytes: number
  /** Per-peer time limit for the whole download. */
  timeoutMs: number
  log: Logger
}

export interface FetchedModel {
  bytes: Uint8Array
  /** The peer that served them. */
  peer: string
}

/** What is fetched, and the route that serves it. */
interface Fetchable {
  what: 'model' | 'artefact'
  path: (cid: string) => string
}

const MODEL: Fetchable = { what: 'model', path: (cid) => `/v1/models/${cid}/raw` }
const ARTEFACT: Fetchable = { what: 'artefact', path: (cid) => `/v1/artefacts/${cid}` }

/**
 * Asks each peer for `GET /v1/models/{cid}/raw` until one serves bytes that hash to `cid`.
 * Peers that do not have it, fail, time out, send too much or send other bytes are skipped
 * (the last with a warning: a peer serving wrong bytes is broken or malicious).
 * @example await fetchModelFromPeers(cid, { peers: ['http://127.0.0.1:1327'], maxBytes: 64 << 20, timeoutMs: 30_000, log })
 */
export function fetchModelFromPeers(cid: string, opts: FetchFromPeersOptions): Promise<FetchedModel | undefined> {
  return fetchFromPeers(MODEL, cid, opts)
}

/**
 * The same for an artefact (any bytes, same CID scheme): `GET /v1/artefacts/{cid}` of each peer
 * until one serves bytes that hash to `cid`.
 * @example await fetchArtefactFromPeers(cid, { peers: ['http://127.0.0.1:1327'], maxBytes: 512 << 20, timeoutMs: 120_000, log })
 */
export function fetchArtefactFromPeers(cid: string, opts: FetchFromPeersOptions): Promise<FetchedModel | undefined> {
  return fetchFromPeers(ARTEFACT, cid, opts)
}

async function fetchFromPeers(kind: Fetchable, cid: string, opts: FetchFromPeersOptions): Promise<FetchedModel | undefined> {
  for (const peer of opts.peers) {
    const url = `${peer.replace(/\/+$/u, '')}${kind.path(cid)}`
    try {
      const bytes = await download(url, kind.what, opts)
      if (bytes === undefined) continue
      const actual = await modelCid(bytes)
      if (actual !== cid) {
        opts.log.warn(`peer ${peer} served ${bytes.length} bytes for ${kind.what} ${cid} that hash to ${actual}; ignored`)
        continue
      }
      opts.log.info(`fetched ${kind.what} ${cid} (${bytes.length} bytes) from peer ${peer}`)
      return { bytes, peer }
    } catch (err) {
      opts.log.warn(`cannot fetch ${kind.what} ${cid} from peer ${peer}: ${(err as Error).message}`)
    }
  }
  return undefined
}

/** The body of a 200 answer; undefined for 404; throws for anything else. */
async function download(url: string, what: Fetchable['what'], opts: FetchFromPeersOptions): Promise<Uint8Array | undefined> {
  const res = await fetch(url, { headers: { [LOCAL_ONLY_HEADER]: '1' }, signal: AbortSignal.timeout(opts.timeoutMs) }).catch(
    (err: Error) => {
      throw new Error(`${err.name === 'TimeoutError' ? `no answer within ${opts.timeoutMs} ms` : describeFetchError(err)}`)
    },
  )
  if (res.status === 404) {
    await res.body?.cancel()
    return undefined
  }
  if (res.status !== 200) {
    await res.body?.cancel()
    throw new Error(`GET ${url} answered ${res.status} ${res.statusText}`)
  }
  const declared = Number(res.headers.get('content-length') ?? NaN)
  if (declared > opts.maxBytes) {
    await res.body?.cancel()
    throw new Error(`GET ${url} announces ${declared} bytes, more than the ${opts.maxBytes}-byte ${what} limit`)
  }
  const chunks: Uint8Array[] = []
  let size = 0
  for await (const chunk of res.body ?? []) {
    size += chunk.length
    if (size > opts.maxBytes) throw new Error(`GET ${url} sent more than the ${opts.maxBytes}-byte ${what} limit`)
    chunks.push(chunk)
  }
  return Buffer.concat(chunks, size)
}

/** `fetch failed` hides the reason in `cause` (ECONNREFUSED, ENOTFOUND…). */
export function describeFetchError(err: Error): string {
  const cause = err.cause as { code?: string; message?: string } | undefined
  return cause?.code ?? cause?.message ?? err.message
}
