import assert from 'node:assert/strict'
import { test } from 'node:test'
import { fromBech32 } from '@cosmjs/encoding'
import { Address, bytesToHex, hexToBytes, type PrefixedHexString } from '@ethereumjs/util'
import { BaseAccount } from 'cosmjs-types/cosmos/auth/v1beta1/auth'
import { QueryAccountRequest, QueryAccountResponse } from 'cosmjs-types/cosmos/auth/v1beta1/query'
import { TxRaw } from 'cosmjs-types/cosmos/tx/v1beta1/tx'
import { CheckTxType } from 'cosmjs-types/tendermint/abci/types'
import { toBech32Address } from '../../app/modules/auth/address.ts'
import { DEV_ACCOUNT_BALANCE } from '../../app/modules/evm/params.ts'
import { abciQuery, cosmosWallet, devEthWallet, fee, msgSend, signTx } from '../support/cosmos.ts'
import { devKeys, type InProcessApp, openInProcessApp, PROPOSER, transfer } from '../support/inProcessApp.ts'

const devAddress = (i: number) => new Address(hexToBytes(devKeys[i]!.address as PrefixedHexString))
const bech = (i: number) => toBech32Address(devAddress(i))

async function account(app: InProcessApp, address: Address) {
  return (await (await app.app.evm.stateAtHeight(app.app.lastCommit.height))!.getAccount(address)) ?? undefined
}

async function authAccount(app: InProcessApp, address: string) {
  return abciQuery(app.abci, '/cosmos.auth.v1beta1.Query/Account', QueryAccountRequest.encode({ address }).finish(), QueryAccountResponse)
}

test('a MsgSend signed with an ethsecp256k1 key moves apipe between the accounts the EVM sees; its sequence is the EVM nonce', async () => {
  const a = await openInProcessApp()
  const b = await openInProcessApp()
  try {
    const wallet = await devEthWallet(0)
    assert.equal((await wallet.getAccounts())[0]!.address, bech(0), 'the eth wallet controls dev account 0')
    const tx = await signTx(wallet, [msgSend(bech(0), bech(1), 1000n)], { accountNumber: 0n, sequence: 0, fee: fee(200_000n) })
    const ra = await a.block([tx])
    const rb = await b.block([tx])
    assert.deepEqual(ra.codes, [0], ra.logs.join('; '))
    assert.equal(bytesToHex(ra.appHash), bytesToHex(rb.appHash), 'two nodes agree')
    const paid = 200_000n * 2_000_000_000n
    assert.equal((await account(a, devAddress(1)))!.balance, DEV_ACCOUNT_BALANCE + 1000n)
    assert.equal((await account(a, devAddress(0)))!.balance, DEV_ACCOUNT_BALANCE - 1000n - paid)
    assert.equal((await account(a, devAddress(0)))!.nonce, 1n)
    // gas limit × base fee is burnt; the proposer gets the rest
    const baseFee = a.app.evm.head()!.header.baseFeePerGas!
    assert.equal((await account(a, new Address(PROPOSER)))!.balance, paid - 200_000n * baseFee)
    // the result carries the SDK's gas and events
    const r = ra.results[0]!
    assert.equal(r.gasWanted, 200_000n)
    assert.ok(r.gasUsed! > 30_000n && r.gasUsed! < 200_000n, `gas used ${r.gasUsed}`)
    const events = r.events!.map((e) => `${e.type}:${e.attributes!.map((x) => `${x.key}=${x.value}`).join(',')}`)
    assert.ok(events.includes(`tx:acc_seq=${bech(0)}/0`), events.join('\n'))
    assert.ok(events.includes(`message:action=/cosmos.bank.v1beta1.MsgSend,sender=${bech(0)},module=bank,msg_index=0`), events.join('\n'))
    assert.ok(events.includes(`transfer:recipient=${bech(1)},sender=${bech(0)},amount=1000apipe,msg_index=0`), events.join('\n'))

    // One counter: the next Ethereum tx of the account uses nonce 1 …
    assert.deepEqual((await a.block([transfer(0, 1n)])).codes, [0])
    // … and the next Cosmos tx sequence 2.
    const stale = await signTx(wallet, [msgSend(bech(0), bech(1), 1n)], { accountNumber: 0n, sequence: 1 })
    const res = await a.abci.checkTx({ tx: stale, type: CheckTxType.NEW })
    assert.equal(res.codespace, 'sdk')
    assert.equal(res.code, 32)
    assert.match(res.log!, /account sequence mismatch, expected 2, got 1/)
    // the account now records the key it signed with
    const q = await authAccount(a, bech(0))
    assert.ok(q.ok)
    const acc = BaseAccount.decode(q.value.account!.value)
    assert.equal(acc.accountNumber, 0n)
    assert.equal(acc.sequence, 2n)
    assert.equal(acc.pubKey?.typeUrl, '/cosmos.evm.crypto.v1.ethsecp256k1.PubKey')
  } finally {
    await a.close()
    await b.close()
  }
})

