import { fromBech32, toBech32 } from '@cosmjs/encoding'
import { Address } from '@ethereumjs/util'
import { asInvalidArgument } from '../../queryError.ts'
import { ErrSdkInvalidAddress } from '../../sdkErrors.ts'
import { BECH32_PREFIX } from './params.ts'

/**
 * One account, two spellings: `pipe1…` (bech32) and `0x…` are the same 20 bytes, so a Cosmos
 * wallet and an Ethereum wallet that hold the same key see the same account.
 * @example toBech32Address(Address.fromString('0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266')) // 'pipe17w0adeg64ky0daxwd2ugyuneellmjgnx…'
 */
export function toBech32Address(address: Address | Uint8Array): string {
  return toBech32(BECH32_PREFIX, address instanceof Address ? address.bytes : address)
}

/** Parses a `pipe1…` address; throws ErrSdkInvalidAddress saying what is wrong with it. */
export function parseBech32Address(text: string, field = 'address'): Address {
  if (text === '') throw ErrSdkInvalidAddress.with(`${field} is empty`)
  let decoded: { prefix: string; data: Uint8Array }
  try {
    decoded = fromBech32(text, 90)
  } catch (err) {
    throw ErrSdkInvalidAddress.with(`${field} "${text}" is not bech32: ${(err as Error).message}`)
  }
  if (decoded.prefix !== BECH32_PREFIX) {
    throw ErrSdkInvalidAddress.with(`${field} "${text}" has prefix "${decoded.prefix}"; PIPE addresses start with "${BECH32_PREFIX}1"`)
  }
  if (decoded.data.length !== 20) throw ErrSdkInvalidAddress.with(`${field} "${text}" holds ${decoded.data.length} bytes, not 20`)
  return new Address(decoded.data)
}

/** A query request's address: a malformed one is a gRPC InvalidArgument. */
export function queryAddress(text: string): Address {
  return asInvalidArgument(() => parseBech32Address(text))
}
