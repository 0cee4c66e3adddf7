import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Address, hexToBytes, type PrefixedHexString } from '@ethereumjs/util'
import {
  QueryAllBalancesRequest,
  QueryAllBalancesResponse,
  QueryBalanceRequest,
  QueryBalanceResponse,
} from 'cosmjs-types/cosmos/bank/v1beta1/query'
import { GetTxRequest, GetTxResponse, SimulateRequest, SimulateResponse } from 'cosmjs-types/cosmos/tx/v1beta1/service'
import { AuthInfo, TxBody, TxRaw } from 'cosmjs-types/cosmos/tx/v1beta1/tx'
import { sha256 } from '../../app/crypto.ts'
import { toBech32Address } from '../../app/modules/auth/address.ts'
import { DEV_ACCOUNT_BALANCE } from '../../app/modules/evm/params.ts'
import { TX_SIZE_GAS_PER_BYTE } from '../../app/modules/tx/params.ts'
import { abciQuery, devEthWallet, msgSend, signTx } from '../support/cosmos.ts'
import { devKeys, openInProcessApp, transfer } from '../support/inProcessApp.ts'

const address = (i: number) => new Address(hexToBytes(devKeys[i]!.address as PrefixedHexString))
const bech = (i: number) => toBech32Address(address(i))

test('bank queries answer the EVM balance at the height asked, and always say which height they answered', async () => {
  const a = await openInProcessApp()
  try {
    await a.block([transfer(0, 0n, { value: 7n })]) // height 1
    await a.block([transfer(0, 1n, { value: 7n })]) // height 2
    const balance = async (height: bigint, denom = 'apipe', who = bech(1)) =>
      abciQuery(
        a.abci,
        '/cosmos.bank.v1beta1.Query/Balance',
        QueryBalanceRequest.encode({ address: who, denom }).finish(),
        QueryBalanceResponse,
        height,
      )
    const latest = await balance(0n)
    assert.ok(latest.ok)
    assert.equal(latest.height, 2n)
    assert.equal(latest.value.balance!.amount, (DEV_ACCOUNT_BALANCE + 14n).toString())
    const evm = (await (await a.app.evm.stateAtHeight(2n))!.getAccount(address(1)))!.balance
    assert.equal(latest.value.balance!.amount, evm.toString(), 'the apipe balance is the EVM balance')
    const past = await balance(1n)
    assert.ok(past.ok)
    assert.equal(past.height, 1n)
    assert.equal(past.value.balance!.amount, (DEV_ACCOUNT_BALANCE + 7n).toString())
    // other denoms and unknown accounts hold nothing, as on any SDK chain
    const other = await balance(0n, 'uatom')
    assert.ok(other.ok)
    assert.deepEqual(other.value.balance, { denom: 'uatom', amount: '0' })
    const nobody = toBech32Address(new Uint8Array(20).fill(0x42))
    const all = await abciQuery(
      a.abci,
      '/cosmos.bank.v1beta1.Query/AllBalances',
      QueryAllBalancesRequest.encode({ address: nobody, resolveDenom: false }).finish(),
      QueryAllBalancesResponse,
    )
    assert.ok(all.ok)
    assert.deepEqual(all.value.balances, [])
    const mine = await abciQuery(
      a.abci,
      '/cosmos.bank.v1beta1.Query/AllBalances',
      QueryAllBalancesRequest.encode({ address: bech(1), resolveDenom: false }).finish(),
      QueryAllBalancesResponse,
    )
    assert.ok(mine.ok)
    assert.deepEqual(mine.value.balances, [{ denom: 'apipe', amount: (DEV_ACCOUNT_BALANCE + 14n).toString() }])

    const future = await balance(9n)
    assert.ok(!future.ok)
    assert.match(future.log, /^rpc error: code = InvalidArgument desc = cannot query with height in the future \(9, latest is 2\)/)
    const bad = await balance(0n, 'apipe', '0x70997970C51812dc3A010C7d01b50e0d17dc79C8')
    assert.ok(!bad.ok)
    assert.equal(`${bad.codespace}/${bad.code}`, 'sdk/18')
    assert.match(bad.log, /InvalidArgument desc = invalid address: address "0x7099\w+" is not bech32/)
    const unknown = await a.abci.query({
      path: '/cosmos.staking.v1beta1.Query/Validators',
      data: new Uint8Array(0),
      height: 0n,
      prove: false,
    })
    assert.equal(unknown.code, 2)
    assert.match(
      unknown.log!,
      /unknown query path: \/cosmos.staking.v1beta1.Query\/Validators; served: \/cosmos.auth.v1beta1.Query\/Account/,
    )
    assert.equal(unknown.height, 2n)
  } finally {
    await a.close()
  }
})

