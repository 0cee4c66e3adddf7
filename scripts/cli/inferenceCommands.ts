import * as ezkl from '@ezkljs/engine'
import { initCrypto, sha256 } from '../../app/crypto.ts'
import { decodeModelOutput } from '../../app/modules/inference/precompile/abiDecoder.ts'
import { encodeModelOutput } from '../../app/modules/inference/precompile/abiEncoder.ts'
import { modeName } from '../../app/modules/inference/types/verificationMode.ts'
import { outputFromInstances, parseCircuitLayout } from '../../app/modules/inference/verification/zkCircuit.ts'
import { ZK_ARTEFACTS } from '../../app/modules/inference/verification/zkCircuits.ts'
import { engineProofJson } from '../../app/modules/inference/verification/zkProof.ts'
import {
  QueryInferenceRequest,
  QueryInferenceResponse,
  QueryModelRequest,
  QueryModelResponse,
  QueryProofRequest,
  QueryProofResponse,
} from '../../app/proto/pipe/inference/v1/query.ts'
import { type InferenceRecord, InferenceStatus, type Model } from '../../app/proto/pipe/inference/v1/types.ts'
import { GrpcQuery } from './grpcQuery.ts'
import { HubClient } from './hubClient.ts'
import { CommandError, type Output } from './modelCommands.ts'

export interface InferenceCommandOptions {
  /** gRPC address of the node, host:port. */
  grpc: string
  /** REST base URL of a node's hub (where verifying keys are fetched). */
  node: string
  json: boolean
}

const hex = (b: Uint8Array): string => `0x${Buffer.from(b).toString('hex')}`

/** An inference id as the CLI takes it: 32 bytes of hex (0x optional). */
export function parseInferenceId(text: string): Uint8Array {
  const h = text.startsWith('0x') ? text.slice(2) : text
  if (!/^[0-9a-fA-F]{64}$/u.test(h))
    throw new CommandError(`"${text}" is not an inference id (32 bytes of hex, as ModelInferenceEvent's inferenceID)`)
  return Uint8Array.from(Buffer.from(h, 'hex'))
}

async function record(q: GrpcQuery, inferenceId: Uint8Array): Promise<InferenceRecord> {
  const r = await q.call('/pipe.inference.v1.Query/Inference', QueryInferenceRequest, QueryInferenceResponse, { inferenceId })
  if (!r.inference) throw new CommandError(`the node returned no record for ${hex(inferenceId)}`)
  return r.inference
}

/** `pipe inference get <id>`: prints an inference record. */
export async function getInference(id: string, opts: InferenceCommandOptions, out: Output): Promise<void> {
  const q = new GrpcQuery(opts.grpc)
  try {
    const r = await record(q, parseInferenceId(id))
    const output = r.output.length > 0 ? decodeModelOutput(r.output) : undefined
    const view = {
      inferenceId: hex(r.inferenceId),
      txHash: hex(r.txHash),
      height: r.height.toString(),
      index: r.index,
      modelCid: r.modelCid,
      mode: modeName(r.mode),
      status: InferenceStatus[r.status]?.replace('INFERENCE_STATUS_', '').toLowerCase(),
      inputHash: hex(r.inputHash),
      output: output && {
        numbers: output.numbers.map((t) => ({ name: t.name, shape: t.shape, values: t.values.map(decimal) })),
        strings: output.strings,
      },
      ...(r.proofHash.length > 0 ? { proofHash: hex(r.proofHash), verifyingKeyHash: hex(r.verifyingKeyHash) } : {}),
    }
    if (opts.json) return out.write(`${JSON.stringify(view, null, 2)}\n`)
    for (const [k, v] of Object.entries(view)) {
      if (v === undefined) continue
      out.write(`${k.padEnd(17)} ${typeof v === 'object' ? JSON.stringify(v) : v}\n`)
    }
  } finally {
    q.close()
  }
}

/** TensorLib value × 10^-decimals as an exact decimal string. */
function decimal({ value, decimals }: { value: bigint; decimals: bigint }): string {
  const d = Number(decimals)
  const s = (value < 0n ? -value : value).toString().padStart(d + 1, '0')
  const text = d === 0 ? s : `${s.slice(0, s.length - d)}.${s.slice(s.length - d)}`.replace(/\.?0+$/u, '')
  return value < 0n ? `-${text}` : text
}

