import type { GeneratedType } from '@cosmjs/proto-signing'
import { MsgRegisterInferenceNode, MsgRegisterModel } from '../../app/proto/pipe/inference/v1/tx.ts'

/**
 * The inference module's message types for a cosmjs `Registry`, so SigningStargateClient can
 * encode them.
 * @example
 * import { Registry } from '@cosmjs/proto-signing'
 * import { defaultRegistryTypes } from '@cosmjs/stargate'
 * const registry = new Registry([...defaultRegistryTypes, ...inferenceRegistryTypes])
 */
export const inferenceRegistryTypes: [typeUrl: string, codec: GeneratedType][] = [
  // ts-proto's codecs are what cosmjs' Registry calls (encode/decode/fromPartial); its types
  // name protobufjs' Writer where ts-proto returns @bufbuild's BinaryWriter.
  ['/pipe.inference.v1.MsgRegisterModel', MsgRegisterModel as unknown as GeneratedType],
  ['/pipe.inference.v1.MsgRegisterInferenceNode', MsgRegisterInferenceNode as unknown as GeneratedType],
]
