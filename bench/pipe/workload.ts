/**
 * The benchmark's transactions: a direct call to the inference precompile (EOA → 0x…F4) with a
 * distinct input per tx, for one cost model (`buildCostModel({ targetMs })`, input `x [batch, n]`).
 */
import { encodeFunctionData, type Hex } from 'viem'
import { ogInferenceAbi } from '../../app/modules/inference/precompile/abi.ts'

/**
 * Input of tx i: `width` TensorLib numbers with 3 decimals, all in [0, 0.999] (non-negative and
 * small, so the calldata is mostly zero bytes, as real features are); elements 0 and 1 encode i,
 * so no two txs share an input (nothing is deduplicated) for i < 1,000,000.
 */
export function inputValues(i: number, width: number): number[] {
  const v = new Array<number>(width)
  v[0] = i % 1000
  v[1] = Math.floor(i / 1000) % 1000
  for (let j = 2; j < width; j++) v[j] = (i * 31 + j * 17) % 1000
  return v
}

/** Calldata of `runModelInference` on `cid` with the given values as `x [1, width]`. */
export function calldata(cid: string, values: number[]): Hex {
  return encodeFunctionData({
    abi: ogInferenceAbi,
    functionName: 'runModelInference',
    args: [
      {
        mode: 0,
        modelCID: cid,
        input: {
          numbers: [{ name: 'x', values: values.map((x) => ({ value: BigInt(x), decimals: 3n })), shape: [1, values.length] }],
          strings: [],
        },
      },
    ] as never,
  })
}

/** The float32 rows onnxruntime gets for txs offset..offset+n-1 (value × 10^-3). */
export function inputRows(n: number, width: number, offset = 0): Float32Array {
  const rows = new Float32Array(n * width)
  for (let i = 0; i < n; i++)
    inputValues(offset + i, width).forEach((x, j) => {
      rows[i * width + j] = x / 1000
    })
  return rows
}
