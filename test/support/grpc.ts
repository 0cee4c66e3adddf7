import { Client, credentials, Metadata, type ServiceError } from '@grpc/grpc-js'

/** What a unary gRPC call answered: the response bytes and the response headers. */
export interface GrpcAnswer {
  value: Uint8Array
  header: Metadata
}

/**
 * A plain @grpc/grpc-js client for calling any method by path with bytes a codec encoded, the
 * way a generated client would send them.
 * @example const c = grpcClient(chain.net.endpoints(0).grpc); await c.call('/cosmos.bank.v1beta1.Query/Balance', bytes)
 */
export function grpcClient(address: string) {
  const client = new Client(address, credentials.createInsecure())
  return {
    /** Calls `path`; rejects with the ServiceError (code, details) of a failed call. */
    call(path: string, request: Uint8Array, headers: Record<string, string> = {}): Promise<GrpcAnswer> {
      const metadata = new Metadata()
      for (const [k, v] of Object.entries(headers)) metadata.set(k, v)
      return new Promise((resolve, reject) => {
        let header = new Metadata()
        const call = client.makeUnaryRequest(
          path,
          (b: Uint8Array) => Buffer.from(b),
          (b: Buffer) => new Uint8Array(b),
          request,
          metadata,
          { deadline: Date.now() + 60_000 },
          (err: ServiceError | null, value?: Uint8Array) => (err ? reject(err) : resolve({ value: value!, header })),
        )
        call.on('metadata', (m: Metadata) => {
          header = m
        })
      })
    },
    close: () => client.close(),
  }
}

export type GrpcClient = ReturnType<typeof grpcClient>
