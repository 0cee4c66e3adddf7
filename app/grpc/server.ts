import {
  Metadata,
  type MethodDefinition,
  Server,
  ServerCredentials,
  type ServerUnaryCall,
  type ServiceDefinition,
  type sendUnaryData,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js'
import { ReflectionService } from '@grpc/reflection'
import { HealthImplementation } from 'grpc-health-check'
import type { QueryRouter } from '../abci/queryRouter.ts'
import type { Logger } from '../log.ts'
import { HEALTH_SERVICE, loadDescriptors, servicesOf } from './descriptors.ts'
import { selfContainedDescriptors } from './fileDescriptors.ts'
import { HEIGHT_HEADER, requestedHeight } from './heightHeader.ts'
import { grpcStatus } from './status.ts'

/** A gRPC method that is not a query (BroadcastTx): raw request bytes in, raw response bytes out. */
export interface GrpcMethod {
  path: string
  handle(request: Uint8Array): Promise<Uint8Array>
}

type Handler = (call: ServerUnaryCall<Buffer, Uint8Array>, callback: sendUnaryData<Uint8Array>) => void

/** Requests arrive as the bytes the client sent; responses leave as the bytes a handler encoded. */
const rawBytes = {
  requestSerialize: (b: Buffer) => b,
  requestDeserialize: (b: Buffer) => b,
  responseSerialize: (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength),
  responseDeserialize: (b: Buffer) => b,
}

/**
 * The node's gRPC server, a bridge and nothing more: every query method ABCI Query routes
 * (`/cosmos.bank.v1beta1.Query/Balance`, `/pipe.inference.v1.Query/Proof` …) is served from
 * the same QueryRouter, bytes in and bytes out, at the height the `x-cosmos-block-height`
 * header asks for (the height answered comes back in the same header); `methods` adds those
 * that are not queries (BroadcastTx). Server reflection describes every served service from
 * proto/, and grpc.health.v1.Health answers SERVING for each while the node runs. A served
 * path without a descriptor, or a described method without a handler, is an error at start.
 */
export class GrpcServer {
  private readonly server = new Server()
  private readonly health: HealthImplementation
  private readonly served: string[]

  constructor(
    private readonly queries: Pick<QueryRouter, 'paths' | 'run'>,
    methods: readonly GrpcMethod[],
    private readonly log: Logger,
  ) {
    const pkg = loadDescriptors()
    const services = servicesOf(pkg)
    const handlers = new Map<string, Handler>()
    for (const path of queries.paths()) handlers.set(path, this.queryHandler(path))
    for (const m of methods) handlers.set(m.path, this.methodHandler(m))
    const described = new Set<string>()
    this.served = []
    for (const [name, service] of services) {
      if (name === HEALTH_SERVICE) continue
      const definitions = Object.entries(service)
      if (!definitions.some(([, d]) => handlers.has(d.path))) continue // a Msg service: txs, not calls
      const impl: UntypedServiceImplementation = {}
      const definition: Record<string, MethodDefinition<object, object>> = {}
      for (const [method, d] of definitions) {
        const handler = handlers.get(d.path)
        if (!handler) throw new Error(`gRPC: ${d.path} is described in proto/ but nothing serves it`)
        described.add(d.path)
        definition[method] = { ...(d as MethodDefinition<object, object>), ...rawBytes } as MethodDefinition<object, object>
        impl[method] = handler
      }
      this.server.addService(definition as ServiceDefinition, impl)
      this.served.push(name)
    }
    const missing = [...handlers.keys()].filter((p) => !described.has(p))
    if (missing.length > 0) throw new Error(`gRPC: no descriptor in proto/ for ${missing.join(', ')} (reflection could not describe them)`)
    this.health = new HealthImplementation(Object.fromEntries(['', ...this.served].map((s) => [s, 'SERVING'])))
    this.health.addToServer(this.server)
    new ReflectionService(selfContainedDescriptors(pkg), { services: [...this.served, HEALTH_SERVICE] }).addToServer(this.server)
  }

  /** The full names of the services answered (health and reflection aside). */
  services(): readonly string[] {
    return this.served
  }

  /** Starts listening on `host:port`; resolves to the bound port. */
  listen(address: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.bindAsync(address, ServerCredentials.createInsecure(), (err, port) => {
        if (err) return reject(new Error(`gRPC cannot listen on ${address}: ${err.message}`))
        this.log.info(`gRPC on ${address}: ${this.served.join(', ')}, health and reflection`)
        resolve(port)
      })
    })
  }

  /** Health turns NOT_SERVING (watchers hear it), calls under way finish, then the server stops. */
  close(): Promise<void> {
    for (const s of ['', ...this.served]) this.health.setStatus(s, 'NOT_SERVING')
    return new Promise((resolve) => {
      // Health watch streams never end by themselves: past a moment, cut what is left.
      const force = setTimeout(() => this.server.forceShutdown(), 1_000).unref()
      this.server.tryShutdown(() => {
        clearTimeout(force)
        resolve()
      })
    })
  }

  private queryHandler(path: string): Handler {
    return (call, callback) => {
      void (async () => {
        try {
          const { value, height } = await this.queries.run(path, call.request, requestedHeight(call.metadata))
          const header = new Metadata()
          header.set(HEIGHT_HEADER, height.toString())
          call.sendMetadata(header)
          callback(null, value)
        } catch (err) {
          callback(grpcStatus(err))
        }
      })()
    }
  }

  private methodHandler(method: GrpcMethod): Handler {
    return (call, callback) => {
      method.handle(call.request).then(
        (value) => callback(null, value),
        (err) => callback(grpcStatus(err)),
      )
    }
  }
}
