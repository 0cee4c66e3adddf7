import { parseModelCid } from '../../../modelHub/cid.ts'
import { ErrInvalidCid } from '../../../modelHub/errors.ts'
import { ErrInvalidModelCid } from '../errors.ts'

/**
 * A model CID as the chain takes it (a request's, a registration's): its canonical base32 form,
 * or ErrInvalidModelCid saying what is wrong — the hub's rules, reported in the chain's
 * codespace.
 * @example chainModelCid('bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq')
 */
export function chainModelCid(text: string): string {
  try {
    return parseModelCid(text)
  } catch (err) {
    if (ErrInvalidCid.is(err)) throw ErrInvalidModelCid.with(err.message.slice(ErrInvalidCid.description.length + 2))
    throw err
  }
}
