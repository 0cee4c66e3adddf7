import { AppError } from './errors.ts'
import { ErrSdkInvalidRequest, ErrSdkKeyNotFound, ErrSdkUnknownRequest } from './sdkErrors.ts'

/** The gRPC status codes queries answer with (https://grpc.github.io/grpc/core/md_doc_statuscodes.html). */
export const GrpcCode = { InvalidArgument: 3, NotFound: 5, Unimplemented: 12, Unavailable: 14 } as const
export type GrpcCode = (typeof GrpcCode)[keyof typeof GrpcCode]
const NAMES: Record<GrpcCode, string> = { 3: 'InvalidArgument', 5: 'NotFound', 12: 'Unimplemented', 14: 'Unavailable' }

/**
 * A query's failure as a gRPC status, carried over ABCI the way the Cosmos SDK carries it: the
 * SDK error its status maps to (NotFound → `sdk` 22, InvalidArgument → `sdk` 18) and the log
 * `rpc error: code = NotFound desc = …`, which is what cosmjs matches to tell "no such
 * account" from a failure. The gRPC server sends `grpcCode` as it is.
 */
export class QueryError extends AppError {
  override readonly name = 'QueryError'
  constructor(
    readonly grpcCode: GrpcCode,
    readonly description: string,
  ) {
    const sdk =
      grpcCode === GrpcCode.NotFound
        ? ErrSdkKeyNotFound
        : grpcCode === GrpcCode.InvalidArgument
          ? ErrSdkInvalidRequest
          : ErrSdkUnknownRequest
    super(sdk.codespace, sdk.code, `rpc error: code = ${NAMES[grpcCode]} desc = ${description}: ${sdk.description}`)
  }
}

/** @example throw notFound(`account ${address} not found`) */
export const notFound = (description: string) => new QueryError(GrpcCode.NotFound, description)
export const invalidArgument = (description: string) => new QueryError(GrpcCode.InvalidArgument, description)
export const unimplemented = (description: string) => new QueryError(GrpcCode.Unimplemented, description)
export const unavailable = (description: string) => new QueryError(GrpcCode.Unavailable, description)

/** Runs a request check, turning the AppError it throws into InvalidArgument. */
export function asInvalidArgument<T>(check: () => T): T {
  try {
    return check()
  } catch (err) {
    if (err instanceof QueryError) throw err
    throw invalidArgument(err instanceof AppError ? err.message : String(err))
  }
}
