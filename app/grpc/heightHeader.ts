import type { Metadata } from '@grpc/grpc-js'
import { invalidArgument } from '../queryError.ts'

/**
 * The metadata key a Cosmos SDK node reads a query's height from, and answers the height it
 * queried in (as a response header).
 */
export const HEIGHT_HEADER = 'x-cosmos-block-height'

/**
 * The height a call asks for: 0 (the latest committed one) without the header, else the
 * header's non-negative decimal integer.
 * @throws InvalidArgument for a header that is not one, or given twice
 * @example requestedHeight(metadata) // 12n
 */
export function requestedHeight(metadata: Metadata): bigint {
  const values = metadata.get(HEIGHT_HEADER)
  if (values.length === 0) return 0n
  if (values.length > 1) throw invalidArgument(`${HEIGHT_HEADER} given ${values.length} times`)
  const text = values[0]!.toString().trim()
  if (!/^\d{1,19}$/.test(text)) throw invalidArgument(`${HEIGHT_HEADER} must be a non-negative integer, got "${text}"`)
  return BigInt(text)
}
