import { createReadStream } from 'node:fs'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { pipeline } from 'node:stream/promises'
import { type AppError, type ErrorKind, toAppError } from '../errors.ts'
import { type Logger, silentLogger } from '../log.ts'
import {
  ErrArtefactNotFound,
  ErrArtefactTooLarge,
  ErrMethodNotAllowed,
  ErrModelNotFound,
  ErrModelTooLarge,
  ErrRouteNotFound,
} from './errors.ts'
import { LOCAL_ONLY_HEADER } from './modelPeerFetch.ts'
import type { ModelStore } from './modelStore.ts'
import { formatBytes } from './modelValidation.ts'

export interface ModelHubServerOptions {
  log?: Logger
  /** Largest model upload accepted; default the store's `maxModelBytes`. Artefact uploads take the store's `maxArtefactBytes`. */
  maxBodyBytes?: number
}

const HUB_CODESPACE = ErrModelNotFound.codespace

/** How long a refused upload's remaining body is read before the connection is closed. */
const DRAIN_MS = 30_000

/** HTTP status of each error kind this server answers with; any other model hub error is a 400. */
const STATUS_BY_ERROR = new Map<AppError['code'], number>([
  [ErrModelTooLarge.code, 413],
  [ErrArtefactTooLarge.code, 413],
  [ErrModelNotFound.code, 404],
  [ErrArtefactNotFound.code, 404],
  [ErrRouteNotFound.code, 404],
  [ErrMethodNotAllowed.code, 405],
])

/** What an error answer looks like: `{ "error": { "code": 14, "codespace": "modelhub", "message": "…" } }`. */
export interface HubErrorBody {
  error: { code: number; codespace: string; message: string }
}

/**
 * The model hub's REST API, served where Cosmos nodes serve REST (:1317):
 * - `PUT /v1/models` (body: the .onnx bytes) → 201 with the metadata, 200 if already stored
 * - `GET /v1/models` → `{ models: ModelMetadata[] }`
 * - `GET /v1/models/{cid}` → metadata; `GET /v1/models/{cid}/raw` → the bytes
 * - `PUT /v1/artefacts` (body: any bytes) → 201 `{ cid, size }`, 200 if already stored
 * - `GET /v1/artefacts/{cid}` → the bytes
 * - `GET /health` → `{ status: "ok" }`
 * The two byte routes answer from this node's store only when asked with LOCAL_ONLY_HEADER
 * (what peers send), else they fetch what is missing from the peers first.
 * Errors are `HubErrorBody` JSON with 400 (invalid model, artefact or CID), 404, 405 or 413.
 * @example
 * const hub = new ModelHubServer(store)
 * await hub.listen('127.0.0.1:1317')
 * // curl -T models/risk-scorer.onnx http://127.0.0.1:1317/v1/models
 */
export class ModelHubServer {
  private readonly server: Server
  private readonly log: Logger
  private readonly maxBodyBytes: number

