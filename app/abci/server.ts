import fs from 'node:fs'
import net from 'node:net'
import type { DeepPartial } from 'cosmjs-types/helpers'
import { Request, Response, ResponseCheckTx } from 'cosmjs-types/tendermint/abci/types'
import type { Logger } from '../log.ts'
import type { AbciApplication } from './connections.ts'
import { FrameDecoder } from './frameDecoder.ts'
import { encodeUvarint } from './varint.ts'

/** The request kinds that belong to CometBFT's consensus connection. */
const CONSENSUS_KINDS = new Set<keyof Request>([
  'initChain',
  'prepareProposal',
  'processProposal',
  'extendVote',
  'verifyVoteExtension',
  'finalizeBlock',
  'commit',
])

type Handler = (app: AbciApplication, req: Request) => Promise<Response>

/** One entry per request kind: how to call the app and wrap its answer. */
const HANDLERS: Partial<Record<keyof Request, Handler>> = {
  echo: async (_app, req) => Response.fromPartial({ echo: { message: req.echo!.message } }),
  flush: async () => Response.fromPartial({ flush: {} }),
  info: async (app, req) => Response.fromPartial({ info: await app.info(req.info!) }),
  query: async (app, req) => Response.fromPartial({ query: await app.query(req.query!) }),
  // The hot path (thousands per block): defaults filled by hand, skipping fromPartial's deep copy.
  checkTx: async (app, req) => ({ checkTx: fullCheckTx(await app.checkTx(req.checkTx!)) }) as Response,
  initChain: async (app, req) => Response.fromPartial({ initChain: await app.initChain(req.initChain!) }),
  prepareProposal: async (app, req) => Response.fromPartial({ prepareProposal: await app.prepareProposal(req.prepareProposal!) }),
  processProposal: async (app, req) => Response.fromPartial({ processProposal: await app.processProposal(req.processProposal!) }),
  extendVote: async (app, req) => Response.fromPartial({ extendVote: await app.extendVote(req.extendVote!) }),
  verifyVoteExtension: async (app, req) =>
    Response.fromPartial({ verifyVoteExtension: await app.verifyVoteExtension(req.verifyVoteExtension!) }),
  finalizeBlock: async (app, req) => Response.fromPartial({ finalizeBlock: await app.finalizeBlock(req.finalizeBlock!) }),
  commit: async (app) => Response.fromPartial({ commit: await app.commit() }),
  listSnapshots: async (app) => Response.fromPartial({ listSnapshots: await app.listSnapshots() }),
  offerSnapshot: async (app, req) => Response.fromPartial({ offerSnapshot: await app.offerSnapshot(req.offerSnapshot!) }),
  loadSnapshotChunk: async (app, req) => Response.fromPartial({ loadSnapshotChunk: await app.loadSnapshotChunk(req.loadSnapshotChunk!) }),
  applySnapshotChunk: async (app, req) =>
    Response.fromPartial({ applySnapshotChunk: await app.applySnapshotChunk(req.applySnapshotChunk!) }),
}

const EMPTY = new Uint8Array(0)

function fullCheckTx(r: DeepPartial<ResponseCheckTx>): ResponseCheckTx {
  return {
    code: r.code ?? 0,
    data: (r.data as Uint8Array | undefined) ?? EMPTY,
    log: r.log ?? '',
    info: r.info ?? '',
    gasWanted: r.gasWanted ?? 0n,
    gasUsed: r.gasUsed ?? 0n,
    events: r.events?.length ? ResponseCheckTx.fromPartial(r).events : [],
    codespace: r.codespace ?? '',
  }
}

function kindOf(req: Request): keyof Request | undefined {
  for (const key in req) {
    if (req[key as keyof Request] !== undefined) return key as keyof Request
  }
  return undefined
}

