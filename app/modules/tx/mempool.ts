import type { AuthKeeper } from '../auth/keeper.ts'
import type { EvmKeeper } from '../evm/keeper.ts'
import type { SenderQueues } from '../evm/senderQueues.ts'
import { admitMsgs, checkFee, checkFunds, checkGasLimit, checkSequence, checkSignature, checkTimeout, signerAccount } from './ante.ts'
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
    private readonly queue: SenderQueues,
  ) {}

  async check(raw: Uint8Array): Promise<CosmosTx> {
    const tx = this.decoder.decode(raw)
    const state = await this.evm.checkState()
    const height = (this.evm.head()?.header.number ?? 0n) + 1n
    const { account, number } = signerAccount(tx, await state.getAccount(tx.sender), await this.auth.committedAccountNumber(tx.sender))
    const pending = this.queue.pendingFor(tx.sender.toString(), account.nonce)
    checkSequence(tx, pending.nextNonce)
    checkSignature(tx, number)
    checkTimeout(tx, height)
    checkGasLimit(tx, this.evm.blockGasLimit())
    checkFee(tx, this.evm.nextBaseFee())
    checkFunds(tx, account.balance, { reserved: pending.reserved })
    await admitMsgs(tx, { accounts: state, signer: tx.sender, height, blockTime: this.evm.head()?.header.timestamp ?? 0n })
    this.queue.reserve(tx.sender, tx.nonce, tx.fee + tx.spend, account.nonce)
    return tx
  }
}
