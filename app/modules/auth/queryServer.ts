import { BaseAccount } from 'cosmjs-types/cosmos/auth/v1beta1/auth'
import {
  Bech32PrefixRequest,
  Bech32PrefixResponse,
  QueryAccountRequest,
  QueryAccountResponse,
} from 'cosmjs-types/cosmos/auth/v1beta1/query'
import { type QueryMethod, queryMethod } from '../../queryContext.ts'
import { notFound } from '../../queryError.ts'
import { queryAddress } from './address.ts'
import type { AuthKeeper } from './keeper.ts'
import { BECH32_PREFIX } from './params.ts'

/**
 * The auth module's queries (`/cosmos.auth.v1beta1.Query/…`). An account is a BaseAccount whose
 * sequence is the EVM nonce, so a Cosmos wallet signs with the number the next Ethereum tx
 * would use. An address with no account (never funded) is NotFound, which @cosmjs/stargate's
 * `getAccount` turns into `null`.
 */
export function authQueries(auth: AuthKeeper): QueryMethod[] {
  return [
    queryMethod('/cosmos.auth.v1beta1.Query/Account', QueryAccountRequest, QueryAccountResponse, async (req, ctx) => {
      const address = queryAddress(req.address)
      const number = await auth.committedAccountNumber(address)
      if (!number || number.height > ctx.height) throw notFound(`account ${req.address} not found`)
      const evm = await (await ctx.accounts()).getAccount(address)
      const account = BaseAccount.fromPartial({
        address: req.address,
        pubKey: await auth.committedPubKey(address),
        accountNumber: number.number,
        sequence: evm?.nonce ?? 0n,
      })
      return { account: { typeUrl: BaseAccount.typeUrl, value: BaseAccount.encode(account).finish() } }
    }),
    queryMethod('/cosmos.auth.v1beta1.Query/Bech32Prefix', Bech32PrefixRequest, Bech32PrefixResponse, async () => ({
      bech32Prefix: BECH32_PREFIX,
    })),
  ]
}
