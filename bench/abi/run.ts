/**
 * The precompile's ABI codec (app/modules/inference/precompile/abiEncoder.ts and abiDecoder.ts) against viem, ms per call.
 *
 *   node --import tsx bench/abi/run.ts [--ms 200]
 *
 * For a 256-element and a 16-element tensor (one input tensor, and an output tensor of the same
 * size): decode runModelInference calldata, encode the input (as hashed), encode and decode the
 * output. The viem side does what the code did before: hex conversion included. Each case runs
 * for about `--ms` ms after a warm-up of half that, on one thread.
 */
import { bytesToHex, hexToBytes } from '@ethereumjs/util'
import { decodeAbiParameters, decodeFunctionData, encodeAbiParameters, encodeFunctionData, type Hex } from 'viem'
import {
  type ModelInferenceRequest,
  type ModelOutput,
  modelInputParam,
  modelOutputParam,
  ogInferenceAbi,
} from '../../app/modules/inference/precompile/abi.ts'
import { decodeInferenceCall, decodeModelOutput } from '../../app/modules/inference/precompile/abiDecoder.ts'
import { encodeModelInput, encodeModelOutput } from '../../app/modules/inference/precompile/abiEncoder.ts'

const args = process.argv.slice(2)
const budgetMs = args.includes('--ms') ? Number(args[args.indexOf('--ms') + 1]) : 200

/** Mean ms per call of `fn`, run for about `budgetMs` ms after a warm-up of half that (so the JIT has optimised it). */
function msPerCall(fn: () => unknown): number {
  runFor(fn, budgetMs / 2)
  return runFor(fn, budgetMs)
}

function runFor(fn: () => unknown, ms: number): number {
  let calls = 0
  const start = performance.now()
  let now = start
  while (now - start < ms) {
    for (let i = 0; i < 10; i++) fn()
    calls += 10
    now = performance.now()
  }
  return (now - start) / calls
}

function workload(elements: number) {
  const values = Array.from({ length: elements }, (_, i) => ({ value: BigInt(i * 7919 - 1_000_000) * 10n ** 12n, decimals: 18n }))
  const call: ModelInferenceRequest = {
    mode: 0,
    modelCID: 'QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG',
    input: { numbers: [{ name: 'input', values, shape: [1, elements] }], strings: [] },
  }
  const output: ModelOutput = {
    numbers: [{ name: 'output', values, shape: [1, elements] }],
    strings: [],
    jsons: [],
    is_simulation_result: false,
  }
  const calldata = hexToBytes(encodeFunctionData({ abi: ogInferenceAbi, functionName: 'runModelInference', args: [call as never] }))
  return { call, output, calldata, outputBytes: encodeModelOutput(output) }
}

const rows: { case: string; viem: string; codec: string; speedup: string }[] = []
for (const elements of [256, 16]) {
  const w = workload(elements)
  const cases: [string, () => unknown, () => unknown][] = [
    [
      'decode call',
      () => decodeFunctionData({ abi: ogInferenceAbi, data: bytesToHex(w.calldata) as Hex }),
      () => decodeInferenceCall(w.calldata),
    ],
    [
      'encode input',
      () => hexToBytes(encodeAbiParameters([modelInputParam], [w.call.input as never])),
      () => encodeModelInput(w.call.input),
    ],
    ['encode output', () => hexToBytes(encodeAbiParameters([modelOutputParam], [w.output as never])), () => encodeModelOutput(w.output)],
    ['decode output', () => decodeAbiParameters([modelOutputParam], bytesToHex(w.outputBytes)), () => decodeModelOutput(w.outputBytes)],
  ]
  for (const [name, viem, codec] of cases) {
    const v = msPerCall(viem)
    const c = msPerCall(codec)
    rows.push({
      case: `${name} (${elements}, ${name === 'decode call' ? w.calldata.length : name.endsWith('input') ? encodeModelInput(w.call.input).length : w.outputBytes.length} B)`,
      viem: v.toFixed(4),
      codec: c.toFixed(4),
      speedup: `${(v / c).toFixed(0)}×`,
    })
  }
}
console.log(`ms per call (node ${process.version}, ~${budgetMs} ms a case)`)
console.table(rows)
