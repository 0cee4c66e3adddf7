import type { Address } from '@ethereumjs/util'
import { SignMode } from 'cosmjs-types/cosmos/tx/signing/v1beta1/signing'
import { AuthInfo, SignDoc, TxBody, TxRaw } from 'cosmjs-types/cosmos/tx/v1beta1/tx'
import { sha256 } from '../../crypto.ts'
import { AppError } from '../../errors.ts'
import {
  ErrSdkInvalidGasLimit,
  ErrSdkInvalidPubKey,
  ErrSdkInvalidRequest,
  ErrSdkMemoTooLarge,
  ErrSdkNoSignatures,
  ErrSdkNotSupported,
  ErrSdkOutOfGas,
  ErrSdkTooManySignatures,
  ErrSdkTxDecode,
  ErrSdkTxTooLarge,
  ErrSdkUnauthorized,
  ErrSdkUnknownExtensionOptions,
  ErrSdkUnknownRequest,
} from '../../sdkErrors.ts'
import { parseBech32Address, toBech32Address } from '../auth/address.ts'
import { MAX_MEMO_CHARACTERS } from '../auth/params.ts'
import { decodeSignerPubKey, type SignerPubKey } from '../auth/pubkey.ts'
import { coinsAmount } from '../bank/coins.ts'
import { MAX_TX_BYTES } from '../evm/params.ts'
import type { MsgHandler } from './msgHandler.ts'
import { MAX_MSGS_PER_TX, SIG_VERIFY_GAS, SIMULATED_SIGNATURE_BYTES, TX_BASE_GAS, TX_SIZE_GAS_PER_BYTE } from './params.ts'

/** One decoded message of a tx, with the handler that runs it. */
export interface TxMsg {
  typeUrl: string
  msg: unknown
  handler: MsgHandler
}

/**
 * A decoded Cosmos SDK tx (`TxRaw`, SIGN_MODE_DIRECT, one signer) that passed every check that
 * needs no state. Its `nonce` is the signer's sequence, which is the EVM nonce of the account.
 */
export interface CosmosTx {
  kind: 'cosmos'
  /** The TxRaw bytes CometBFT carries. */
  raw: Uint8Array
  /** sha256(raw): CometBFT's tx hash, the `txhash` Cosmos clients show. */
  hash: Uint8Array
  /** Upper-case hex of `hash`, as cosmjs and explorers print it. */
  hashHex: string
  txRaw: TxRaw
  body: TxBody
  authInfo: AuthInfo
  msgs: TxMsg[]
  /** The account that signs (every message names it as its signer). */
  sender: Address
  senderBech32: string
  /** Undefined only in a simulated tx that carries no key. */
  pubKey: SignerPubKey | undefined
  signature: Uint8Array
  /** The signer info's sequence. */
  nonce: bigint
  gasLimit: bigint
  /** apipe the tx pays as fee. */
  fee: bigint
  /** apipe the messages take from the signer at most. */
  spend: bigint
  /** Gas the tx uses (params.ts): a pure function of the tx. */
  gasUsed: bigint
  /** 0: none. */
  timeoutHeight: bigint
  /** The account number its signature was found valid for, once checked. */
  verifiedFor?: bigint
}

/** `deliver`: a tx to admit or execute; `simulate`: Simulate's unsigned one (no signature, key optional). */
export type DecodeMode = 'deliver' | 'simulate'

/** Whether bytes look like a Cosmos TxRaw rather than an Ethereum tx (CheckTx, PrepareProposal and FinalizeBlock route on it). */
export function looksLikeTxRaw(raw: Uint8Array): boolean {
  // TxRaw fields 1–3 are length-delimited: tags 0x0a, 0x12, 0x1a. No Ethereum tx starts so: typed
  // txs start with their type (0x01–0x04), legacy ones with an RLP list header (≥ 0xc0).
  return raw.length > 0 && (raw[0] === 0x0a || raw[0] === 0x12 || raw[0] === 0x1a)
}

