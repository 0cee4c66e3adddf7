import assert from 'node:assert/strict'
import { test } from 'node:test'
import { nextBaseFee } from '../../../app/modules/evm/feeMarket.ts'
import { MIN_BASE_FEE } from '../../../app/modules/evm/params.ts'

const gasLimit = 30_000_000n
const gwei = 10n ** 9n

test('EIP-1559 base fee: unchanged at target, ±12.5% at empty/full blocks', () => {
  assert.equal(nextBaseFee({ baseFee: gwei, gasUsed: gasLimit / 2n, gasLimit }), gwei)
  assert.equal(nextBaseFee({ baseFee: gwei, gasUsed: gasLimit, gasLimit }), 1_125_000_000n)
  assert.equal(nextBaseFee({ baseFee: gwei, gasUsed: 0n, gasLimit }), 875_000_000n)
  assert.equal(nextBaseFee({ baseFee: gwei, gasUsed: 20_000_000n, gasLimit }), 1_041_666_666n)
})

test('base fee rises by at least 1 wei above target and never falls below the floor', () => {
  assert.equal(nextBaseFee({ baseFee: MIN_BASE_FEE, gasUsed: gasLimit / 2n + 1n, gasLimit }), MIN_BASE_FEE + 1n)
  assert.equal(nextBaseFee({ baseFee: MIN_BASE_FEE, gasUsed: 0n, gasLimit }), MIN_BASE_FEE)
})
