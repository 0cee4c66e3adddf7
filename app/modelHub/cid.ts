import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'
import { ErrInvalidCid } from './errors.ts'

/**
 * Model CIDs: IPFS CIDv1, codec raw (0x55), multihash sha2-256, printed in base32 (`bafkrei…`).
 * That is the CID `ipfs add --cid-version 1 --raw-leaves` gives a file of one block, and it is a
 * pure function of the bytes, so every node computes the same CID for the same model.
 * https://github.com/multiformats/cid
 */

/**
 * The CID of a model's bytes.
 * @example await modelCid(new TextEncoder().encode('hello')) // 'bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq'
 */
export async function modelCid(bytes: Uint8Array): Promise<string> {
  return CID.create(1, raw.code, await sha256.digest(bytes)).toString()
}

/**
 * Checks that `text` is a model CID and returns its canonical base32 form (the form file names
 * and API answers use). Throws ErrInvalidCid naming what is wrong.
 * @example parseModelCid('bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq')
 */
export function parseModelCid(text: string): string {
  if (typeof text !== 'string' || text.length === 0) throw ErrInvalidCid.with('the CID is empty')
  // Longer than any sha2-256 CID in any base: refuse before decoding.
  if (text.length > 128) throw ErrInvalidCid.with(`"${text.slice(0, 32)}…" is ${text.length} characters, longer than any model CID`)
  let cid: CID
  try {
    cid = CID.parse(text)
  } catch {
    // multiformats' own reason (about multibase decoders) does not help here.
    throw ErrInvalidCid.with(`"${text}" is not a CID; model CIDs look like bafkrei… (CIDv1, raw, sha2-256, base32)`)
  }
  if (cid.version !== 1 || cid.code !== raw.code || cid.multihash.code !== sha256.code) {
    throw ErrInvalidCid.with(
      `"${text}" is a CIDv${cid.version} with codec 0x${cid.code.toString(16)} and hash 0x${cid.multihash.code.toString(16)}; ` +
        'model CIDs are CIDv1 with codec raw (0x55) and sha2-256 (0x12), as printed by `pipe model upload`',
    )
  }
  return cid.toString()
}
