import type { AppError } from '../../../errors.ts'
import type { Model } from '../../../proto/pipe/inference/v1/types.ts'
import { ErrModeUnavailable } from '../errors.ts'
import type { ModeRules } from '../precompile/inferenceCalls.ts'
import { chainModelCid } from '../types/modelCid.ts'
import { modeName, VerificationMode } from '../types/verificationMode.ts'

/**
 * Which verification modes a model may be asked for, by its committed registration:
 * - VANILLA: any model in the hub, unless its registration lists modes without VANILLA;
 * - ZKML: only a model registered with ZKML (its circuit and verifying key are on chain);
 * - TEE: not offered yet.
 * Committed state only, so the precompile's answer is the same in simulation, ProcessProposal
 * and FinalizeBlock. Lookups are kept until the next commit (registrations only appear then).
 */
export class RegisteredModes implements ModeRules {
  private readonly seen = new Map<string, Model | undefined>()

  constructor(private readonly registry: { committedModel(cid: string): Promise<Model | undefined> }) {}

  async refusal(modelCid: string, mode: number): Promise<AppError | undefined> {
    if (mode === VerificationMode.VERIFICATION_MODE_TEE)
      return ErrModeUnavailable.with('TEE inference is not offered yet; use VANILLA or ZK')
    if (mode !== VerificationMode.VERIFICATION_MODE_VANILLA && mode !== VerificationMode.VERIFICATION_MODE_ZKML) {
      return ErrModeUnavailable.with(`mode ${mode} is not a verification mode (VANILLA = 0, ZK = 1, TEE = 2)`)
    }
    let cid: string
    try {
      cid = chainModelCid(modelCid)
    } catch (err) {
      // VANILLA requests with a bad CID are refused where the model is looked up, as before.
      return mode === VerificationMode.VERIFICATION_MODE_VANILLA ? undefined : (err as AppError)
    }
    const model = await this.registration(cid)
    const listed = model ? model.modes.map(modeName).join(', ') : ''
    if (mode === VerificationMode.VERIFICATION_MODE_VANILLA) {
      return !model || model.modes.includes(mode)
        ? undefined
        : ErrModeUnavailable.with(`model ${cid} is registered for ${listed} only, not VANILLA`)
    }
    if (!model) {
      return ErrModeUnavailable.with(`model ${cid} is not registered for ZKML; register it with \`npx pipe model register ${cid} --zk\``)
    }
    return model.modes.includes(mode) ? undefined : ErrModeUnavailable.with(`model ${cid} is registered for ${listed} only, not ZKML`)
  }

  /** Commit wrote a block: registrations may have appeared. */
  blockCommitted(): void {
    this.seen.clear()
  }

  private async registration(cid: string): Promise<Model | undefined> {
    if (this.seen.has(cid)) return this.seen.get(cid)
    const model = await this.registry.committedModel(cid)
    if (this.seen.size >= 10_000) this.seen.clear()
    this.seen.set(cid, model)
    return model
  }
}
