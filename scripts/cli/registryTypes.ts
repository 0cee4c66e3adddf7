import { MsgRegisterInferenceNode, MsgRegisterModel } from '../../app/proto/pipe/inference/v1/tx.ts'

/**
 * The inference module's message types for a cosmjs `Registry`, so SigningStargateClient can
 * encode them.
 * @example
 * import { Registry } from '@cosmjs/proto-signing'
 * import { defaultRegistryTypes } from '@cosmjs/stargate'
 * const registry = new Registry([...defaultRegistryTypes, ...inferenceRegistryTypes])
 */
export const inferenceRegistryTypes: [typeUrl: string, codec: typeof MsgRegisterModel | typeof MsgRegisterInferenceNode][] = [
  ['/pipe.inference.v1.MsgRegisterModel', MsgRegisterModel],
  ['/pipe.inference.v1.MsgRegisterInferenceNode', MsgRegisterInferenceNode],
]
