import { VerificationMode } from '../../../proto/pipe/inference/v1/types.ts'

export { VerificationMode }

/**
 * How an inference result is verified: VANILLA (0), ZKML (1) or TEE (2). The numbers are the
 * precompile ABI's `ModelInferenceMode`, so a mode means the same thing in a contract call, a
 * results tx and a registration (proto/pipe/inference/v1/types.proto). OpenGradient's Solidity
 * enum spells ZKML `ZK` (contracts/OGInference.sol keeps that spelling so contracts written for
 * OpenGradient compile unchanged); everything else here says ZKML.
 */
const NAMES: Readonly<Record<number, string>> = {
  [VerificationMode.VERIFICATION_MODE_VANILLA]: 'VANILLA',
  [VerificationMode.VERIFICATION_MODE_ZKML]: 'ZKML',
  [VerificationMode.VERIFICATION_MODE_TEE]: 'TEE',
}

/** Every mode, ascending. */
export const VERIFICATION_MODES: readonly VerificationMode[] = [
  VerificationMode.VERIFICATION_MODE_VANILLA,
  VerificationMode.VERIFICATION_MODE_ZKML,
  VerificationMode.VERIFICATION_MODE_TEE,
]

/**
 * The mode's name as users see it in JSON-RPC answers, events and errors.
 * @example modeName(1) // 'ZKML'
 */
export function modeName(mode: number): string {
  return NAMES[mode] ?? `mode ${mode}`
}
