import assert from 'node:assert/strict'
import { before, test } from 'node:test'
import { type Common, createCustomCommon, Hardfork, Mainnet } from '@ethereumjs/common'
import { createLegacyTx } from '@ethereumjs/tx'
import { hexToBytes, type PrefixedHexString } from '@ethereumjs/util'
import { initCrypto, keccak256 } from '../../../app/crypto.ts'
import { AppError } from '../../../app/errors.ts'
import { createChainCommon, createTxCommon } from '../../../app/modules/evm/chainConfig.ts'
import { devAccounts } from '../../../app/modules/evm/devAccounts.ts'
import { decodeEthTx, type EthTx, EthTxCache } from '../../../app/modules/evm/ethTx.ts'
import { transfer } from '../../support/inProcessApp.ts'
import { raw1559, SECP256K1_N } from '../../support/rawTx.ts'

let common: Common
before(async () => {
  await initCrypto()
  common = createChainCommon()
})

function code(fn: () => unknown): [number, string] {
  try {
    fn()
  } catch (err) {
    assert.ok(err instanceof AppError, `expected an AppError, got ${err}`)
    return [err.code, err.message]
  }
  assert.fail('expected an error')
}

test('decodes a signed tx, recovering the sender and hashing the exact bytes', () => {
  const raw = transfer(0, 3n)
  const eth = decodeEthTx(raw, common)
  assert.equal(eth.sender.toString(), devAccounts(1)[0]!.address.toLowerCase())
  assert.equal(eth.tx.nonce, 3n)
  assert.deepEqual(eth.hash, keccak256(raw))
})

test('each malformed tx gets its own code and message', () => {
  assert.deepEqual(code(() => decodeEthTx(Uint8Array.from([0xde, 0xad, 0xbe, 0xef]), common))[0], 2)
  assert.match(code(() => decodeEthTx(new Uint8Array(0), common))[1], /empty transaction/)
  assert.match(code(() => decodeEthTx(Uint8Array.from([0x02, 0xc0]), common))[1], /expected 12 fields, got 0/)
  const [typeCode, typeMsg] = code(() => decodeEthTx(Uint8Array.from([0x03, 0xc0]), common))
  assert.equal(typeCode, 13)
  assert.match(typeMsg, /type 3 \(EIP-4844 blob\)/)
  assert.equal(code(() => decodeEthTx(new Uint8Array(128 * 1024 + 1).fill(0xc0), common))[0], 11)
  const [chainCode, chainMsg] = code(() => decodeEthTx(raw1559({ chainId: 1n, r: 1n, s: 1n }), common))
  assert.equal(chainCode, 3)
  assert.match(chainMsg, /tx is for chain 1, this chain is 1337/)
  assert.equal(code(() => decodeEthTx(raw1559({ r: 0n, s: 0n }), common))[0], 5)
  const [highS, highSMsg] = code(() => decodeEthTx(raw1559({ r: 1n, s: SECP256K1_N - 1n }), common))
  assert.equal(highS, 5)
  assert.match(highSMsg, /s-values greater than secp256k1n\/2/)
})

test('a legacy tx signed without EIP-155 is refused as unprotected', () => {
  const homestead = createCustomCommon({ chainId: 1337 }, Mainnet, { hardfork: Hardfork.Homestead })
  const key = hexToBytes(devAccounts(1)[0]!.privateKey as PrefixedHexString)
  const raw = createLegacyTx(
    { nonce: 0n, to: devAccounts(2)[1]!.address, value: 1n, gasLimit: 21000n, gasPrice: 10n ** 10n },
    { common: homestead },
  )
    .sign(key)
    .serialize()
  const [c, msg] = code(() => decodeEthTx(raw, common))
  assert.equal(c, 4)
  assert.match(msg, /EIP-155/)
})

test('the tx cache returns the same decoded object for the same bytes, and forgets on request', () => {
  const cache = new EthTxCache(createTxCommon(common), 2)
  const raw = transfer(1, 0n)
  const a = cache.decode(raw)
  assert.equal(cache.decode(raw), a)
  cache.forget(a.hash)
  assert.notEqual(cache.decode(raw), a)
  cache.decode(transfer(1, 1n))
  cache.decode(transfer(1, 2n))
  assert.equal(cache.size, 2, 'bounded')
})

test('the tx cache finds a copy of the same bytes without hashing, and never confuses different bytes with the same signature', () => {
  const cache = new EthTxCache(createTxCommon(common))
  const raw = transfer(1, 5n)
  const a = cache.decode(raw)
  assert.equal(cache.decode(Uint8Array.from(raw)), a, 'a copy of the bytes is the same tx')
  // Same length and same trailing signature bytes, one byte changed in the middle (the nonce):
  // a different tx (or an invalid one), never the cached decoding.
  const tampered = Uint8Array.from(raw)
  tampered[Math.floor(raw.length / 2)]! ^= 0x01
  let other: EthTx | undefined
  try {
    other = cache.decode(tampered)
  } catch {
    other = undefined
  }
  assert.notEqual(other, a)
  if (other) assert.notDeepEqual(other.hash, a.hash)
  cache.forget(a.hash)
  assert.notEqual(cache.decode(raw), a, 'forgotten by hash, also for the byte lookup')
})

test('txs share one Common: decoding does not copy it per tx, and VMs never subscribe to it', () => {
  const txCommon = createTxCommon(common)
  const cache = new EthTxCache(txCommon)
  const a = cache.decode(transfer(1, 10n))
  const b = cache.decode(transfer(1, 11n))
  assert.equal(a.tx.common, txCommon)
  assert.equal(b.tx.common, txCommon)
  assert.equal(a.tx.common.param('txGas'), 21000n, 'tx params were merged once')
})
