import http from 'node:http'
import { type WebSocket, WebSocketServer } from 'ws'
import type { NodeConfig } from '../config.ts'
import type { Logger } from '../log.ts'
import { CallSimulator } from '../modules/evm/callSimulator.ts'
import type { PipeApp } from '../pipeApp.ts'
import { CometClient } from './cometClient.ts'
import type { RpcContext, RpcMethod } from './context.ts'
import { INTERNAL_ERROR, INVALID_PARAMS, INVALID_REQUEST, METHOD_NOT_FOUND, PARSE_ERROR, RpcError, toRpcError } from './errors.ts'
import { FilterRegistry } from './filters.ts'
import { blockMethods } from './methods/blocks.ts'
import { feeMethods } from './methods/fees.ts'
import { inferenceMethods } from './methods/inference.ts'
import { logMethods } from './methods/logs.ts'
import { nodeMethods } from './methods/node.ts'
import { stateMethods } from './methods/state.ts'
import { transactionMethods } from './methods/transactions.ts'
import { SubscriptionHub } from './subscriptions.ts'
import { TxIntake } from './txIntake.ts'

/** Every JSON-RPC method, by name. */
const METHODS: Record<string, RpcMethod> = {
  ...nodeMethods,
  ...stateMethods,
  ...blockMethods,
  ...transactionMethods,
  ...feeMethods,
  ...logMethods,
  ...inferenceMethods,
}

/** Largest HTTP body accepted (a batch of large deployments fits). */
const MAX_BODY_BYTES = 10 * 1024 * 1024
/** Largest batch accepted in one request. */
const MAX_BATCH = 1000

type JsonRpcResponse = { jsonrpc: '2.0'; id: unknown; result?: unknown; error?: ReturnType<RpcError['toJSON']> }

/**
 * Ethereum JSON-RPC over HTTP (with batches) and WebSocket (plus eth_subscribe), the transport
 * only: methods live in ./methods, errors become JSON-RPC errors in ./errors.ts.
 */
export class JsonRpcServer {
  private readonly ctx: RpcContext
  private readonly hub = new SubscriptionHub()
  private http: http.Server | undefined
  private wsHttp: http.Server | undefined
  private wss: WebSocketServer | undefined

  constructor(
    app: PipeApp,
    private readonly config: NodeConfig,
    private readonly log: Logger,
    /** Where transactions are broadcast; the node shares one with gRPC's BroadcastTx. */
    comet = new CometClient(config.cometRpc),
  ) {
    this.ctx = {
      app,
      evm: app.evm,
      simulator: new CallSimulator(app.evm),
      comet,
      filters: new FilterRegistry(app.evm),
      intake: new TxIntake(comet, app.checkTxOutcomes),
    }
    app.events.on('committed', (e) => this.hub.publish(e))
  }

  async listen(): Promise<void> {
    this.http = http.createServer((req, res) => void this.serveHttp(req, res))
    this.http.keepAliveTimeout = 60_000
    await listenOn(this.http, this.config.jsonRpc)
    this.wsHttp = http.createServer((_req, res) => {
      res.writeHead(426, { 'content-type': 'text/plain' }).end('use a WebSocket client')
    })
    this.wss = new WebSocketServer({ server: this.wsHttp, maxPayload: MAX_BODY_BYTES })
    this.wss.on('connection', (socket) => this.serveSocket(socket))
    await listenOn(this.wsHttp, this.config.ws)
    this.log.info(`JSON-RPC on http://${this.config.jsonRpc} and ws://${this.config.ws}`)
  }

  async close(): Promise<void> {
    this.ctx.filters.close()
    for (const client of this.wss?.clients ?? []) client.terminate()
    this.wss?.close()
    await Promise.all([this.http, this.wsHttp].map((s) => new Promise<void>((r) => (s ? s.close(() => r()) : r()))))
    this.http?.closeAllConnections()
  }

