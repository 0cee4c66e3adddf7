import type { Common } from '@ethereumjs/common'
import { createMPT } from '@ethereumjs/mpt'
import { Caches } from '@ethereumjs/statemanager'
import { createFeeMarket1559Tx } from '@ethereumjs/tx'
import { Account, Address, type DB, hexToBytes, ValueEncoding } from '@ethereumjs/util'
import { encodeFunctionData } from 'viem'
import { keccak256 } from '../../../crypto.ts'
import { modelCid } from '../../../modelHub/cid.ts'
import { RecordingStateManager } from '../../evm/recordingStateManager.ts'
import { type ModelInput, ogInferenceAbi } from '../precompile/abi.ts'
import { decodeInferenceCall } from '../precompile/abiDecoder.ts'
import { encodeModelOutput } from '../precompile/abiEncoder.ts'
import { inferenceRequest } from '../types/request.ts'
import { resultOf } from '../types/result.ts'
import { VerificationMode } from '../types/verificationMode.ts'
import type { ModelShape, SimulateTask, SimulationHead } from './simulationWire.ts'

/**
 * Work a simulation thread runs once when it starts, before its first task, so that V8 has
 * compiled what a simulation runs — the EVM interpreter, the precompile's ABI codec, the trie
 * and RLP paths, runTx — before a block needs it. Without it a fresh validator's first
 * ProcessProposal of 16 contract → model txs spent ~27 ms per simulation, against ~4 ms once
 * warm (docs/benchmarks.md, "ZKML").
 *
 * The work is a contract → model call like a consumer contract's (a loop of memory, hashing and
 * arithmetic as ABI encoding does, a CALL to 0x…F4 with an OpenGradient request, a storage write
 * and a log), in state of its own: an account and a contract written into the thread's node
 * store (content-addressed, so these nodes can never be mistaken for committed ones) at a root
 * no committed block has. Half the runs answer from the mempool's placeholders, half from a
 * block's result. The model is a stand-in (its CID that of bytes no hub holds; the thread answers
 * its shape itself while warming up), and nothing of the warm-up leaves the thread.
 */

/** Simulations a thread runs to warm up (measured: ~40 per thread before a block's runs stop getting faster). */
export const WARM_UP_RUNS = 96
/** Of them, how many run at once (as a proposal's txs do on a thread). */
export const WARM_UP_CONCURRENCY = 8

/** The stand-in model's bytes: its CID is one no hub holds (they are no ONNX model, so no hub accepts them). */
const WARM_UP_MODEL_BYTES = new TextEncoder().encode('pipe simulation warm-up: not a model')

const WARM_UP_SHAPE: ModelShape = {
  inputs: [{ name: 'features', type: 'float32', shape: [1, 4] }],
  outputs: [{ name: 'score', type: 'float32', shape: [1, 1] }],
  costMicros: 100,
}

/** The consumer contract: ~100 rounds of MSTORE/KECCAK/arithmetic, the precompile call, SSTORE, LOG1. */
function consumerCode(): Uint8Array {
  const LOOP_START = 1
  // biome-ignore format: one instruction per line
  const code = [
    0x5f,                   // PUSH0            i = 0
    0x5b,                   // JUMPDEST loop:   [i]
    0x80, 0x60, 0x20, 0x02, // DUP1 PUSH1 32 MUL          [i, 32i]
    0x60, 0x40, 0x5f, 0x20, // PUSH1 64 PUSH0 KECCAK256   [i, 32i, h]
    0x82, 0x01,             // DUP3 ADD                   [i, 32i, h+i]
    0x90, 0x52,             // SWAP1 MSTORE               [i]   mem[32i] = h+i
    0x60, 0x01, 0x01,       // PUSH1 1 ADD                [i+1]
    0x61, 0x00, 0x64,       // PUSH2 100
    0x81, 0x10,             // DUP2 LT                    [i+1, i+1 < 100]
    0x60, LOOP_START, 0x57, // PUSH1 loop JUMPI
    0x50,                   // POP
    0x36, 0x5f, 0x5f, 0x37, // CALLDATASIZE PUSH0 PUSH0 CALLDATACOPY
    0x61, 0x04, 0x00, 0x5f, // PUSH2 1024 (retSize) PUSH0 (retOffset)
    0x36, 0x5f, 0x5f,       // CALLDATASIZE (argsSize) PUSH0 (argsOffset) PUSH0 (value)
    0x60, 0xf4, 0x5a, 0xf1, // PUSH1 0xF4 GAS CALL        [ok]
    0x50,                   // POP
    0x5f, 0x51, 0x33, 0x55, // PUSH0 MLOAD CALLER SSTORE  storage[caller] = mem[0]
    0x33, 0x60, 0x40, 0x5f, 0xa1, // CALLER PUSH1 64 PUSH0 LOG1
    0x00,                   // STOP
  ]
  return Uint8Array.from(code)
}

