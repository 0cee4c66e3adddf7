import { Client, credentials, type ServiceError, status } from '@grpc/grpc-js'
import { CommandError } from './modelCommands.ts'

/** A protobuf message codec (ts-proto's MessageFns). */
interface Codec<T> {
  encode(message: T): { finish(): Uint8Array }
  decode(bytes: Uint8Array): T
}

/**
 * Unary calls to a node's gRPC server (`host:port`, 9090 + 10·i on a localnet) with the
 * codecs generated from proto/: what `pipe inference` and `pipe proof` read. Errors become
 * CommandErrors carrying the server's status and message.
 * @example await new GrpcQuery('127.0.0.1:9090').call('/pipe.inference.v1.Query/Proof', QueryProofRequest, QueryProofResponse, { inferenceId })
 */
export class GrpcQuery {
  private readonly client: Client

  constructor(readonly address: string) {
    this.client = new Client(address, credentials.createInsecure())
  }

  call<Req, Res>(path: string, req: Codec<Req>, res: Codec<Res>, message: Req): Promise<Res> {
    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest(
        path,
        (m: Req) => Buffer.from(req.encode(m).finish()),
        (b: Buffer) => res.decode(b),
        message,
        { deadline: Date.now() + 30_000 },
        (err: ServiceError | null, value?: Res) => {
          if (!err) return resolve(value as Res)
          const why =
            err.code === status.UNAVAILABLE ? `cannot reach the node's gRPC server at ${this.address}` : err.details || err.message
          reject(new CommandError(`${path}: ${why} [${status[err.code]}]`))
        },
      )
    })
  }

  close(): void {
    this.client.close()
  }
}
