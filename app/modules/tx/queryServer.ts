import { GetTxRequest, GetTxResponse, SimulateRequest, SimulateResponse } from 'cosmjs-types/cosmos/tx/v1beta1/service'
import { AuthInfo, type Tx, TxBody, TxRaw } from 'cosmjs-types/cosmos/tx/v1beta1/tx'
import { type QueryMethod, queryMethod } from '../../queryContext.ts'
import { invalidArgument, notFound } from '../../queryError.ts'
import type { AuthKeeper } from '../auth/keeper.ts'
import { admitMsgs, checkFunds, signerAccount } from './ante.ts'
import type { CosmosTxDecoder } from './txDecoder.ts'
import type { TxIndex } from './txIndex.ts'

/**
 * The tx service over ABCI Query, as @cosmjs/stargate calls it: `Simulate` (fee "auto") and
 * `GetTx`. Simulate runs what CheckTx runs except the signature and sequence (cosmjs simulates
 * unsigned, at the committed sequence) and the fee (it is what the caller wants to learn), and
 * answers the exact gas the tx will use: gas is a pure function of the tx.
 */
export function txQueries(decoder: CosmosTxDecoder, auth: AuthKeeper, index: TxIndex): QueryMethod[] {
  return [
    queryMethod('/cosmos.tx.v1beta1.Service/Simulate', SimulateRequest, SimulateResponse, async (req, ctx) => {
      const raw =
        req.txBytes.length > 0
          ? req.txBytes
          : req.tx
            ? TxRaw.encode({ ...txRawBytesOf(req.tx), signatures: req.tx.signatures }).finish()
            : undefined
      if (!raw) throw invalidArgument('empty tx')
      const tx = decoder.decodeForSimulation(raw)
      const accounts = await ctx.accounts()
      const { account } = signerAccount(tx, await accounts.getAccount(tx.sender), await auth.committedAccountNumber(tx.sender))
      checkFunds(tx, account.balance)
      await admitMsgs(tx, { accounts, signer: tx.sender, height: ctx.height + 1n, blockTime: await ctx.blockTime() })
      return {
        gasInfo: { gasWanted: tx.gasLimit, gasUsed: tx.gasUsed },
        result: { data: new Uint8Array(0), log: '', events: [], msgResponses: [] },
      }
    }),
    queryMethod('/cosmos.tx.v1beta1.Service/GetTx', GetTxRequest, GetTxResponse, async (req) => {
      if (!/^(0x)?[0-9a-fA-F]{64}$/.test(req.hash)) throw invalidArgument(`tx hash "${req.hash}" is not 32 bytes of hex`)
      const found = await index.get(Buffer.from(req.hash.replace(/^0x/, ''), 'hex'))
      if (!found) throw notFound(`tx not found: ${req.hash.replace(/^0x/, '').toUpperCase()}`)
      return found
    }),
  ]
}

/** The body and auth info as a Tx carries them (for Simulate's deprecated `tx` field). */
function txRawBytesOf(tx: Tx): { bodyBytes: Uint8Array; authInfoBytes: Uint8Array } {
  return {
    bodyBytes: TxBody.encode(tx.body ?? TxBody.fromPartial({})).finish(),
    authInfoBytes: AuthInfo.encode(tx.authInfo ?? AuthInfo.fromPartial({})).finish(),
  }
}
