import type { Address } from '@ethereumjs/util'
import type { TxEvent } from '../../events.ts'
import type { EvmAccounts } from '../bank/expectedKeepers.ts'

/** What a message runs with. */
export interface MsgContext {
  /** The EVM accounts (balances, nonces) the tx runs on. */
  accounts: EvmAccounts
  /** The tx's signer, the address every message of the tx names as its signer. */
  signer: Address
  /** Height of the block the message executes in (CheckTx and Simulate: the next block's). */
  height: bigint
  /**
   * Time of the block the message executes in, seconds (CheckTx and Simulate: the latest
   * committed block's, which the next one cannot precede).
   */
  blockTime: bigint
}

/** A message's effects: its events and its encoded `Msg…Response`. */
export interface MsgResult {
  events: TxEvent[]
  response: { typeUrl: string; value: Uint8Array }
}

/**
 * One Cosmos message type: the Cosmos SDK's msg service handler plus what the SDK spreads
 * over ante decorators, in one place. Modules export one per message (their msgServer.ts);
 * the tx module routes by type URL.
 */
export interface MsgHandler<M = unknown> {
  /** e.g. `/cosmos.bank.v1beta1.MsgSend`. */
  typeUrl: string
  /** The module named in the message's `message` event. */
  module: string
  /** Decodes the Any's value (throws on malformed bytes). */
  decode(bytes: Uint8Array): M
  /** The address that must sign the tx (the SDK's `cosmos.msg.v1.signer` field). */
  signer(msg: M): string
  /** Checks that need no state; throws an AppError. */
  validateBasic(msg: M): void
  /** Gas the message costs on top of the tx's own (deterministic, from params). */
  gas(msg: M): bigint
  /** The most apipe the message takes from the signer (the mempool reserves it). */
  spend(msg: M): bigint
  /**
   * Admission checks against committed state that CheckTx and Simulate run and blocks do not
   * (they may read what is not consensus state, like the model hub). Throws an AppError.
   */
  admit(msg: M, ctx: MsgContext): Promise<void>
  /**
   * Executes the message in a block; throws an AppError to fail the tx (its writes are
   * reverted). `ctx.signer` is the message's signer: decoding checked it.
   */
  deliver(msg: M, ctx: MsgContext): Promise<MsgResult>
}
