import assert from 'node:assert/strict'
import fs from 'node:fs'
import { test } from 'node:test'
import { createCustomCommon, Hardfork, Mainnet } from '@ethereumjs/common'
import { Address, bytesToHex, hexToBytes, type PrefixedHexString } from '@ethereumjs/util'
import { CheckTxType } from 'cosmjs-types/tendermint/abci/types'
import { ecrecover, keccak256, sha256 } from '../../app/crypto.ts'
import { DEV_ACCOUNT_BALANCE } from '../../app/modules/evm/params.ts'
import { devKeys, legacyTransfer, openInProcessApp, transfer } from '../support/inProcessApp.ts'

const addr = (i: number) => new Address(hexToBytes(devKeys[i]!.address as PrefixedHexString))

async function balanceOf(app: Awaited<ReturnType<typeof openInProcessApp>>, i: number): Promise<bigint> {
  const head = app.app.evm.head()!
  return (await (await app.app.evm.stateAt(head)).getAccount(addr(i)))?.balance ?? 0n
}

test('a block of transfers moves balances, and two independent nodes agree on every app hash', async () => {
  const a = await openInProcessApp()
  const b = await openInProcessApp()
  try {
    const before = DEV_ACCOUNT_BALANCE
    const blocks = [[transfer(0, 0n), transfer(0, 1n), legacyTransfer(2, 0n)], [], [transfer(0, 2n, { value: 5n }), transfer(3, 0n)]]
    for (const txs of blocks) {
      const ra = await a.block(txs)
      const rb = await b.block(txs)
      assert.deepEqual(
        ra.codes,
        txs.map(() => 0),
        ra.logs.join('; '),
      )
      assert.equal(bytesToHex(ra.appHash), bytesToHex(rb.appHash))
    }
    // account 1 received 1000 + 1000 + 5 from account 0, and paid nothing
    assert.equal(await balanceOf(a, 1), before + 2005n)
    assert.equal(a.app.evm.head()!.header.number, 3n)
    assert.equal(a.app.evm.head()!.txHashes.length, 2)
  } finally {
    await a.close()
    await b.close()
  }
})

test('CheckTx commits nothing: state and height are unchanged until a block includes the tx', async () => {
  const a = await openInProcessApp()
  try {
    await a.block([])
    const hashBefore = bytesToHex(a.app.lastCommit.appHash)
    const balance = await balanceOf(a, 0)
    const res = await a.abci.checkTx({ tx: transfer(0, 0n), type: CheckTxType.NEW })
    assert.equal(res.code, 0)
    assert.equal(await balanceOf(a, 0), balance)
    assert.equal(bytesToHex(a.app.lastCommit.appHash), hashBefore)
    // the mempool now expects nonce 1 from this sender, nonce 0 is taken
    const again = await a.abci.checkTx({ tx: transfer(0, 0n, { value: 7n }), type: CheckTxType.NEW })
    assert.equal(again.code, 6)
    assert.match(again.log!, /nonce too low: nonce 0 is already used by a pending tx of 0x[0-9a-f]{40}; next free nonce is 1/)
    assert.equal((await a.abci.checkTx({ tx: transfer(0, 1n), type: CheckTxType.NEW })).code, 0)
  } finally {
    await a.close()
  }
})

test('after Commit, RECHECK re-admits the txs still waiting, in order, against the new state', async () => {
  const a = await openInProcessApp()
  try {
    const t0 = transfer(4, 0n)
    const t1 = transfer(4, 1n)
    await a.abci.checkTx({ tx: t0, type: CheckTxType.NEW })
    await a.abci.checkTx({ tx: t1, type: CheckTxType.NEW })
    await a.block([t0], { skipCheckTx: true }) // only t0 made it into the block
    assert.equal((await a.abci.checkTx({ tx: t1, type: CheckTxType.RECHECK })).code, 0)
    const stale = await a.abci.checkTx({ tx: t0, type: CheckTxType.RECHECK })
    assert.equal(stale.code, 6, 'the included tx is now nonce-too-low')
  } finally {
    await a.close()
  }
})

test('restart resumes from disk: Info reports the last height and app hash, state is intact', async () => {
  const a = await openInProcessApp()
  await a.block([transfer(5, 0n, { value: 123n })])
  await a.block([transfer(5, 1n, { value: 1n })])
  const { height, appHash } = a.app.lastCommit
  const bal = await balanceOf(a, 6)
  await a.close()
  const b = await openInProcessApp({ dir: a.dir, genesis: false })
  try {
    const info = await b.abci.info({ version: '', blockVersion: 0n, p2pVersion: 0n, abciVersion: '' })
    assert.equal(info.lastBlockHeight, height)
    assert.equal(bytesToHex(info.lastBlockAppHash as Uint8Array), bytesToHex(appHash))
    assert.equal(await balanceOf(b, 6), bal)
    const r = await b.block([transfer(5, 2n)])
    assert.deepEqual(r.codes, [0])
    assert.equal(b.app.lastCommit.height, height + 1n)
  } finally {
    await b.close()
    fs.rmSync(a.dir, { recursive: true, force: true })
  }
})

test('a block finalized but never committed is discarded when CometBFT replays it', async () => {
  const a = await openInProcessApp()
  const ref = await openInProcessApp()
  try {
    await a.block([])
    await ref.block([])
    const txs = [transfer(7, 0n)]
    const req = {
      txs,
      decidedLastCommit: { round: 0, votes: [] },
      misbehavior: [],
      hash: new Uint8Array(32).fill(2),
      height: 2n,
      time: { seconds: 1_700_000_002n, nanos: 0 },
      nextValidatorsHash: new Uint8Array(32),
      proposerAddress: new Uint8Array(20).fill(0xab),
    }
    const first = await a.abci.finalizeBlock(req)
    const replay = await a.abci.finalizeBlock(req) // no Commit in between
    assert.equal(bytesToHex(replay.appHash as Uint8Array), bytesToHex(first.appHash as Uint8Array))
    await a.abci.commit()
    const expected = await ref.block(txs, { skipCheckTx: true })
    assert.equal(bytesToHex(a.app.lastCommit.appHash), bytesToHex(expected.appHash))
    assert.equal(a.app.evm.head()!.txHashes.length, 1)
  } finally {
    await a.close()
    await ref.close()
  }
})

