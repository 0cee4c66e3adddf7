import { bigIntToHex, bytesToHex } from '@ethereumjs/util'
import type { InferenceRecord } from '../../modules/inference/block/inferenceRecord.ts'
import type { ModelOutput } from '../../modules/inference/precompile/abi.ts'
import { decodeModelOutput } from '../../modules/inference/precompile/abiDecoder.ts'
import { modeName } from '../../modules/inference/types/verificationMode.ts'
import type { RpcMethod } from '../context.ts'
import { arity, hash32 } from '../params.ts'

/** value × 10^-decimals as an exact decimal string. */
export function decimalString(value: bigint, decimals: bigint): string {
  const negative = value < 0n
  const digits = (negative ? -value : value).toString().padStart(Number(decimals) + 1, '0')
  const d = Number(decimals)
  const whole = d === 0 ? digits : digits.slice(0, -d)
  const frac = d === 0 ? '' : digits.slice(-d).replace(/0+$/, '')
  return `${negative ? '-' : ''}${whole}${frac ? `.${frac}` : ''}`
}

function formatOutput(output: ModelOutput): Record<string, unknown> {
  return {
    numbers: output.numbers.map((t) => ({
      name: t.name,
      shape: [...t.shape],
      values: t.values.map((v) => decimalString(v.value, v.decimals)),
    })),
    strings: output.strings.map((t) => ({ name: t.name, values: [...t.values] })),
    jsons: output.jsons,
  }
}

function formatRecord(r: InferenceRecord): Record<string, unknown> {
  return {
    inferenceId: bytesToHex(r.inferenceId),
    transactionHash: bytesToHex(r.txHash),
    blockNumber: bigIntToHex(r.height),
    index: r.index,
    modelCid: r.modelCid,
    mode: modeName(r.mode),
    inputHash: bytesToHex(r.inputHash),
    status: r.status,
    output: r.output.length > 0 ? { abi: bytesToHex(r.output), ...formatOutput(decodeModelOutput(r.output)) } : null,
  }
}

/** PIPE's inference queries: where a pending tx stands, and the recorded inferences. */
export const inferenceMethods: Record<string, RpcMethod> = {
  /**
   * A tx's inference status: in the mempool (plain, simulating, running, ready, failed with its
   * reason), `included` once in a block, or null when this node never saw it.
   */
  pipe_getInferenceStatus: async (p, ctx) => {
    arity(p, 1)
    const hash = hash32(p[0], 'txHash')
    const hashHex = bytesToHex(hash)
    const mined = await ctx.evm.blocks.tx(hash)
    if (mined) {
      const records = await ctx.app.inference.keeper.recordsOfTx(hash)
      return {
        transactionHash: hashHex,
        state: 'included',
        blockNumber: bigIntToHex(mined.height),
        inferences: records.map((r) => bytesToHex(r.inferenceId)),
      }
    }
    const s = ctx.app.inference.mempool.status(hashHex)
    if (!s) return null
    return {
      transactionHash: hashHex,
      state: s.state,
      round: s.round,
      reason: s.reason ?? null,
      error: s.error ? { codespace: s.error.codespace, code: s.error.code } : null,
      requests: s.requests.map((r) => ({
        key: r.keyHex,
        modelCid: r.modelCid,
        mode: modeName(r.mode),
        inputHash: bytesToHex(r.inputHash),
        computed: s.results.has(r.keyHex),
      })),
    }
  },
  pipe_getInference: async (p, ctx) => {
    arity(p, 1)
    const record = await ctx.app.inference.keeper.record(hash32(p[0], 'inferenceId'))
    return record ? formatRecord(record) : null
  },
  pipe_getInferencesByTransaction: async (p, ctx) => {
    arity(p, 1)
    return (await ctx.app.inference.keeper.recordsOfTx(hash32(p[0], 'txHash'))).map(formatRecord)
  },
}