test('a Cosmos-native secp256k1 account: unknown until funded, numbered in the block that funds it, then it signs', async () => {
  const a = await openInProcessApp()
  try {
    const wallet = await cosmosWallet(0)
    const address = (await wallet.getAccounts())[0]!.address
    const hex = new Address(fromBech32(address, 90).data)
    const before = await authAccount(a, address)
    assert.ok(!before.ok)
    assert.equal(before.codespace, 'sdk')
    assert.equal(before.code, 22)
    assert.match(before.log, /^rpc error: code = NotFound desc = account pipe1\w+ not found/)
    // an Ethereum transfer to its 0x form creates it (and pays the proposer a tip: a new account too)
    assert.deepEqual((await a.block([transfer(0, 0n, { to: hex.toString(), value: 10n ** 18n })])).codes, [0])
    const q = await authAccount(a, address)
    assert.ok(q.ok, q.ok ? '' : q.log)
    const number = BaseAccount.decode(q.value.account!.value).accountNumber
    const coinbase = BaseAccount.decode(
      (await authAccount(a, toBech32Address(PROPOSER))).ok
        ? ((await authAccount(a, toBech32Address(PROPOSER))) as { value: QueryAccountResponse }).value.account!.value
        : new Uint8Array(),
    )
    // the two new accounts are numbered after the 10 genesis accounts, in address order
    const expected = Buffer.compare(hex.bytes, PROPOSER) < 0 ? [10n, 11n] : [11n, 10n]
    assert.deepEqual([number, coinbase.accountNumber], expected)
    const tx = await signTx(wallet, [msgSend(address, bech(3), 5n)], { accountNumber: number, sequence: 0 })
    const r = await a.block([tx])
    assert.deepEqual(r.codes, [0], r.logs.join('; '))
    assert.equal((await account(a, devAddress(3)))!.balance, DEV_ACCOUNT_BALANCE + 5n)
    const after = await authAccount(a, address)
    assert.ok(after.ok)
    assert.equal(BaseAccount.decode(after.value.account!.value).pubKey?.typeUrl, '/cosmos.crypto.secp256k1.PubKey')
  } finally {
    await a.close()
  }
})