  constructor(
    private readonly store: ModelStore,
    opts: ModelHubServerOptions = {},
  ) {
    this.log = opts.log ?? silentLogger
    this.maxBodyBytes = opts.maxBodyBytes ?? store.maxModelBytes
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        this.log.error(`${req.method} ${req.url} failed after the answer started: ${(err as Error).message}`)
        res.destroy()
      })
    })
  }

  /**
   * Listens on `host:port` (`127.0.0.1:1317`, `:1317` for every interface, port 0 for an
   * ephemeral one; a `tcp://` (Cosmos app.toml style) or `http://` prefix is allowed). Resolves
   * once listening; `url` then gives the address.
   */
  async listen(hostPort: string): Promise<void> {
    const match = /^(?:tcp:\/\/|http:\/\/)?(\[[^\]]+\]|[^:/]*):(\d{1,5})\/?$/u.exec(hostPort)
    if (!match) throw new Error(`model hub listen address "${hostPort}" is not host:port (e.g. 127.0.0.1:1317)`)
    const host = (match[1] || '0.0.0.0').replace(/^\[|\]$/gu, '')
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject)
      this.server.listen(Number(match[2]), host, () => {
        this.server.off('error', reject)
        resolve()
      })
    })
    this.log.info(`model hub REST API on ${this.url}`)
  }

  /** Base URL once listening, e.g. `http://127.0.0.1:40123`. */
  get url(): string {
    const addr = this.server.address() as AddressInfo | null
    if (!addr) throw new Error('the model hub is not listening')
    // A wildcard address is not one a client can connect to: name the loopback instead.
    const address = addr.address === '0.0.0.0' ? '127.0.0.1' : addr.address === '::' ? '::1' : addr.address
    const host = address.includes(':') ? `[${address}]` : address
    return `http://${host}:${addr.port}`
  }

  /** Stops listening and closes every connection, including idle keep-alive ones. */
  async close(): Promise<void> {
    if (!this.server.listening) return
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()))
    this.server.closeAllConnections()
    await closed
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      await this.route(req, res)
    } catch (err) {
      if (req.socket.destroyed) {
        // The client went away (an upload cancelled halfway): nobody to answer, nothing to log loudly.
        this.log.debug(`${req.method} ${req.url}: client disconnected (${(err as Error).message})`)
        return
      }
      const appErr = toAppError(err)
      const status = statusOf(appErr)
      if (status >= 500) this.log.error(`${req.method} ${req.url}: ${appErr.message}`)
      else this.log.debug(`${req.method} ${req.url} → ${status}: ${appErr.message}`)
      if (res.headersSent) throw err
      sendJson(res, status, { error: { code: appErr.code, codespace: appErr.codespace, message: appErr.message } } satisfies HubErrorBody)
      if (!req.complete) drainRefusedBody(req)
    }
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://hub').pathname.replace(/\/+$/u, '') || '/'
    const method = req.method === 'HEAD' ? 'GET' : req.method
    const segments = path.split('/').slice(1)
    if (path === '/health') {
      allow(res, method, ['GET'])
      return sendJson(res, 200, { status: 'ok' })
    }
    if (path === '/v1/models') {
      allow(res, method, ['GET', 'PUT'])
      if (method === 'GET') return sendJson(res, 200, { models: await this.store.list() })
      const { metadata, created } = await this.store.put(await this.readBody(req, this.maxBodyBytes, ErrModelTooLarge))
      return sendJson(res, created ? 201 : 200, metadata)
    }
    if (path === '/v1/artefacts') {
      allow(res, method, ['PUT'])
      const body = await this.readBody(req, this.store.maxArtefactBytes, ErrArtefactTooLarge)
      const { cid, size, created } = await this.store.artefacts.put(body)
      return sendJson(res, created ? 201 : 200, { cid, size })
    }
    if (segments.length === 3 && segments[0] === 'v1' && segments[1] === 'artefacts') {
      allow(res, method, ['GET'])
      return this.sendArtefact(req, res, decodeSegment(segments[2]!))
    }
    if (segments.length === 3 && segments[0] === 'v1' && segments[1] === 'models') {
      allow(res, method, ['GET'])
      const metadata = await this.store.metadata(decodeSegment(segments[2]!))
      if (!metadata) throw notFound(segments[2]!)
      return sendJson(res, 200, metadata)
    }
    if (segments.length === 4 && segments[0] === 'v1' && segments[1] === 'models' && segments[3] === 'raw') {
      allow(res, method, ['GET'])
      const localOnly = req.headers[LOCAL_ONLY_HEADER] === '1'
      const bytes = await this.store.bytes(decodeSegment(segments[2]!), { localOnly })
      if (!bytes) throw notFound(segments[2]!)
      res.writeHead(200, {
        'content-type': 'application/octet-stream',
        'content-length': bytes.length,
        // Content-addressed: the bytes behind a CID never change.
        etag: `"${segments[2]}"`,
        'cache-control': 'public, max-age=31536000, immutable',
      })
      res.end(req.method === 'HEAD' ? undefined : bytes)
      return
    }
    throw ErrRouteNotFound.with(
      `${req.method} ${path}; routes: GET /health, GET|PUT /v1/models, GET /v1/models/{cid}, GET /v1/models/{cid}/raw, ` +
        'PUT /v1/artefacts, GET /v1/artefacts/{cid}',
    )
  }

  /** Streams an artefact's file (after a peer fetch, unless the local-only header asks not to). */
  private async sendArtefact(req: IncomingMessage, res: ServerResponse, cid: string): Promise<void> {
    let file = await this.store.artefacts.localFile(cid) // also checks the CID
    if (!file && req.headers[LOCAL_ONLY_HEADER] !== '1' && (await this.store.artefact(cid)))
      file = await this.store.artefacts.localFile(cid)
    if (!file) throw ErrArtefactNotFound.with(`no artefact with CID ${cid} on this node or its peers; upload it with PUT /v1/artefacts`)
    res.writeHead(200, {
      'content-type': 'application/octet-stream',
      'content-length': file.size,
      etag: `"${cid}"`,
      'cache-control': 'public, max-age=31536000, immutable',
    })
    if (req.method === 'HEAD') return void res.end()
    await pipeline(createReadStream(file.path), res)
  }

  /** The request body, refused with `tooLarge` as soon as it passes `limit`. */
  private async readBody(req: IncomingMessage, limit: number, tooLarge: ErrorKind): Promise<Uint8Array> {
    const declared = Number(req.headers['content-length'] ?? NaN)
    if (declared > limit) {
      throw tooLarge.with(`the request body has ${formatBytes(declared)}, over this node's limit of ${formatBytes(limit)}`)
    }
    // Listeners, not `for await`: leaving a for-await early destroys the socket, and the client
    // would get a reset instead of the 413.
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = []
      let size = 0
      const stop = (): void => {
        req.off('data', onData)
        req.off('end', onEnd)
        req.off('close', onClose)
      }
      const onData = (chunk: Buffer): void => {
        size += chunk.length
        if (size <= limit) return void chunks.push(chunk)
        stop()
        reject(tooLarge.with(`the request body passed this node's limit of ${formatBytes(limit)}`))
      }
      const onEnd = (): void => {
        stop()
        resolve(Buffer.concat(chunks, size))
      }
      const onClose = (): void => {
        stop()
        reject(new Error('the client closed the connection before the body was complete'))
      }
      req.on('data', onData)
      req.once('end', onEnd)
      req.once('close', onClose)
      req.once('error', () => {}) // an abort also ends in 'close', handled above
    })
  }
}

