import { MsgSend, MsgSendResponse } from 'cosmjs-types/cosmos/bank/v1beta1/tx'
import { txEvent } from '../../events.ts'
import { parseBech32Address, toBech32Address } from '../auth/address.ts'
import type { MsgHandler } from '../tx/msgHandler.ts'
import { MSG_SEND_GAS } from '../tx/params.ts'
import { coinsAmount, formatAmount } from './coins.ts'
import type { BankKeeper } from './keeper.ts'

/**
 * `/cosmos.bank.v1beta1.MsgSend`: moves apipe between accounts. The recipient may be any
 * address, new ones included (the account appears, as an ETH transfer would make it), and its
 * 0x form sees the funds at once.
 */
export function msgSendHandler(bank: BankKeeper): MsgHandler<MsgSend> {
  return {
    typeUrl: MsgSend.typeUrl,
    module: 'bank',
    decode: (bytes) => MsgSend.decode(bytes),
    signer: (msg) => msg.fromAddress,
    validateBasic(msg) {
      parseBech32Address(msg.fromAddress, 'from_address')
      parseBech32Address(msg.toAddress, 'to_address')
      coinsAmount(msg.amount, 'amount', { positive: true })
    },
    gas: () => MSG_SEND_GAS,
    spend: (msg) => coinsAmount(msg.amount, 'amount', { positive: true }),
    async admit() {},
    async deliver(msg, ctx) {
      // from_address is the tx's signer: decoding checked every message names it.
      const from = ctx.signer
      const to = parseBech32Address(msg.toAddress, 'to_address')
      const amount = coinsAmount(msg.amount, 'amount', { positive: true })
      await bank.send(ctx.accounts, from, to, amount)
      const sender = toBech32Address(from)
      const recipient = toBech32Address(to)
      const coins = formatAmount(amount)
      return {
        events: [
          txEvent('coin_spent', { spender: sender, amount: coins }),
          txEvent('coin_received', { receiver: recipient, amount: coins }),
          txEvent('transfer', { recipient, sender, amount: coins }),
        ],
        response: { typeUrl: MsgSendResponse.typeUrl, value: MsgSendResponse.encode({}).finish() },
      }
    },
  }
}