test('CheckTx refuses each bad Cosmos tx with the SDK code and a clear log, and commits nothing', async () => {
  const a = await openInProcessApp()
  try {
    await a.block([])
    const w0 = await devEthWallet(0)
    const send = (amount = 1n) => [msgSend(bech(0), bech(1), amount)]
    const good = await signTx(w0, send(), { accountNumber: 0n, sequence: 0 })
    const badSig = TxRaw.decode(good)
    badSig.signatures = [Uint8Array.from(badSig.signatures[0]!, (v, i) => (i === 10 ? v ^ 1 : v))]
    const stranger = await cosmosWallet(7)
    const strangerAddr = (await stranger.getAccounts())[0]!.address
    const cases: [string, Uint8Array | Promise<Uint8Array>, string, number, RegExp][] = [
      ['wrong sequence', signTx(w0, send(), { accountNumber: 0n, sequence: 5 }), 'sdk', 32, /account sequence mismatch, expected 0, got 5/],
      [
        'bad signature',
        TxRaw.encode(badSig).finish(),
        'sdk',
        4,
        /signature verification failed; please verify account number \(0\), sequence \(0\) and chain-id \(pipe_1337-1\)/,
      ],
      [
        'wrong chain id',
        signTx(w0, send(), { accountNumber: 0n, sequence: 0, chainId: 'cosmoshub-4' }),
        'sdk',
        4,
        /signature verification failed; .*chain-id \(pipe_1337-1\)/,
      ],
      ['wrong account number', signTx(w0, send(), { accountNumber: 3n, sequence: 0 }), 'sdk', 4, /please verify account number \(0\)/],
      [
        'insufficient fee',
        signTx(w0, send(), { accountNumber: 0n, sequence: 0, fee: fee(200_000n, 1n) }),
        'sdk',
        13,
        /insufficient fee; got: 200000apipe required: \d+apipe \(gas limit 200000 × base fee \d+apipe\)/,
      ],
      [
        'gas limit below use',
        signTx(w0, send(), { accountNumber: 0n, sequence: 0, fee: fee(1_000n) }),
        'sdk',
        11,
        /out of gas: the tx needs \d+ gas, its gas limit is 1000/,
      ],
      [
        'gas limit above the block',
        signTx(w0, send(), { accountNumber: 0n, sequence: 0, fee: fee(200_000_000n, 1_000_000_000n) }),
        'sdk',
        41,
        /gas limit 200000000 exceeds the block gas limit 100000000/,
      ],
      [
        'unknown message type',
        signTx(
          w0,
          [
            {
              typeUrl: '/cosmos.staking.v1beta1.MsgDelegate',
              value: { delegatorAddress: bech(0), validatorAddress: 'pipevaloper1x', amount: { denom: 'apipe', amount: '1' } },
            },
          ],
          { accountNumber: 0n, sequence: 0 },
        ),
        'sdk',
        6,
        /unrecognized message type \/cosmos.staking.v1beta1.MsgDelegate at index 0; this chain handles \/cosmos.bank.v1beta1.MsgSend, \/pipe.inference.v1.MsgRegisterModel/,
      ],
      [
        'insufficient funds',
        signTx(w0, send(10n ** 30n), { accountNumber: 0n, sequence: 0 }),
        'sdk',
        5,
        /spendable balance 10000000000000000000000apipe of pipe1\w+ is smaller than \d+apipe \(fee \d+apipe \+ sent 1000000000000000000000000000000apipe\)/,
      ],
      [
        'unknown account',
        signTx(stranger, [msgSend(strangerAddr, bech(1), 1n)], { accountNumber: 0n, sequence: 0 }),
        'sdk',
        9,
        /account pipe1\w+ does not exist on chain; send it funds first/,
      ],
      [
        'memo too large',
        signTx(w0, send(), { accountNumber: 0n, sequence: 0, memo: 'm'.repeat(300) }),
        'sdk',
        12,
        /maximum number of characters is 256 but received 300 characters/,
      ],
      ['not a TxRaw', Uint8Array.of(0x0a, 0xff, 0x01), 'sdk', 2, /tx parse error: not a Cosmos TxRaw/],
      [
        'unknown denom',
        signTx(
          w0,
          [
            {
              typeUrl: '/cosmos.bank.v1beta1.MsgSend',
              value: { fromAddress: bech(0), toAddress: bech(1), amount: [{ denom: 'uatom', amount: '1' }] },
            },
          ],
          { accountNumber: 0n, sequence: 0 },
        ),
        'sdk',
        10,
        /denom "uatom" does not exist; the only denom is apipe/,
      ],
      [
        'foreign address',
        signTx(w0, [msgSend(bech(0), 'cosmos1qypqxpq9qcrsszg2pvxq6rs0zqg3yyc5lzv7xu', 1n)], { accountNumber: 0n, sequence: 0 }),
        'sdk',
        7,
        /to_address "cosmos1\w+" has prefix "cosmos"; PIPE addresses start with "pipe1"/,
      ],
      [
        'key of another account',
        signTx(w0, [msgSend(bech(1), bech(2), 1n)], { accountNumber: 1n, sequence: 0 }).catch((e) => e),
        'sdk',
        8,
        /public key controls pipe1\w+, not the signer pipe1/,
      ],
      [
        'past timeout height',
        signTx(w0, send(), { accountNumber: 0n, sequence: 0, timeoutHeight: 1n }),
        'sdk',
        30,
        /block height 2 is past the tx's timeout height 1/,
      ],
    ]
    const balance = (await account(a, devAddress(0)))!.balance
    for (const [name, txp, codespace, code, log] of cases) {
      let tx = await txp
      if (!(tx instanceof Uint8Array)) {
        // cosmjs refuses to sign for an address not in the wallet: craft that tx by hand
        const other = TxRaw.decode(good)
        const body = (await import('cosmjs-types/cosmos/tx/v1beta1/tx')).TxBody
        const registry = (await import('../support/cosmos.ts')).pipeRegistry()
        other.bodyBytes = body.encode(body.fromPartial({ messages: [registry.encodeAsAny(msgSend(bech(1), bech(2), 1n))] })).finish()
        tx = TxRaw.encode(other).finish()
      }
      const res = await a.abci.checkTx({ tx, type: CheckTxType.NEW })
      assert.equal(`${res.codespace}/${res.code}`, `${codespace}/${code}`, `${name}: ${res.log}`)
      assert.match(res.log!, log, name)
    }
    // nothing was reserved or written: the right tx still goes through, as the first of its account
    assert.equal((await account(a, devAddress(0)))!.balance, balance)
    assert.equal((await a.abci.checkTx({ tx: good, type: CheckTxType.NEW })).code, 0)
    const r = await a.block([good], { inMempool: true })
    assert.deepEqual(r.codes, [0], r.logs.join('; '))
  } finally {
    await a.close()
  }
})