  private async serveHttp(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    res.setHeader('access-control-allow-origin', '*')
    res.setHeader('access-control-allow-headers', 'content-type')
    res.setHeader('access-control-allow-methods', 'POST, OPTIONS')
    if (req.method === 'OPTIONS') return void res.writeHead(204).end()
    if (req.method !== 'POST') return void res.writeHead(405, { allow: 'POST' }).end('JSON-RPC expects POST')
    const chunks: Buffer[] = []
    let size = 0
    for await (const chunk of req) {
      size += (chunk as Buffer).length
      if (size > MAX_BODY_BYTES) {
        res.writeHead(413, { 'content-type': 'application/json' })
        return void res.end(
          JSON.stringify(errorResponse(null, new RpcError(INVALID_REQUEST, `request body larger than ${MAX_BODY_BYTES} bytes`))),
        )
      }
      chunks.push(chunk as Buffer)
    }
    const reply = await this.handleText(Buffer.concat(chunks).toString('utf8'))
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(reply === undefined ? '' : JSON.stringify(reply))
  }

  private serveSocket(socket: WebSocket): void {
    socket.on('message', (raw) => {
      void this.handleText(raw.toString(), socket).then((reply) => {
        if (reply !== undefined && socket.readyState === socket.OPEN) socket.send(JSON.stringify(reply))
      })
    })
    socket.on('close', () => this.hub.closed(socket))
    socket.on('error', (err) => this.log.debug(`websocket error: ${err.message}`))
  }

  /** One HTTP body or WebSocket message: a request or a batch. Undefined means "no reply". */
  private async handleText(text: string, socket?: WebSocket): Promise<JsonRpcResponse | JsonRpcResponse[] | undefined> {
    let body: unknown
    try {
      body = JSON.parse(text)
    } catch {
      return errorResponse(null, new RpcError(PARSE_ERROR, 'parse error: body is not valid JSON'))
    }
    if (Array.isArray(body)) {
      if (body.length === 0) return errorResponse(null, new RpcError(INVALID_REQUEST, 'empty batch'))
      if (body.length > MAX_BATCH)
        return errorResponse(null, new RpcError(INVALID_REQUEST, `batch of ${body.length} requests exceeds the limit of ${MAX_BATCH}`))
      const replies = await Promise.all(body.map((r) => this.handleRequest(r, socket)))
      const kept = replies.filter((r): r is JsonRpcResponse => r !== undefined)
      return kept.length > 0 ? kept : undefined
    }
    return this.handleRequest(body, socket)
  }

  private async handleRequest(req: unknown, socket?: WebSocket): Promise<JsonRpcResponse | undefined> {
    if (typeof req !== 'object' || req === null || typeof (req as { method?: unknown }).method !== 'string') {
      return errorResponse(null, new RpcError(INVALID_REQUEST, 'invalid request: expected an object with a "method" string'))
    }
    const { id, method, params } = req as { id?: unknown; method: string; params?: unknown }
    const isNotification = !('id' in (req as object))
    let result: unknown
    try {
      if (params !== undefined && !Array.isArray(params)) throw new RpcError(INVALID_PARAMS, 'params must be an array')
      result = await this.dispatch(method, (params as unknown[] | undefined) ?? [], socket)
    } catch (err) {
      const rpcErr = toRpcError(err)
      if (rpcErr.code === INTERNAL_ERROR) this.log.error(`${method} failed: ${(err as Error).stack ?? err}`)
      return isNotification ? undefined : errorResponse(id ?? null, rpcErr)
    }
    return isNotification ? undefined : { jsonrpc: '2.0', id: id ?? null, result }
  }

  private async dispatch(method: string, params: unknown[], socket?: WebSocket): Promise<unknown> {
    if (method === 'eth_subscribe' || method === 'eth_unsubscribe') {
      if (!socket) throw new RpcError(METHOD_NOT_FOUND, `${method} is only available over WebSocket (ws://${this.config.ws})`)
      return method === 'eth_subscribe' ? this.hub.subscribe(socket, params) : this.hub.unsubscribe(socket, params[0])
    }
    const handler = Object.hasOwn(METHODS, method) ? METHODS[method] : undefined
    if (!handler) throw new RpcError(METHOD_NOT_FOUND, `the method ${method} does not exist/is not available`)
    return handler(params, this.ctx)
  }
}

function errorResponse(id: unknown, err: RpcError): JsonRpcResponse {
  return { jsonrpc: '2.0', id, error: err.toJSON() }
}

function listenOn(server: http.Server, hostPort: string): Promise<void> {
  const i = hostPort.lastIndexOf(':')
  const host = hostPort.slice(0, i)
  const port = Number(hostPort.slice(i + 1))
  return new Promise((resolve, reject) => {
    server.once('error', (err) => reject(new Error(`cannot listen on ${hostPort}: ${err.message}`)))
    server.listen(port, host, () => resolve())
  })
}