/**
 * `pipe proof verify <id>`: verifies a ZKML inference without trusting the node's word: the
 * proof over gRPC, the model's registration (verifying-key hash, artefact CIDs) from the chain,
 * the key, settings and SRS from a hub (each checked against its CID, the key against the
 * registry's hash), then the proof verified here with @ezkljs/engine, and the recorded output
 * checked to be the proof's public output. Throws CommandError saying which check failed.
 */
export async function verifyProof(id: string, opts: InferenceCommandOptions, out: Output): Promise<void> {
  await initCrypto()
  const q = new GrpcQuery(opts.grpc)
  try {
    const inferenceId = parseInferenceId(id)
    const rec = await record(q, inferenceId)
    const proof = await q.call('/pipe.inference.v1.Query/Proof', QueryProofRequest, QueryProofResponse, { inferenceId })
    const model: Model | undefined = (
      await q.call('/pipe.inference.v1.Query/Model', QueryModelRequest, QueryModelResponse, { cid: rec.modelCid })
    ).model
    if (!model) throw new CommandError(`model ${rec.modelCid} is not registered`)
    if (Buffer.compare(proof.verifyingKeyHash, model.zkVerifyingKeyHash) !== 0) {
      throw new CommandError(
        `the node says the proof is for verifying key ${hex(proof.verifyingKeyHash)}; the registry holds ${hex(model.zkVerifyingKeyHash)}`,
      )
    }
    const hub = new HubClient(opts.node)
    const file = async (name: string): Promise<Uint8Array> => {
      const a = model.artefacts.find((x) => x.name === name)
      if (!a) throw new CommandError(`the registration of ${model.cid} lists no "${name}" artefact`)
      return hub.artefact(a.cid)
    }
    const vk = await file(ZK_ARTEFACTS.verifyingKey)
    if (Buffer.compare(sha256(vk), model.zkVerifyingKeyHash) !== 0) {
      throw new CommandError(`the hub's verifying key hashes to ${hex(sha256(vk))}, the registry holds ${hex(model.zkVerifyingKeyHash)}`)
    }
    const settings = await file(ZK_ARTEFACTS.settings)
    const srs = await file(ZK_ARTEFACTS.srs)
    const clamped = (b: Uint8Array) => new Uint8ClampedArray(b.buffer, b.byteOffset, b.byteLength)
    let ok: boolean
    try {
      ok = ezkl.verify(
        clamped(engineProofJson({ proof: proof.proof, instances: proof.instances })),
        clamped(vk),
        clamped(settings),
        clamped(srs),
      )
    } catch (err) {
      throw new CommandError(`the proof of ${hex(inferenceId)} does not verify: ${(err as Error).message}`)
    }
    if (!ok) throw new CommandError(`the proof of ${hex(inferenceId)} does not verify`)
    const meta = await hub.info(rec.modelCid)
    const proved = encodeModelOutput(outputFromInstances(proof.instances, meta.outputs, parseCircuitLayout(settings)))
    if (Buffer.compare(proved, rec.output) !== 0)
      throw new CommandError(`the recorded output of ${hex(inferenceId)} is not the proof's public output`)
    const result = {
      inferenceId: hex(inferenceId),
      verified: true,
      mode: modeName(proof.mode),
      modelCid: rec.modelCid,
      verifyingKeyHash: hex(model.zkVerifyingKeyHash),
      proofHash: hex(proof.proofHash),
      proofBytes: proof.proof.length,
      publicInstances: proof.instances.length,
    }
    if (opts.json) return out.write(`${JSON.stringify(result, null, 2)}\n`)
    out.write(`verified: the proof of inference ${result.inferenceId} holds (checked here, not by the node)\n`)
    out.write(`  model ${rec.modelCid}; verifying key sha256 ${result.verifyingKeyHash} matches the registry\n`)
    out.write(`  ${proof.instances.length} public instances; the recorded output is the proof's public output\n`)
  } finally {
    q.close()
  }
}