/**
 * Decodes a TxRaw and runs the stateless checks, each failure with the Cosmos SDK's error.
 * @example decodeCosmosTx(txBytes, handlers, 'deliver').senderBech32 // 'pipe1…'
 */
export function decodeCosmosTx(
  raw: Uint8Array,
  handlers: ReadonlyMap<string, MsgHandler>,
  mode: DecodeMode,
  hash: Uint8Array = sha256(raw),
): CosmosTx {
  if (raw.length > MAX_TX_BYTES) throw ErrSdkTxTooLarge.with(`${raw.length} bytes, the limit is ${MAX_TX_BYTES}`)
  let txRaw: TxRaw, body: TxBody, authInfo: AuthInfo
  try {
    txRaw = TxRaw.decode(raw)
    body = TxBody.decode(txRaw.bodyBytes)
    authInfo = AuthInfo.decode(txRaw.authInfoBytes)
  } catch (err) {
    throw ErrSdkTxDecode.with(`not a Cosmos TxRaw: ${(err as Error).message}`)
  }
  if (body.messages.length === 0) throw ErrSdkInvalidRequest.with('the tx has no messages')
  if (body.messages.length > MAX_MSGS_PER_TX)
    throw ErrSdkInvalidRequest.with(`the tx has ${body.messages.length} messages, at most ${MAX_MSGS_PER_TX} are allowed`)
  if (body.extensionOptions.length > 0 || body.nonCriticalExtensionOptions.length > 0) {
    const urls = [...body.extensionOptions, ...body.nonCriticalExtensionOptions].map((o) => o.typeUrl).join(', ')
    throw ErrSdkUnknownExtensionOptions.with(`extension options are not supported (${urls})`)
  }
  if (body.unordered || body.timeoutTimestamp)
    throw ErrSdkNotSupported.with('unordered txs and timeout timestamps are not supported; use the sequence and timeout_height')
  const memoLength = [...body.memo].length
  if (memoLength > MAX_MEMO_CHARACTERS)
    throw ErrSdkMemoTooLarge.with(`maximum number of characters is ${MAX_MEMO_CHARACTERS} but received ${memoLength} characters`)

  const msgs = body.messages.map((any, i): TxMsg => {
    const handler = handlers.get(any.typeUrl)
    if (!handler) {
      throw ErrSdkUnknownRequest.with(
        `unrecognized message type ${any.typeUrl || '(empty)'} at index ${i}; this chain handles ${[...handlers.keys()].join(', ')}`,
      )
    }
    let msg: unknown
    try {
      msg = handler.decode(any.value)
    } catch (err) {
      throw ErrSdkTxDecode.with(`message ${i} (${any.typeUrl}) does not decode: ${(err as Error).message}`)
    }
    try {
      handler.validateBasic(msg)
    } catch (err) {
      if (err instanceof AppError)
        throw new AppError(err.codespace, err.code, `message ${i} (${any.typeUrl}): ${err.message}`, { cause: err })
      throw err
    }
    return { typeUrl: any.typeUrl, msg, handler }
  })
  const signers = [...new Set(msgs.map((m) => m.handler.signer(m.msg)))]
  if (signers.length > 1)
    throw ErrSdkNotSupported.with(`the messages name ${signers.length} signers (${signers.join(', ')}); PIPE takes txs with one signer`)
  const sender = parseBech32Address(signers[0]!, 'signer')

  if (authInfo.signerInfos.length === 0) throw ErrSdkNoSignatures.with('the tx has no signer info')
  if (authInfo.signerInfos.length > 1)
    throw ErrSdkTooManySignatures.with(`the tx has ${authInfo.signerInfos.length} signer infos; PIPE takes txs with one signer`)
  const info = authInfo.signerInfos[0]!
  const single = info.modeInfo?.single
  if (!single) throw ErrSdkNotSupported.with('multisig signer infos are not supported; sign with one key in SIGN_MODE_DIRECT')
  const modeOk = single.mode === SignMode.SIGN_MODE_DIRECT || (mode === 'simulate' && single.mode === SignMode.SIGN_MODE_UNSPECIFIED)
  if (!modeOk) throw ErrSdkNotSupported.with(`sign mode ${SignMode[single.mode] ?? single.mode} is not supported; sign in SIGN_MODE_DIRECT`)
  const pubKey = info.publicKey ? decodeSignerPubKey(info.publicKey) : undefined
  if (mode === 'deliver') {
    if (!pubKey) throw ErrSdkInvalidPubKey.with('the signer info carries no public key')
    // Simulate does not check the binding: cosmjs simulates with a secp256k1 key even for an
    // ethsecp256k1 signer, and an unsigned tx proves nothing either way.
    if (!pubKey.address.equals(sender)) {
      throw ErrSdkInvalidPubKey.with(
        `the ${pubKey.type} public key controls ${toBech32Address(pubKey.address)}, not the signer ${signers[0]}`,
      )
    }
    if (txRaw.signatures.length !== 1)
      throw ErrSdkUnauthorized.with(`wrong number of signatures; expected 1, got ${txRaw.signatures.length}`)
  } else if (txRaw.signatures.length > 1) {
    throw ErrSdkUnauthorized.with(`wrong number of signatures; expected 1, got ${txRaw.signatures.length}`)
  }
  const signature = txRaw.signatures[0] ?? new Uint8Array(0)

  const fee = authInfo.fee
  if (fee?.granter) throw ErrSdkNotSupported.with('fee grants are not supported: the signer pays the fee')
  if (fee?.payer && fee.payer !== signers[0]) throw ErrSdkNotSupported.with('a fee payer other than the signer is not supported')
  if (authInfo.tip) throw ErrSdkNotSupported.with('tips are not supported')
  const feeAmount = coinsAmount(fee?.amount ?? [], 'fee', { positive: false })
  const gasLimit = fee?.gasLimit ?? 0n
  const spend = msgs.reduce((n, m) => n + m.handler.spend(m.msg), 0n)

  const signatureBytes = mode === 'simulate' ? Math.max(0, SIMULATED_SIGNATURE_BYTES - signature.length) : 0
  const gasUsed =
    TX_BASE_GAS +
    BigInt(raw.length + signatureBytes) * TX_SIZE_GAS_PER_BYTE +
    SIG_VERIFY_GAS[pubKey?.type ?? 'secp256k1'] +
    msgs.reduce((n, m) => n + m.handler.gas(m.msg), 0n)
  if (mode === 'deliver') {
    if (gasLimit === 0n) throw ErrSdkInvalidGasLimit.with(`the fee's gas limit is 0; this tx needs ${gasUsed}`)
    if (gasLimit < gasUsed) throw ErrSdkOutOfGas.with(`the tx needs ${gasUsed} gas, its gas limit is ${gasLimit}`)
  }
  return {
    kind: 'cosmos',
    raw,
    hash,
    hashHex: Buffer.from(hash).toString('hex').toUpperCase(),
    txRaw,
    body,
    authInfo,
    msgs,
    sender,
    senderBech32: signers[0]!,
    pubKey,
    signature,
    nonce: info.sequence,
    gasLimit,
    fee: feeAmount,
    spend,
    gasUsed,
    timeoutHeight: body.timeoutHeight,
  }
}

/** The bytes a SIGN_MODE_DIRECT signature covers. */
export function signBytes(tx: CosmosTx, chainId: string, accountNumber: bigint): Uint8Array {
  return SignDoc.encode({ bodyBytes: tx.txRaw.bodyBytes, authInfoBytes: tx.txRaw.authInfoBytes, chainId, accountNumber }).finish()
}