function statusOf(err: AppError): number {
  if (err.codespace !== HUB_CODESPACE) return 500
  return STATUS_BY_ERROR.get(err.code) ?? 400
}

/** Throws ErrMethodNotAllowed (405, with the `Allow` header HTTP requires) unless `method` is one of `methods`. */
function allow(res: ServerResponse, method: string | undefined, methods: string[]): void {
  if (methods.includes(method ?? '')) return
  res.setHeader('allow', [...methods, ...(methods.includes('GET') ? ['HEAD'] : [])].join(', '))
  throw ErrMethodNotAllowed.with(`${method} is not allowed on this route; use ${methods.join(' or ')}`)
}

function notFound(cid: string): AppError {
  return ErrModelNotFound.with(`no model with CID ${cid} on this node or its peers; upload it with PUT /v1/models`)
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment)
  } catch {
    return segment // parseModelCid then says what is wrong with it
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = `${JSON.stringify(body)}\n`
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) })
  res.end(text)
}

/**
 * After refusing an upload early, read (and drop) what the client is still sending. Closing the
 * connection instead would make the kernel reset it while the client is still writing, and the
 * client would see "connection reset" instead of the 413 that explains the refusal. A client that
 * keeps sending for longer than DRAIN_MS is cut off.
 */
function drainRefusedBody(req: IncomingMessage): void {
  req.resume()
  const timer = setTimeout(() => req.socket.destroy(), DRAIN_MS)
  timer.unref()
  req.once('end', () => clearTimeout(timer))
  req.once('close', () => clearTimeout(timer))
}