test("a faulty proposer's Cosmos tx with a bad sequence or signature is left out of the block and changes nothing", async () => {
  const a = await openInProcessApp()
  try {
    const w0 = await devEthWallet(0)
    const wrongSeq = await signTx(w0, [msgSend(bech(0), bech(1), 1n)], { accountNumber: 0n, sequence: 3 })
    const wrongChain = await signTx(w0, [msgSend(bech(0), bech(1), 1n)], { accountNumber: 0n, sequence: 0, chainId: 'other-1' })
    const before = await account(a, devAddress(0))
    const r = await a.block([wrongSeq, wrongChain], { skipCheckTx: true })
    assert.deepEqual(r.codes, [32, 4], r.logs.join('; '))
    const after = await account(a, devAddress(0))
    assert.equal(after!.balance, before!.balance)
    assert.equal(after!.nonce, 0n)
  } finally {
    await a.close()
  }
})

test('Cosmos gas counts toward the EIP-1559 base fee: Cosmos txs asking over half the block gas raise it', async () => {
  const a = await openInProcessApp()
  try {
    const w0 = await devEthWallet(0)
    const txs = await Promise.all(
      [0, 1, 2].map((sequence) => signTx(w0, [msgSend(bech(0), bech(1), 1n)], { accountNumber: 0n, sequence, fee: fee(20_000_000n) })),
    )
    const r = await a.block(txs)
    assert.deepEqual(r.codes, [0, 0, 0], r.logs.join('; '))
    const head = a.app.evm.head()!
    assert.equal(head.header.gasUsed, 0n, 'the Ethereum header counts Ethereum txs only')
    assert.equal(head.cosmosGasUsed, 60_000_000n)
    const baseFee = head.header.baseFeePerGas!
    // 60M of a 100M block: 10M over the 50M target, so +1/8 × 10/50 of the base fee
    assert.equal(a.app.evm.nextBaseFee(), baseFee + (baseFee * 10_000_000n) / 50_000_000n / 8n)
    await a.block([])
    assert.equal(
      a.app.evm.head()!.header.baseFeePerGas,
      baseFee + (baseFee * 10_000_000n) / 50_000_000n / 8n,
      'and the next block charges it',
    )
  } finally {
    await a.close()
  }
})
