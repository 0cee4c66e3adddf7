import { txEvent } from '../../../events.ts'
import type { ModelStore } from '../../../modelHub/modelStore.ts'
import {
  MsgRegisterInferenceNode,
  MsgRegisterInferenceNodeResponse,
  MsgRegisterModel,
  MsgRegisterModelResponse,
} from '../../../proto/pipe/inference/v1/tx.ts'
import { parseBech32Address, toBech32Address } from '../../auth/address.ts'
import { pubKeyAddress } from '../../auth/pubkey.ts'
import type { MsgHandler } from '../../tx/msgHandler.ts'
import { REGISTRATION_GAS, REGISTRATION_GAS_PER_BYTE } from '../../tx/params.ts'
import { ErrInvalidAttestation, ErrModelNotInHub, ErrModelRegistered, ErrNodeRegistered } from '../errors.ts'
import { modeName, VerificationMode } from '../types/verificationMode.ts'
import { type AttestationPolicy, verifyNitroAttestation } from '../verification/nitroAttestation.ts'
import type { RegistryKeeper } from './keeper.ts'
import {
  canonicalArtefacts,
  canonicalModelCid,
  canonicalModes,
  checkAttestation,
  checkNodeKey,
  checkVerifyingKeyHash,
  checkZkArtefacts,
} from './rules.ts'

const REGISTER_MODEL = '/pipe.inference.v1.MsgRegisterModel'
const REGISTER_NODE = '/pipe.inference.v1.MsgRegisterInferenceNode'

/**
 * `/pipe.inference.v1.MsgRegisterModel`: binds a model of the hub to the verification modes
 * contracts may request for it (and, for ZKML, to its verifying key). The model must be in this
 * node's hub when the tx is admitted (CheckTx, Simulate); blocks do not look at the hub, which
 * is not consensus state, so every validator reaches the same result.
 */
export function registerModelHandler(registry: RegistryKeeper, hub: ModelStore): MsgHandler<MsgRegisterModel> {
  return {
    typeUrl: REGISTER_MODEL,
    module: 'inference',
    decode: (bytes) => MsgRegisterModel.decode(bytes),
    signer: (msg) => msg.owner,
    validateBasic(msg) {
      parseBech32Address(msg.owner, 'owner')
      canonicalModelCid(msg.modelCid)
      const modes = canonicalModes(msg.modes)
      checkVerifyingKeyHash(modes, msg.zkVerifyingKeyHash)
      checkZkArtefacts(modes, canonicalArtefacts(msg.artefacts))
    },
    gas: (msg) => REGISTRATION_GAS + BigInt(MsgRegisterModel.encode(msg).finish().length) * REGISTRATION_GAS_PER_BYTE,
    spend: () => 0n,
    async admit(msg) {
      if (await registry.committedModel(msg.modelCid)) throw ErrModelRegistered.with(msg.modelCid)
      if (!(await hub.metadata(msg.modelCid))) {
        throw ErrModelNotInHub.with(`${msg.modelCid}: upload it first (npx pipe model upload <file.onnx>, or POST /v1/models)`)
      }
    },
    async deliver(msg, ctx) {
      if (await registry.model(msg.modelCid)) throw ErrModelRegistered.with(msg.modelCid)
      const modes = canonicalModes(msg.modes)
      registry.putModel({
        cid: msg.modelCid,
        owner: msg.owner,
        modes,
        zkVerifyingKeyHash: msg.zkVerifyingKeyHash,
        artefacts: canonicalArtefacts(msg.artefacts),
        registeredHeight: ctx.height,
      })
      return {
        events: [txEvent('register_model', { model_cid: msg.modelCid, owner: msg.owner, modes: modes.map(modeName).join(',') })],
        response: { typeUrl: `${REGISTER_MODEL}Response`, value: MsgRegisterModelResponse.encode({}).finish() },
      }
    },
  }
}

/**
 * `/pipe.inference.v1.MsgRegisterInferenceNode`: registers the key an inference node signs
 * results with, for the modes it serves (TEE with the enclave's attestation document, verified
 * at CheckTx and again in FinalizeBlock against the genesis policy at the block's time).
 */
export function registerInferenceNodeHandler(registry: RegistryKeeper): MsgHandler<MsgRegisterInferenceNode> {
  return {
    typeUrl: REGISTER_NODE,
    module: 'inference',
    decode: (bytes) => MsgRegisterInferenceNode.decode(bytes),
    signer: (msg) => msg.operator,
    validateBasic(msg) {
      parseBech32Address(msg.operator, 'operator')
      checkNodeKey(msg.nodeKey)
      checkAttestation(canonicalModes(msg.modes), msg.teeAttestation)
    },
    gas: (msg) => REGISTRATION_GAS + BigInt(MsgRegisterInferenceNode.encode(msg).finish().length) * REGISTRATION_GAS_PER_BYTE,
    spend: () => 0n,
    async admit(msg, ctx) {
      if (await registry.committedNode(msg.nodeKey)) throw ErrNodeRegistered.with(Buffer.from(msg.nodeKey).toString('hex'))
      await checkAttested(msg, await registry.committedTeePolicy(), ctx.blockTime)
    },
    async deliver(msg, ctx) {
      if (await registry.node(msg.nodeKey)) throw ErrNodeRegistered.with(Buffer.from(msg.nodeKey).toString('hex'))
      await checkAttested(msg, await registry.teePolicy(), ctx.blockTime)
      const modes = canonicalModes(msg.modes)
      const nodeAddress = toBech32Address(pubKeyAddress('ethsecp256k1', msg.nodeKey))
      registry.putNode({
        nodeKey: msg.nodeKey,
        operator: msg.operator,
        modes,
        teeAttestation: msg.teeAttestation,
        registeredHeight: ctx.height,
        nodeAddress,
      })
      return {
        events: [
          txEvent('register_inference_node', {
            node_key: Buffer.from(msg.nodeKey).toString('hex'),
            node_address: nodeAddress,
            operator: msg.operator,
            modes: modes.map(modeName).join(','),
          }),
        ],
        response: { typeUrl: `${REGISTER_NODE}Response`, value: MsgRegisterInferenceNodeResponse.encode({}).finish() },
      }
    },
  }
}

/**
 * A TEE node's attestation document must verify under the chain's policy at `blockTime` (seconds)
 * and bind the node key it registers (nitroAttestation.ts; each refusal has its own code).
 */
async function checkAttested(msg: MsgRegisterInferenceNode, policy: AttestationPolicy | undefined, blockTime: bigint): Promise<void> {
  if (!msg.modes.includes(VerificationMode.VERIFICATION_MODE_TEE)) return
  if (!policy) {
    throw ErrInvalidAttestation.with(
      'this chain pins no TEE root certificate (genesis app_state.inference.tee.root_certificate), so it registers no TEE inference nodes',
    )
  }
  await verifyNitroAttestation(msg.teeAttestation, policy, new Date(Number(blockTime) * 1000), msg.nodeKey)
}