/** The warm-up head's height (the block its simulations run in is number 0). */
export const WARM_UP_HEIGHT = -1n

export interface WarmUp {
  head: SimulationHead
  tasks: Omit<SimulateTask, 'id'>[]
  /** The stand-in model, which the thread answers for itself while the tasks run: its CID, shape, and no mode refusal. */
  model: { cid: string; shape: ModelShape }
}

/**
 * Writes the warm-up state into `db` (the thread's node store) and returns the tasks to run on
 * it: WARM_UP_RUNS simulations of distinct requests, alternately with mempool and block answers.
 */
export async function prepareWarmUp(db: DB<string, Uint8Array>, common: Common, txCommon: Common): Promise<WarmUp> {
  const cid = await modelCid(WARM_UP_MODEL_BYTES)
  const trie = await createMPT({ db, useKeyHashing: true, valueEncoding: ValueEncoding.Bytes, common })
  const state = new RecordingStateManager({ trie, common, caches: new Caches() })
  const key = keccak256(new TextEncoder().encode('pipe simulation warm-up sender'))
  const contract = new Address(keccak256(new TextEncoder().encode('pipe simulation warm-up contract')).subarray(12))
  const draft = createFeeMarket1559Tx({}, { common: txCommon }).sign(key)
  const sender = draft.getSenderAddress()
  await state.putAccount(sender, new Account(0n, 10n ** 24n))
  await state.putAccount(contract, new Account(1n, 0n))
  await state.putCode(contract, consumerCode())
  await state.flush()
  const head: SimulationHead = {
    // No committed head has this height: a slot the warm-up used moves to the real head's root
    // (simulationWorker's acquire) the first time a task runs on it.
    height: WARM_UP_HEIGHT,
    hash: keccak256(new TextEncoder().encode('pipe simulation warm-up head')),
    stateRoot: await state.getStateRoot(),
    timestamp: 0n,
    gasLimit: 30_000_000n,
  }
  const tasks: Omit<SimulateTask, 'id'>[] = []
  for (let i = 0; i < WARM_UP_RUNS; i++) {
    const input: ModelInput = {
      numbers: [{ name: 'features', values: [i, 500, -300, 900].map((v) => ({ value: BigInt(v), decimals: 3n })), shape: [1, 4] }],
      strings: [],
    }
    const data = hexToBytes(
      encodeFunctionData({
        abi: ogInferenceAbi,
        functionName: 'runModelInference',
        args: [{ mode: VerificationMode.VERIFICATION_MODE_VANILLA, modelCID: cid, input }],
      }),
    )
    const tx = createFeeMarket1559Tx(
      {
        to: contract,
        data,
        nonce: BigInt(i),
        gasLimit: 2_000_000n,
        maxFeePerGas: 10n ** 9n,
        maxPriorityFeePerGas: 0n,
        chainId: txCommon.chainId(),
      },
      { common: txCommon },
    ).sign(key)
    const call = decodeInferenceCall(data)
    const request = inferenceRequest(call.mode, call.modelCID, call.input)
    const output = encodeModelOutput({
      numbers: [{ name: 'score', values: [{ value: BigInt(i), decimals: 3n }], shape: [1, 1] }],
      strings: [],
      jsons: [],
      is_simulation_result: false,
    })
    const block = i % 2 === 1
    tasks.push({
      type: 'simulate',
      raw: tx.serialize(),
      hash: tx.hash(),
      sender: sender.bytes,
      head,
      kind: block ? 'block' : 'simulation',
      results: { results: block ? [resultOf(request, output, 1_000n)] : [] },
      compute: false,
    })
  }
  return { head, tasks, model: { cid, shape: WARM_UP_SHAPE } }
}