test('Simulate answers the gas the signed tx then uses (to a byte), and GetTx finds the executed tx with its result', async () => {
  const a = await openInProcessApp()
  try {
    const w0 = await devEthWallet(0)
    await a.block([])
    // cosmjs simulates an unsigned tx (empty signature, SIGN_MODE_UNSPECIFIED): do the same
    const signed = await signTx(w0, [msgSend(bech(0), bech(1), 5n)], { accountNumber: 0n, sequence: 0 })
    const unsigned = TxRaw.decode(signed)
    unsigned.signatures = [new Uint8Array(0)]
    const sim = await abciQuery(
      a.abci,
      '/cosmos.tx.v1beta1.Service/Simulate',
      SimulateRequest.encode({ txBytes: TxRaw.encode(unsigned).finish() }).finish(),
      SimulateResponse,
    )
    assert.ok(sim.ok, sim.ok ? '' : sim.log)
    // the deprecated `tx` field (a decoded Tx) is answered the same
    const decoded = {
      body: TxBody.decode(unsigned.bodyBytes),
      authInfo: AuthInfo.decode(unsigned.authInfoBytes),
      signatures: unsigned.signatures,
    }
    const viaTx = await abciQuery(
      a.abci,
      '/cosmos.tx.v1beta1.Service/Simulate',
      SimulateRequest.encode({ tx: decoded, txBytes: new Uint8Array(0) }).finish(),
      SimulateResponse,
    )
    assert.ok(viaTx.ok, viaTx.ok ? '' : viaTx.log)
    assert.equal(viaTx.value.gasInfo!.gasUsed, sim.value.gasInfo!.gasUsed)
    const r = await a.block([signed])
    assert.deepEqual(r.codes, [0], r.logs.join('; '))
    // Gas is a pure function of the tx: Simulate counts a 65-byte signature (the longest either
    // key type sends), cosmjs then signs 64 bytes, so the estimate is one byte's gas above.
    assert.equal(sim.value.gasInfo!.gasUsed, r.results[0]!.gasUsed! + TX_SIZE_GAS_PER_BYTE)

    // a simulated send beyond the balance is refused with the SDK's error
    const rich = TxRaw.decode(await signTx(w0, [msgSend(bech(0), bech(1), 10n ** 30n)], { accountNumber: 0n, sequence: 1 }))
    const refused = await abciQuery(
      a.abci,
      '/cosmos.tx.v1beta1.Service/Simulate',
      SimulateRequest.encode({ txBytes: TxRaw.encode(rich).finish() }).finish(),
      SimulateResponse,
    )
    assert.ok(!refused.ok)
    assert.equal(`${refused.codespace}/${refused.code}`, 'sdk/5')

    const hash = Buffer.from(sha256(signed)).toString('hex').toUpperCase()
    const got = await abciQuery(a.abci, '/cosmos.tx.v1beta1.Service/GetTx', GetTxRequest.encode({ hash }).finish(), GetTxResponse)
    assert.ok(got.ok, got.ok ? '' : got.log)
    assert.equal(got.value.txResponse!.txhash, hash)
    assert.equal(got.value.txResponse!.height, 2n)
    assert.equal(got.value.txResponse!.code, 0)
    assert.equal(got.value.txResponse!.gasUsed, r.results[0]!.gasUsed)
    assert.equal(got.value.tx!.body!.messages[0]!.typeUrl, '/cosmos.bank.v1beta1.MsgSend')
    const missing = await abciQuery(
      a.abci,
      '/cosmos.tx.v1beta1.Service/GetTx',
      GetTxRequest.encode({ hash: '00'.repeat(32) }).finish(),
      GetTxResponse,
    )
    assert.ok(!missing.ok)
    assert.match(missing.log, /^rpc error: code = NotFound desc = tx not found: 0{64}/)
  } finally {
    await a.close()
  }
})
