import assert from 'node:assert/strict'
import { test } from 'node:test'
import { rawSecp256k1PubkeyToRawAddress } from '@cosmjs/amino'
import { PubKey } from 'cosmjs-types/cosmos/crypto/secp256k1/keys'
import secp256k1 from 'secp256k1'
import { initCrypto, keccak256, sha256 } from '../../../app/crypto.ts'
import { AppError } from '../../../app/errors.ts'
import { parseBech32Address, toBech32Address } from '../../../app/modules/auth/address.ts'
import { decodeSignerPubKey, PUBKEY_TYPES, verifySignature } from '../../../app/modules/auth/pubkey.ts'
import { devAccounts } from '../../../app/modules/evm/devAccounts.ts'

const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n
const dev = devAccounts(1)[0]!
const priv = Buffer.from(dev.privateKey.slice(2), 'hex')
const compressed = secp256k1.publicKeyCreate(priv, true)
const any = (typeUrl: string, key: Uint8Array) => ({ typeUrl, value: PubKey.encode({ key }).finish() })

test('key types: an ethsecp256k1 key controls its Ethereum address, a secp256k1 key its Cosmos (ripemd160) address', async () => {
  await initCrypto()
  const eth = decodeSignerPubKey(any(PUBKEY_TYPES.ethsecp256k1, compressed))
  assert.equal(eth.address.toString(), dev.address.toLowerCase())
  const cosmos = decodeSignerPubKey(any(PUBKEY_TYPES.secp256k1, compressed))
  assert.deepEqual(cosmos.address.bytes, rawSecp256k1PubkeyToRawAddress(compressed))
  // Ethermint's older name for the eth key type works the same
  assert.equal(decodeSignerPubKey(any('/ethermint.crypto.v1.ethsecp256k1.PubKey', compressed)).type, 'ethsecp256k1')
})

test('malformed keys are refused with the SDK invalid-pubkey error naming the problem', async () => {
  await initCrypto()
  const offCurve = Uint8Array.of(2, ...new Uint8Array(32).fill(0xff))
  const cases: [ReturnType<typeof any>, RegExp][] = [
    [
      any('/cosmos.crypto.ed25519.PubKey', compressed),
      /key type \/cosmos.crypto.ed25519.PubKey is not supported; use \/cosmos.crypto.secp256k1.PubKey or \/cosmos.evm.crypto.v1.ethsecp256k1.PubKey/,
    ],
    [any(PUBKEY_TYPES.secp256k1, compressed.subarray(0, 32)), /must hold a 33-byte compressed secp256k1 point, got 32 bytes/],
    [any(PUBKEY_TYPES.secp256k1, offCurve), /got 33 bytes that are not on the curve/],
    [any(PUBKEY_TYPES.ethsecp256k1, offCurve), /got 33 bytes that are not on the curve/],
    [{ typeUrl: PUBKEY_TYPES.secp256k1, value: Uint8Array.of(0x0a, 0x40) }, /does not decode/],
  ]
  for (const [key, message] of cases) {
    assert.throws(
      () => decodeSignerPubKey(key),
      (err: unknown) => err instanceof AppError && err.codespace === 'sdk' && err.code === 8 && message.test(err.message),
    )
  }
})

test('signatures: sha256 for secp256k1 keys, keccak256 for ethsecp256k1 keys; high s and wrong lengths fail', async () => {
  await initCrypto()
  const msg = new TextEncoder().encode('sign doc bytes')
  const cosmos = decodeSignerPubKey(any(PUBKEY_TYPES.secp256k1, compressed))
  const eth = decodeSignerPubKey(any(PUBKEY_TYPES.ethsecp256k1, compressed))
  const sigSha = secp256k1.ecdsaSign(sha256(msg), priv)
  const sigKeccak = secp256k1.ecdsaSign(keccak256(msg), priv)
  assert.equal(verifySignature(cosmos, msg, sigSha.signature), true)
  assert.equal(verifySignature(cosmos, msg, sigKeccak.signature), false, 'a secp256k1 key signs sha256')
  assert.equal(verifySignature(eth, msg, sigKeccak.signature), true)
  assert.equal(
    verifySignature(eth, msg, Uint8Array.of(...sigKeccak.signature, sigKeccak.recid)),
    true,
    'a 65th (recovery) byte is allowed for eth keys',
  )
  assert.equal(verifySignature(cosmos, msg, Uint8Array.of(...sigSha.signature, sigSha.recid)), false)
  assert.equal(verifySignature(eth, msg, sigKeccak.signature.subarray(0, 63)), false)
  // the malleable twin (r, n - s) is refused
  const s = BigInt(`0x${Buffer.from(sigSha.signature.subarray(32)).toString('hex')}`)
  const high = Uint8Array.from(sigSha.signature)
  high.set(Buffer.from((N - s).toString(16).padStart(64, '0'), 'hex'), 32)
  assert.equal(verifySignature(cosmos, msg, high), false)
})

test('bech32 and 0x are the same 20 bytes; foreign prefixes and bad checksums are refused', () => {
  const address = parseBech32Address(toBech32Address(Buffer.from(dev.address.slice(2), 'hex')))
  assert.equal(address.toString(), dev.address.toLowerCase())
  assert.throws(
    () => parseBech32Address('cosmos1qypqxpq9qcrsszg2pvxq6rs0zqg3yyc5lzv7xu'),
    /has prefix "cosmos"; PIPE addresses start with "pipe1"/,
  )
  const good = toBech32Address(new Uint8Array(20).fill(1))
  assert.throws(() => parseBech32Address(good.slice(0, -1) + (good.endsWith('q') ? 'p' : 'q')), /is not bech32/)
  assert.throws(() => parseBech32Address(''), /address is empty/)
  assert.throws(() => parseBech32Address(toBech32Address(new Uint8Array(32))), /holds 32 bytes, not 20/)
})
