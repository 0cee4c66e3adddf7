import {
  QueryAllBalancesRequest,
  QueryAllBalancesResponse,
  QueryBalanceRequest,
  QueryBalanceResponse,
  QuerySpendableBalancesRequest,
  QuerySpendableBalancesResponse,
} from 'cosmjs-types/cosmos/bank/v1beta1/query'
import { type QueryContext, type QueryMethod, queryMethod } from '../../queryContext.ts'
import { invalidArgument } from '../../queryError.ts'
import { queryAddress as address } from '../auth/address.ts'
import type { BankKeeper } from './keeper.ts'
import { DENOM } from './params.ts'

/**
 * The bank module's queries (`/cosmos.bank.v1beta1.Query/…`), as @cosmjs/stargate's
 * `getBalance` and `getAllBalances` call them. An unknown account has a zero balance, not an
 * error; a denom other than apipe has a zero balance too, as on any SDK chain.
 */
export function bankQueries(bank: BankKeeper): QueryMethod[] {
  const balanceOf = async (text: string, ctx: QueryContext) => bank.balance(await ctx.accounts(), address(text))
  const all = async (text: string, ctx: QueryContext) => {
    const amount = await balanceOf(text, ctx)
    return amount === 0n ? [] : [{ denom: DENOM, amount: amount.toString() }]
  }
  return [
    queryMethod('/cosmos.bank.v1beta1.Query/Balance', QueryBalanceRequest, QueryBalanceResponse, async (req, ctx) => {
      if (req.denom === '') throw invalidArgument('invalid denom')
      address(req.address) // a malformed address is refused whatever the denom
      const amount = req.denom === DENOM ? await balanceOf(req.address, ctx) : 0n
      return { balance: { denom: req.denom, amount: amount.toString() } }
    }),
    queryMethod('/cosmos.bank.v1beta1.Query/AllBalances', QueryAllBalancesRequest, QueryAllBalancesResponse, async (req, ctx) => {
      const balances = await all(req.address, ctx)
      return { balances, pagination: { nextKey: new Uint8Array(0), total: BigInt(balances.length) } }
    }),
    queryMethod(
      '/cosmos.bank.v1beta1.Query/SpendableBalances',
      QuerySpendableBalancesRequest,
      QuerySpendableBalancesResponse,
      async (req, ctx) => {
        const balances = await all(req.address, ctx)
        return { balances, pagination: { nextKey: new Uint8Array(0), total: BigInt(balances.length) } }
      },
    ),
  ]
}
