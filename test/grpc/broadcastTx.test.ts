/**
 * BroadcastTx (app/grpc/broadcastTx.ts) with CometBFT's answers stood in for: CheckTx's
 * result is the TxResponse; CometBFT's refusals are the SDK's codes; an unreachable CometBFT is
 * UNAVAILABLE; bad requests are InvalidArgument. A real CometBFT answers in
 * test/integration/grpc.test.ts.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { BroadcastMode, BroadcastTxRequest, BroadcastTxResponse } from 'cosmjs-types/cosmos/tx/v1beta1/service'
import { initCrypto, sha256 } from '../../app/crypto.ts'
import { broadcastTxMethod } from '../../app/grpc/broadcastTx.ts'
import { GrpcCode, QueryError } from '../../app/queryError.ts'
import { type BroadcastResult, CometRpcError, CometUnavailableError } from '../../app/rpc/cometClient.ts'

const TX = Uint8Array.of(1, 2, 3)
const request = (txBytes = TX, mode = BroadcastMode.BROADCAST_MODE_SYNC) => BroadcastTxRequest.encode({ txBytes, mode }).finish()
const comet = (answer: () => Promise<BroadcastResult>) => broadcastTxMethod({ broadcastTxSync: answer })
const response = async (m: ReturnType<typeof comet>) => BroadcastTxResponse.decode(await m.handle(request())).txResponse!

test('CheckTx’s result, accepted or refused, is the TxResponse', async () => {
  const ok = await response(comet(async () => ({ code: 0, codespace: '', log: '', hash: 'AB'.repeat(32) })))
  assert.deepEqual([ok.code, ok.txhash], [0, 'AB'.repeat(32)])
  const refused = await response(
    comet(async () => ({ code: 32, codespace: 'sdk', log: 'account sequence mismatch', hash: 'CD'.repeat(32) })),
  )
  assert.deepEqual([refused.codespace, refused.code, refused.rawLog], ['sdk', 32, 'account sequence mismatch'])
})

test('CometBFT’s refusals are the SDK’s codes 19, 20 and 21, with the tx’s hash', async () => {
  await initCrypto()
  const hash = Buffer.from(sha256(TX)).toString('hex').toUpperCase()
  for (const [message, code, log] of [
    ['tx already exists in cache', 19, 'tx already in mempool'],
    ['mempool is full: number of txs 5000 (max: 5000)', 20, 'mempool is full'],
    ['tx too large. Max size is 1048576, but got 2000000', 21, 'tx too large'],
  ] as const) {
    const r = await response(
      comet(async () => {
        throw new CometRpcError(message)
      }),
    )
    assert.deepEqual([r.codespace, r.code, r.rawLog, r.txhash], ['sdk', code, log, hash], message)
  }
})

test('an unreachable CometBFT is UNAVAILABLE; any other CometBFT failure is passed on', async () => {
  const down = comet(async () => {
    throw new CometUnavailableError('CometBFT RPC at http://127.0.0.1:26657 is unreachable: ECONNREFUSED')
  })
  await assert.rejects(down.handle(request()), (err: unknown) => {
    assert.ok(err instanceof QueryError)
    assert.equal(err.grpcCode, GrpcCode.Unavailable)
    assert.match(err.description, /is unreachable: ECONNREFUSED$/)
    return true
  })
  const odd = comet(async () => {
    throw new CometRpcError('CometBFT refused the batch: something new')
  })
  await assert.rejects(odd.handle(request()), { message: 'CometBFT refused the batch: something new' })
})

test('bad requests are InvalidArgument, and nothing is broadcast', async () => {
  const never = comet(async () => assert.fail('broadcast'))
  const cases: [Uint8Array, RegExp][] = [
    [Uint8Array.of(0x0a, 0xff), /^request does not decode/],
    [request(new Uint8Array(0)), /^invalid empty tx: tx_bytes is empty$/],
    [request(TX, BroadcastMode.BROADCAST_MODE_BLOCK), /^broadcast mode BROADCAST_MODE_BLOCK is not supported; use BROADCAST_MODE_SYNC$/],
    [request(TX, BroadcastMode.BROADCAST_MODE_ASYNC), /^broadcast mode BROADCAST_MODE_ASYNC is not supported/],
    [request(TX, BroadcastMode.BROADCAST_MODE_UNSPECIFIED), /^broadcast mode BROADCAST_MODE_UNSPECIFIED is not supported/],
  ]
  for (const [bytes, description] of cases) {
    await assert.rejects(never.handle(bytes), (err: unknown) => {
      assert.ok(err instanceof QueryError)
      assert.equal(err.grpcCode, GrpcCode.InvalidArgument)
      assert.match(err.description, description)
      return true
    })
  }
})
