import { status } from '@grpc/grpc-js'
import { ErrUnknownQuery } from '../abci/queryRouter.ts'
import { ErrInternal, type ErrorKind, toAppError } from '../errors.ts'
import { QueryError } from '../queryError.ts'

/** A failed call's gRPC status: what grpc-js sends as `grpc-status` and `grpc-message`. */
export interface GrpcStatus {
  code: status
  details: string
}

/**
 * An AppError as a gRPC status, the one place gRPC translates them: a QueryError is its own
 * status (NotFound, InvalidArgument …) with its description; any other AppError a query throws
 * is about the request it was given (Simulate's tx checks: bad signer, insufficient funds …),
 * so InvalidArgument, naming its codespace and code; anything else is Internal.
 * @example grpcStatus(notFound('account pipe1… not found')) // { code: NOT_FOUND, details: 'account pipe1… not found' }
 */
export function grpcStatus(err: unknown): GrpcStatus {
  const e = toAppError(err)
  if (e instanceof QueryError) return { code: e.grpcCode as number as status, details: e.description }
  const kind = (k: ErrorKind) => e.codespace === k.codespace && e.code === k.code
  if (kind(ErrUnknownQuery)) return { code: status.UNIMPLEMENTED, details: e.message }
  if (kind(ErrInternal)) return { code: status.INTERNAL, details: e.message }
  return { code: status.INVALID_ARGUMENT, details: `${e.message} (${e.codespace} ${e.code})` }
}
