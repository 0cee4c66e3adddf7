import { stringToPath } from '@cosmjs/crypto'
import {
  DirectEthSecp256k1HdWallet,
  DirectSecp256k1HdWallet,
  type EncodeObject,
  type OfflineDirectSigner,
  Registry,
} from '@cosmjs/proto-signing'
import { defaultRegistryTypes, SigningStargateClient, type StdFee } from '@cosmjs/stargate'
import { TxRaw } from 'cosmjs-types/cosmos/tx/v1beta1/tx'
import { DEV_MNEMONIC } from '../../app/modules/evm/devAccounts.ts'
import { inferenceRegistryTypes } from '../../scripts/cli/registryTypes.ts'

/** cosmjs' default message types plus PIPE's registry messages. */
export function pipeRegistry(): Registry {
  return new Registry([...defaultRegistryTypes, ...inferenceRegistryTypes])
}

/** Dev account `index` as an ethsecp256k1 Cosmos wallet: the same account as its 0x address. */
export function devEthWallet(index = 0): Promise<DirectEthSecp256k1HdWallet> {
  return DirectEthSecp256k1HdWallet.fromMnemonic(DEV_MNEMONIC, { prefix: 'pipe', hdPaths: [stringToPath(`m/44'/60'/0'/0/${index}`)] })
}

/** A Cosmos-native secp256k1 wallet (coin type 118): a different account than the dev account's. */
export function cosmosWallet(index = 0): Promise<DirectSecp256k1HdWallet> {
  return DirectSecp256k1HdWallet.fromMnemonic(DEV_MNEMONIC, { prefix: 'pipe', hdPaths: [stringToPath(`m/44'/118'/0'/0/${index}`)] })
}

/** A fee paying `gas` at `price` apipe per gas. */
export function fee(gas: bigint, price = 2_000_000_000n): StdFee {
  return { amount: [{ denom: 'apipe', amount: (gas * price).toString() }], gas: gas.toString() }
}

/** Signs a tx offline with cosmjs (SIGN_MODE_DIRECT) and returns its TxRaw bytes. */
export async function signTx(
  wallet: OfflineDirectSigner,
  msgs: EncodeObject[],
  o: { accountNumber: bigint; sequence: number; chainId?: string; fee?: StdFee; memo?: string; timeoutHeight?: bigint },
): Promise<Uint8Array> {
  const [account] = await wallet.getAccounts()
  const client = await SigningStargateClient.offline(wallet, { registry: pipeRegistry() })
  const raw = await client.sign(
    account!.address,
    msgs,
    o.fee ?? fee(200_000n),
    o.memo ?? '',
    { accountNumber: o.accountNumber, sequence: o.sequence, chainId: o.chainId ?? 'pipe_1337-1' },
    o.timeoutHeight ?? 0n,
  )
  return TxRaw.encode(raw).finish()
}

/** A bank MsgSend of `amount` apipe. */
export function msgSend(from: string, to: string, amount: bigint): EncodeObject {
  return {
    typeUrl: '/cosmos.bank.v1beta1.MsgSend',
    value: { fromAddress: from, toAddress: to, amount: [{ denom: 'apipe', amount: amount.toString() }] },
  }
}

/** ABCI Query through the in-process app: the decoded response, or the error's code and log. */
export async function abciQuery<T>(
  abci: {
    query(req: {
      path: string
      data: Uint8Array
      height: bigint
      prove: boolean
    }): Promise<{ code?: number; codespace?: string; log?: string; value?: Uint8Array; height?: bigint }>
  },
  path: string,
  request: Uint8Array,
  response: { decode(b: Uint8Array): T },
  height = 0n,
): Promise<{ ok: true; value: T; height: bigint } | { ok: false; code: number; codespace: string; log: string; height: bigint }> {
  const r = await abci.query({ path, data: request, height, prove: false })
  if (r.code) return { ok: false, code: r.code, codespace: r.codespace ?? '', log: r.log ?? '', height: r.height ?? 0n }
  return { ok: true, value: response.decode(r.value ?? new Uint8Array(0)), height: r.height ?? 0n }
}