test('the sender is recovered once per tx: CheckTx pays for ecrecover, block execution does not', async () => {
  let inThread = 0
  const counting = createCustomCommon({ chainId: 1337, name: 'pipe' }, Mainnet, {
    hardfork: Hardfork.Prague,
    customCrypto: {
      keccak256,
      sha256,
      ecrecover: (...args: Parameters<typeof ecrecover>) => {
        inThread++
        return ecrecover(...args)
      },
    },
  })
  const a = await openInProcessApp({ common: counting })
  const total = () => inThread + (a.app.evm.senderRecovery?.recovered ?? 0)
  try {
    const txs = [transfer(8, 0n), transfer(8, 1n), transfer(9, 0n)]
    for (const tx of txs) assert.equal((await a.abci.checkTx({ tx, type: CheckTxType.NEW })).code, 0)
    assert.equal(total(), 3, 'CheckTx recovered each sender once')
    assert.ok((a.app.evm.senderRecovery?.recovered ?? 0) === 3, 'on the worker pool')
    const r = await a.block(txs, { skipCheckTx: true })
    assert.deepEqual(r.codes, [0, 0, 0])
    assert.equal(total(), 3, 'Prepare/Process/FinalizeBlock recovered nothing')
  } finally {
    await a.close()
  }
})

test('a block tx the EVM refuses is left out with its reason; the block still commits', async () => {
  const a = await openInProcessApp()
  try {
    // nonce 5 was never admitted by CheckTx; a faulty proposer includes it anyway
    const r = await a.block([transfer(1, 5n), transfer(1, 0n), Uint8Array.from([0xde, 0xad])], { skipCheckTx: true })
    assert.deepEqual(r.codes, [14, 0, 2])
    assert.match(r.logs[0]!, /transaction could not be executed: the tx doesn't have the correct nonce/)
    assert.equal(a.app.evm.head()!.txHashes.length, 1)
  } finally {
    await a.close()
  }
})

test('InitChain refuses a chain id other than pipe_1337-1', async () => {
  const a = await openInProcessApp({ genesis: false })
  try {
    await assert.rejects(
      a.abci.initChain({
        time: { seconds: 1n, nanos: 0 },
        chainId: 'other-1',
        validators: [],
        appStateBytes: new Uint8Array(0),
        initialHeight: 1n,
      }),
      /genesis chain_id is "other-1", PIPE runs "pipe_1337-1"/,
    )
  } finally {
    await a.close()
  }
})

test('out-of-order nonces wait in the mempool; PrepareProposal orders each sender by nonce and stops at gaps', async () => {
  const a = await openInProcessApp()
  try {
    const [n0, n1, n2, n4] = [0n, 1n, 2n, 4n].map((n) => transfer(2, n)) as [Uint8Array, Uint8Array, Uint8Array, Uint8Array]
    const other = transfer(3, 0n)
    for (const tx of [n2, n4, other, n0, n1]) {
      assert.equal((await a.abci.checkTx({ tx, type: CheckTxType.NEW })).code, 0)
    }
    assert.equal(a.app.evmMempool.senders.nextNonce(addr(2).toString()), 3n, 'pending nonce is the next contiguous one')
    const prepared = await a.abci.prepareProposal({
      maxTxBytes: 1_000_000n,
      txs: [n2, n4, other, n0, n1],
      localLastCommit: { round: 0, votes: [] },
      misbehavior: [],
      height: 1n,
      time: { seconds: 1_700_000_001n, nanos: 0 },
      nextValidatorsHash: new Uint8Array(32),
      proposerAddress: new Uint8Array(20),
    })
    assert.deepEqual(prepared.txs, [other, n0, n1, n2], 'n4 waits for n3')
    const tooFar = await a.abci.checkTx({ tx: transfer(2, 3n + 64n), type: CheckTxType.NEW })
    assert.equal(tooFar.code, 7)
    assert.match(tooFar.log!, /nonce too high: tx nonce 67, next expected nonce of 0x[0-9a-f]{40} is 3; at most 64 ahead can wait/)
  } finally {
    await a.close()
  }
})

test('PrepareProposal keeps within the block gas limit and max tx bytes', async () => {
  const a = await openInProcessApp()
  try {
    const big = [0n, 1n, 2n].map((n) => transfer(6, n, { gasLimit: 40_000_000n }))
    for (const tx of big) assert.equal((await a.abci.checkTx({ tx, type: CheckTxType.NEW })).code, 0)
    const base = {
      localLastCommit: { round: 0, votes: [] },
      misbehavior: [],
      height: 1n,
      time: { seconds: 1_700_000_001n, nanos: 0 },
      nextValidatorsHash: new Uint8Array(32),
      proposerAddress: new Uint8Array(20),
    }
    const byGas = await a.abci.prepareProposal({ ...base, maxTxBytes: 1_000_000n, txs: big })
    assert.equal(byGas.txs!.length, 2, '3 × 40M gas does not fit 100M')
    const byBytes = await a.abci.prepareProposal({ ...base, maxTxBytes: BigInt(big[0]!.length + 10), txs: big })
    assert.equal(byBytes.txs!.length, 1)
  } finally {
    await a.close()
  }
})