/**
 * ABCI 2.0 socket server for CometBFT 0.38. CometBFT opens four connections (consensus,
 * mempool, info, snapshot); each carries varint-length-prefixed protobuf `Request`s and expects
 * `Response`s in the same order. Requests of one connection are handled one after another, so
 * responses stay in order; consensus requests are additionally serialized across connections.
 * @example await new AbciServer(app, log).listen('tcp://127.0.0.1:26658')
 */
export class AbciServer {
  private server: net.Server | undefined
  private readonly sockets = new Set<net.Socket>()
  /** Tail of the consensus queue: every consensus request waits for the previous one. */
  private consensusTail: Promise<unknown> = Promise.resolve()

  constructor(
    private readonly app: AbciApplication,
    private readonly log: Logger,
  ) {}

  /** Listens on `tcp://host:port` or `unix:///path/to.sock`. */
  async listen(address: string): Promise<void> {
    const server = net.createServer((socket) => this.serve(socket))
    this.server = server
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      if (address.startsWith('unix://')) {
        const path = address.slice('unix://'.length)
        fs.rmSync(path, { force: true })
        server.listen(path, resolve)
      } else {
        const url = new URL(address.startsWith('tcp://') ? address : `tcp://${address}`)
        server.listen(Number(url.port), url.hostname, resolve)
      }
    })
    this.log.info(`ABCI server listening on ${address}`)
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy()
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()))
  }

  private serve(socket: net.Socket): void {
    this.sockets.add(socket)
    socket.setNoDelay(true)
    const decoder = new FrameDecoder()
    let tail: Promise<void> = Promise.resolve()
    let name = 'unknown'
    let corked = false
    const write = (resp: Response): void => {
      const body = Response.encode(resp).finish()
      if (!corked) {
        corked = true
        socket.cork()
        process.nextTick(() => {
          corked = false
          socket.uncork()
        })
      }
      socket.write(encodeUvarint(body.length))
      socket.write(body)
    }
    socket.on('data', (chunk: Buffer) => {
      let frames: Uint8Array[]
      try {
        frames = decoder.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength))
      } catch (err) {
        this.log.error(`ABCI ${name} connection: ${(err as Error).message}; closing it`)
        socket.destroy()
        return
      }
      for (const frame of frames) {
        let req: Request
        try {
          req = Request.decode(frame)
        } catch (err) {
          this.log.error(`ABCI ${name} connection: undecodable request (${(err as Error).message}); closing it`)
          socket.destroy()
          return
        }
        const kind = kindOf(req)
        if (name === 'unknown' && kind && kind !== 'flush' && kind !== 'echo') name = connectionName(kind)
        if (kind === 'checkTx') this.app.prefetchCheckTx?.(req.checkTx!)
        tail = tail.then(async () => write(await this.handle(kind, req)))
      }
    })
    socket.on('error', (err) => this.log.warn(`ABCI ${name} connection error: ${err.message}`))
    socket.on('close', () => {
      this.sockets.delete(socket)
      this.log.info(`ABCI ${name} connection closed`)
    })
  }

  private async handle(kind: keyof Request | undefined, req: Request): Promise<Response> {
    const handler = kind && HANDLERS[kind]
    if (!handler) return Response.fromPartial({ exception: { error: `unsupported ABCI request ${kind ?? '(empty)'}` } })
    const run = async (): Promise<Response> => {
      try {
        return await handler(this.app, req)
      } catch (err) {
        this.log.error(`ABCI ${kind} failed: ${(err as Error).stack ?? err}`)
        return Response.fromPartial({ exception: { error: `${kind}: ${(err as Error).message}` } })
      }
    }
    if (!CONSENSUS_KINDS.has(kind!)) return run()
    const result = this.consensusTail.then(run)
    this.consensusTail = result
    return result
  }
}

function connectionName(kind: keyof Request): string {
  if (CONSENSUS_KINDS.has(kind)) return 'consensus'
  if (kind === 'checkTx') return 'mempool'
  if (kind === 'info' || kind === 'query') return 'query'
  return 'snapshot'
}
