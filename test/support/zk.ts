import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Address, hexToBytes, type PrefixedHexString } from '@ethereumjs/util'
import type { ModelStore } from '../../app/modelHub/modelStore.ts'
import { toBech32Address } from '../../app/modules/auth/address.ts'
import { VerificationMode } from '../../app/modules/inference/types/verificationMode.ts'
import { type ZkArtefacts, zkSetup } from '../../scripts/zk/zkSetup.ts'
import { devEthWallet, signTx } from './cosmos.ts'
import { devKeys, type InProcessApp } from './inProcessApp.ts'

/** ZK artefacts made in this process, by model file (a setup takes seconds; the SRS is cached across runs). */
const made = new Map<string, Promise<ZkArtefacts>>()
const SRS_HOME = path.join(os.tmpdir(), 'pipe-test-zk-home')

/** The real EZKL setup of a model file (scripts/zk/zkSetup.ts), once per process. */
export function zkArtefactsOf(modelFile: string): Promise<ZkArtefacts> {
  let p = made.get(modelFile)
  if (!p) {
    p = zkSetup(fs.readFileSync(modelFile), { home: SRS_HOME })
    made.set(modelFile, p)
  }
  return p
}

/** Puts a model and its ZK artefacts in `hub`; returns the model CID and the registration's artefact list. */
export async function putZkModel(
  hub: ModelStore,
  modelFile: string,
): Promise<{ cid: string; zk: ZkArtefacts; artefacts: { name: string; cid: string }[] }> {
  const zk = await zkArtefactsOf(modelFile)
  const { metadata } = await hub.put(fs.readFileSync(modelFile))
  const artefacts = []
  for (const [name, bytes] of Object.entries(zk.files)) artefacts.push({ name, cid: await hub.putArtefact(bytes) })
  return { cid: metadata.cid, zk, artefacts }
}

/** A signed MsgRegisterModel tx from dev account `from` (Cosmos sequence `sequence`). */
export async function registerModelTx(
  from: number,
  sequence: number,
  model: { cid: string; modes: VerificationMode[]; verifyingKeyHash?: Uint8Array; artefacts?: { name: string; cid: string }[] },
): Promise<Uint8Array> {
  const owner = toBech32Address(new Address(hexToBytes(devKeys[from]!.address as PrefixedHexString)))
  const msg = {
    typeUrl: '/pipe.inference.v1.MsgRegisterModel',
    value: {
      owner,
      modelCid: model.cid,
      modes: model.modes,
      zkVerifyingKeyHash: model.verifyingKeyHash ?? new Uint8Array(0),
      artefacts: model.artefacts ?? [],
    },
  }
  return signTx(await devEthWallet(from), [msg], { accountNumber: BigInt(from), sequence })
}

/**
 * Registers `modelFile` for VANILLA and ZKML on an in-process app (its artefacts put in the app's
 * hub first), in one block; returns the CID.
 */
export async function registerZkModel(
  a: InProcessApp,
  modelFile: string,
  from = 0,
  sequence = 0,
): Promise<{ cid: string; zk: ZkArtefacts }> {
  const { cid, zk, artefacts } = await putZkModel(a.app.inference.hub, modelFile)
  const tx = await registerModelTx(from, sequence, {
    cid,
    modes: [VerificationMode.VERIFICATION_MODE_VANILLA, VerificationMode.VERIFICATION_MODE_ZKML],
    verifyingKeyHash: zk.verifyingKeyHash,
    artefacts,
  })
  const r = await a.block([tx])
  assert.deepEqual(r.codes, [0], r.logs.join('; '))
  return { cid, zk }
}
