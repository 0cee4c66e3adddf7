import { decodeResultsTx, encodeResultsTx, isResultsTx } from '../modules/inference/block/resultsTx.ts'
import { decodeModelOutput } from '../modules/inference/precompile/abiDecoder.ts'
import { encodeModelOutput } from '../modules/inference/precompile/abiEncoder.ts'
import type { InferenceResult } from '../modules/inference/types/result.ts'
import { VerificationMode } from '../modules/inference/types/verificationMode.ts'
import { decodeZkProof, encodeZkProof } from '../modules/inference/verification/zkProof.ts'

/**
 * TEST ONLY (`--test-byzantine-proposer`): how a byzantine proposer corrupts the results of its
 * honest proposal, so tests can show that validators reject such proposals and the chain
 * goes on with the honest proposers.
 * - `forge-proofs`: one byte of every proof flipped (it still decodes, and must fail to verify);
 * - `strip-proofs`: every ZKML result sent without its proof;
 * - `forge-vanilla-outputs`: the first value of every VANILLA output raised by one unit.
 */
export type ByzantineProposer = 'forge-proofs' | 'strip-proofs' | 'forge-vanilla-outputs'

export const BYZANTINE_PROPOSERS: readonly ByzantineProposer[] = ['forge-proofs', 'strip-proofs', 'forge-vanilla-outputs']

/** `txs` (an honest proposal) with its results tx's results corrupted as `how` says. */
export function byzantineProposal(txs: Uint8Array[], how: ByzantineProposer): Uint8Array[] {
  const [first, ...rest] = txs
  if (!first || !isResultsTx(first)) return txs
  const target = how === 'forge-vanilla-outputs' ? VerificationMode.VERIFICATION_MODE_VANILLA : VerificationMode.VERIFICATION_MODE_ZKML
  const results = decodeResultsTx(first).map((r) => (r.mode === target ? corrupt(r, how) : r))
  return [encodeResultsTx(results), ...rest]
}

function corrupt(r: InferenceResult, how: ByzantineProposer): InferenceResult {
  if (how === 'forge-vanilla-outputs') {
    const output = decodeModelOutput(r.output)
    const first = output.numbers[0]?.values[0]
    if (first) first.value += 1n
    return { ...r, output: encodeModelOutput(output) }
  }
  if (how === 'strip-proofs') return { ...r, artefact: new Uint8Array(0) }
  const proof = decodeZkProof(r.artefact)
  const forged = Uint8Array.from(proof.proof)
  forged[forged.length >> 1] = forged[forged.length >> 1]! ^ 0x01
  return { ...r, artefact: encodeZkProof({ ...proof, proof: forged }) }
}
