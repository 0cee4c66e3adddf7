import { DirectEthSecp256k1Wallet, Registry } from '@cosmjs/proto-signing'
import { BroadcastTxError, defaultRegistryTypes, GasPrice, SigningStargateClient } from '@cosmjs/stargate'
import { BECH32_PREFIX } from '../../app/modules/auth/params.ts'
import { modeName } from '../../app/modules/inference/types/verificationMode.ts'
import type { Artefact, VerificationMode } from '../../app/proto/pipe/inference/v1/types.ts'
import { CommandError, type Output } from './modelCommands.ts'
import { inferenceRegistryTypes } from './registryTypes.ts'

export interface RegisterModelOptions {
  /** CometBFT RPC URL of a node (cosmjs' endpoint). */
  comet: string
  /** 32-byte secp256k1 private key of the owner (an Ethereum key: the account is its 0x address). */
  privateKey: Uint8Array
  modes: VerificationMode[]
  /** Empty unless ZKML is among the modes. */
  zkVerifyingKeyHash: Uint8Array
  artefacts: Artefact[]
  /** apipe per gas the fee pays (at least the base fee). */
  gasPrice: bigint
  json: boolean
}

/**
 * `pipe model register <cid>`: sends a MsgRegisterModel signed by the owner's key (as an
 * ethsecp256k1 Cosmos account) and waits for its block.
 * @example await registerModel('bafkrei…', { comet: 'http://127.0.0.1:26657', privateKey, modes: [0], … }, process.stdout)
 */
export async function registerModel(cid: string, opts: RegisterModelOptions, out: Output): Promise<void> {
  const wallet = await DirectEthSecp256k1Wallet.fromKey(opts.privateKey, BECH32_PREFIX)
  const { address } = (await wallet.getAccounts())[0]!
  let client: SigningStargateClient
  try {
    client = await SigningStargateClient.connectWithSigner(opts.comet, wallet, {
      registry: new Registry([...defaultRegistryTypes, ...inferenceRegistryTypes]),
      gasPrice: GasPrice.fromString(`${opts.gasPrice}apipe`),
      broadcastPollIntervalMs: 500,
    })
  } catch (err) {
    throw new CommandError(`cannot reach CometBFT RPC at ${opts.comet}: ${(err as Error).message}`)
  }
  try {
    const msg = { owner: address, modelCid: cid, modes: opts.modes, zkVerifyingKeyHash: opts.zkVerifyingKeyHash, artefacts: opts.artefacts }
    let result: Awaited<ReturnType<typeof client.signAndBroadcast>>
    try {
      result = await client.signAndBroadcast(address, [{ typeUrl: '/pipe.inference.v1.MsgRegisterModel', value: msg }], 'auto')
    } catch (err) {
      if (err instanceof BroadcastTxError)
        throw new CommandError(`the chain refused the registration: ${err.log} [${err.codespace}/${err.code}]`)
      // Simulate ('auto' fee) refuses what CheckTx would: "Query failed with (70): …"
      const m = /Query failed with \((\d+)\): (.*)/s.exec((err as Error).message)
      if (m) throw new CommandError(`the chain refused the registration: ${m[2]} [${m[1]}]`)
      if (/Account .* does not exist on chain/.test((err as Error).message))
        throw new CommandError(`${address} has no account yet: fund it first`)
      throw err
    }
    if (result.code !== 0) throw new CommandError(`the registration failed in block ${result.height}: ${result.rawLog}`)
    if (opts.json)
      return out.write(
        `${JSON.stringify({ cid, owner: address, modes: opts.modes.map(modeName), height: result.height, txhash: result.transactionHash })}\n`,
      )
    out.write(`registered ${cid} for ${opts.modes.map(modeName).join(', ')} by ${address}\n`)
    out.write(`block ${result.height}, tx ${result.transactionHash}, gas ${result.gasUsed}\n`)
  } finally {
    client.disconnect()
  }
}
