import type { MerkleStateManager } from '@ethereumjs/statemanager'
import { Account, type Address } from '@ethereumjs/util'
import { TxMsgData } from 'cosmjs-types/cosmos/base/abci/v1beta1/abci'
import { type AppError, toAppError } from '../../errors.ts'
import { type TxEvent, txEvent } from '../../events.ts'
import type { AuthKeeper } from '../auth/keeper.ts'
import { formatAmount } from '../bank/coins.ts'
import type { BankKeeper } from '../bank/keeper.ts'
import { checkFee, checkFunds, checkSequence, checkSignature, checkTimeout, signerAccount } from './ante.ts'
import type { CosmosTx } from './cosmosTx.ts'

/** The block a Cosmos tx runs in. */
export interface CosmosTxBlock {
  height: bigint
  /** Block time, seconds. */
  timestamp: bigint
  /** The block's EIP-1559 base fee: Cosmos fees pay it too. */
  baseFee: bigint
  /** The proposer's account: it receives the part of a fee above the base fee, as with Ethereum tips. */
  coinbase: Address
}

/** A Cosmos tx that ran (its messages may have failed: then only its fee and sequence stuck). */
export interface CosmosTxResult {
  code: number
  codespace: string
  log: string
  /** TxMsgData: the messages' responses. */
  data: Uint8Array
  gasWanted: bigint
  gasUsed: bigint
  events: TxEvent[]
}

/** State a tx's messages write outside the EVM trie; kept or dropped with the messages. */
export interface TxScopedStore {
  beginTx(): void
  commitTx(): void
  revertTx(): void
}

/**
 * Runs a block's Cosmos txs, as the SDK's DeliverTx does: the ante checks (a tx that fails
 * them is left out and changes nothing), then the fee and the sequence bump, which stay even
 * if a message fails, then the messages, all or none. The fee's base-fee part (gas limit ×
 * base fee) is burnt, as EIP-1559 burns an Ethereum tx's; the rest goes to the proposer.
 */
export class CosmosBlockRunner {
  constructor(
    private readonly auth: AuthKeeper,
    private readonly bank: BankKeeper,
    private readonly stores: readonly TxScopedStore[],
  ) {}

  /**
   * Runs `tx` on the block's working state: its result, or why it is left out (a faulty
   * proposer's bad signature or sequence), in which case it changed nothing.
   */
  async run(tx: CosmosTx, state: MerkleStateManager, block: CosmosTxBlock): Promise<{ result: CosmosTxResult } | { error: AppError }> {
    let account: Account
    try {
      account = await this.ante(tx, state, block)
    } catch (err) {
      return { error: toAppError(err) }
    }
    await state.putAccount(tx.sender, new Account(account.nonce + 1n, account.balance - tx.fee, account.storageRoot, account.codeHash))
    const burnt = tx.gasLimit * block.baseFee
    await this.bank.credit(state, block.coinbase, tx.fee - burnt)
    if (tx.pubKey) await this.auth.setPubKeyIfMissing(tx.sender, tx.pubKey.any)
    const events: TxEvent[] = [
      txEvent('tx', { fee: formatAmount(tx.fee), fee_payer: tx.senderBech32 }),
      txEvent('tx', { acc_seq: `${tx.senderBech32}/${tx.nonce}` }),
      txEvent('tx', { signature: Buffer.from(tx.signature).toString('base64') }),
    ]
    const base = { gasWanted: tx.gasLimit, gasUsed: tx.gasUsed }

    await state.checkpoint()
    for (const s of this.stores) s.beginTx()
    const responses: { typeUrl: string; value: Uint8Array }[] = []
    const msgEvents: TxEvent[] = []
    for (let i = 0; i < tx.msgs.length; i++) {
      const { typeUrl, msg, handler } = tx.msgs[i]!
      try {
        const r = await handler.deliver(msg, { accounts: state, signer: tx.sender, height: block.height, blockTime: block.timestamp })
        msgEvents.push(txEvent('message', { action: typeUrl, sender: tx.senderBech32, module: handler.module, msg_index: String(i) }))
        for (const e of r.events)
          msgEvents.push({ ...e, attributes: [...e.attributes, { key: 'msg_index', value: String(i), index: true }] })
        responses.push(r.response)
      } catch (err) {
        await state.revert()
        for (const s of this.stores) s.revertTx()
        const e = toAppError(err)
        return {
          result: {
            ...base,
            code: e.code,
            codespace: e.codespace,
            log: `failed to execute message; message index: ${i}: ${e.message}`,
            data: new Uint8Array(0),
            events,
          },
        }
      }
    }
    await state.commit()
    for (const s of this.stores) s.commitTx()
    const data = TxMsgData.encode({ data: [], msgResponses: responses }).finish()
    return { result: { ...base, code: 0, codespace: '', log: '', data, events: [...events, ...msgEvents] } }
  }

  /** The checks a block makes before charging the fee; returns the signer's account. */
  private async ante(tx: CosmosTx, state: MerkleStateManager, block: CosmosTxBlock): Promise<Account> {
    const { account, number } = signerAccount(tx, await state.getAccount(tx.sender), await this.auth.accountNumber(tx.sender))
    checkSequence(tx, account.nonce)
    checkSignature(tx, number)
    checkTimeout(tx, block.height)
    checkFee(tx, block.baseFee)
    checkFunds(tx, account.balance, { feeOnly: true })
    return account
  }
}
