import type { StoredBlock } from './blockStore.ts'
import { BASE_FEE_MAX_CHANGE_DENOMINATOR, ELASTICITY_MULTIPLIER, MIN_BASE_FEE } from './params.ts'

/**
 * Gas a block used, both kinds of tx: its Ethereum txs (the header's gasUsed) and its Cosmos
 * txs, so a block full of either raises the base fee alike.
 */
export function blockGasUsed(block: StoredBlock): bigint {
  return block.header.gasUsed + block.cosmosGasUsed
}

/** The base fee of the block after `block`. */
export function baseFeeAfter(block: StoredBlock): bigint {
  return nextBaseFee({ baseFee: block.header.baseFeePerGas ?? 0n, gasUsed: blockGasUsed(block), gasLimit: block.header.gasLimit })
}

/**
 * EIP-1559 base fee of the block after `parent`
 * (https://eips.ethereum.org/EIPS/eip-1559), never below {@link MIN_BASE_FEE}.
 * @example nextBaseFee({ baseFee: 10n ** 9n, gasUsed: 0n, gasLimit: 30_000_000n }) // 875000000n
 */
export function nextBaseFee(parent: { baseFee: bigint; gasUsed: bigint; gasLimit: bigint }): bigint {
  const target = parent.gasLimit / ELASTICITY_MULTIPLIER
  let next: bigint
  if (parent.gasUsed === target || target === 0n) {
    next = parent.baseFee
  } else if (parent.gasUsed > target) {
    const delta = (parent.baseFee * (parent.gasUsed - target)) / target / BASE_FEE_MAX_CHANGE_DENOMINATOR
    next = parent.baseFee + (delta > 1n ? delta : 1n)
  } else {
    const delta = (parent.baseFee * (target - parent.gasUsed)) / target / BASE_FEE_MAX_CHANGE_DENOMINATOR
    next = parent.baseFee - delta
  }
  return next < MIN_BASE_FEE ? MIN_BASE_FEE : next
}
