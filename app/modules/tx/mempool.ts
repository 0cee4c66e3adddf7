import { ErrSdkUnknownAddress } from '../../sdkErrors.ts'
import type { AuthKeeper } from '../auth/keeper.ts'
import type { EvmKeeper } from '../evm/keeper.ts'
import type { MempoolState } from '../evm/mempoolState.ts'
import { checkFee, checkFunds, checkGasLimit, checkSequence, checkSignature, checkTimeout } from './ante.ts'
import type { CosmosTx } from './cosmosTx.ts'
import type { CosmosTxDecoder } from './txDecoder.ts'

/**
 * CheckTx for Cosmos txs: the stateless checks, then the ante checks against committed state
 * plus what this node's mempool already holds for the signer — the same queue Ethereum txs
 * use, since a sequence is a nonce. Like the SDK's check state, the sequence must be exactly
 * the next one (no gaps). Nothing is written to the chain's state.
 */
export class CosmosMempool {
  constructor(
    private readonly decoder: CosmosTxDecoder,
    private readonly auth: AuthKeeper,
    private readonly evm: EvmKeeper,
    private readonly queue: MempoolState,
  ) {}

  async check(raw: Uint8Array): Promise<CosmosTx> {
    const tx = this.decoder.decode(raw)
    const state = await this.evm.checkState()
    const height = (this.evm.head()?.header.number ?? 0n) + 1n
    const account = await state.getAccount(tx.sender)
    const number = await this.auth.committedAccountNumber(tx.sender)
    if (!number || !account) {
      throw ErrSdkUnknownAddress.with(`account ${tx.senderBech32} does not exist on chain; send it funds first (to its 0x address ${tx.sender} from an Ethereum wallet works too)`)
    }
    const pending = this.queue.pendingFor(tx.sender.toString(), account.nonce)
    checkSequence(tx, pending.nextNonce)
    checkSignature(tx, number.number)
    checkTimeout(tx, height)
    checkGasLimit(tx, this.evm.blockGasLimit())
    checkFee(tx, this.evm.nextBaseFee())
    checkFunds(tx, account.balance, { reserved: pending.reserved })
    for (const m of tx.msgs) await m.handler.admit(m.msg, { accounts: state, signer: tx.sender, height })
    this.queue.reserve(tx.sender, tx.nonce, tx.fee + tx.spend, account.nonce)
    return tx
  }
}
