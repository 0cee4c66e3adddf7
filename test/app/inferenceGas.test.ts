import assert from 'node:assert/strict'
import fs from 'node:fs'
import { test } from 'node:test'
import { CheckTxType } from 'cosmjs-types/tendermint/abci/types'
import { type Abi, decodeFunctionResult, encodeDeployData, encodeFunctionData, getContractAddress, type Hex } from 'viem'
import { CallSimulator } from '../../app/modules/evm/callSimulator.ts'
import { INFERENCE_BASE_GAS, INFERENCE_GAS_PER_INPUT_ELEMENT, modelGas } from '../../app/modules/inference/params.ts'
import { compileFixture } from '../support/contracts.ts'
import { devKeys, openInProcessApp, signedTx } from '../support/inProcessApp.ts'
import { waitFor } from '../support/rpc.ts'

/**
 * An inference call that cannot pay for its model runs out of gas in the block exactly as it
 * did in simulation — its result is carried, the precompile charges and runs out of gas — and
 * the mempool's status says so before the tx lands.
 */
test('a call that cannot pay for the model runs out of gas in the block as in simulation, with the reason known beforehand', async () => {
  const a = await openInProcessApp()
  try {
    await a.block([])
    const { metadata } = await a.app.inference.hub.put(fs.readFileSync('models/risk-scorer.onnx'))
    const fixture = compileFixture('GasLimitedInference.sol', 'GasLimitedInference')
    const abi = fixture.abi as Abi
    // Four features: the call's own gas, then the model's.
    const enough = INFERENCE_BASE_GAS + 4n * INFERENCE_GAS_PER_INPUT_ELEMENT + modelGas(metadata.costMicros)
    const read = async (contract: Hex, fn: 'answered' | 'failed'): Promise<boolean> => {
      const out = await new CallSimulator(a.app.evm).call(
        { to: contract as never, data: new Uint8Array(Buffer.from(encodeFunctionData({ abi, functionName: fn }).slice(2), 'hex')) },
        a.app.evm.head()!,
      )
      return decodeFunctionResult({ abi, functionName: fn, data: `0x${Buffer.from(out.returnValue).toString('hex')}` }) as boolean
    }
    const cases = [
      {
        from: 2,
        callGas: enough - 1n,
        catchFailure: true,
        receipt: 1,
        answered: false,
        failed: true,
        record: 'outOfGas',
        reason: /^out of gas: inference 0/,
      },
      {
        from: 3,
        callGas: enough - 1n,
        catchFailure: false,
        receipt: 0,
        answered: false,
        failed: false,
        record: 'outOfGas',
        reason: /^out of gas: inference 0/,
      },
      { from: 4, callGas: enough, catchFailure: false, receipt: 1, answered: true, failed: false, record: 'success', reason: undefined },
    ]
    for (const [i, c] of cases.entries()) {
      // A contract of its own per case, so each case's flags start false.
      assert.deepEqual(
        (await a.block([signedTx(1, BigInt(i), { data: encodeDeployData({ abi, bytecode: fixture.bytecode }) })])).codes,
        [0],
      )
      const contract = getContractAddress({ from: devKeys[1]!.address as Hex, nonce: BigInt(i) })
      const tx = signedTx(c.from, 0n, {
        to: contract,
        data: encodeFunctionData({ abi, functionName: 'infer', args: [metadata.cid, c.callGas, c.catchFailure] }),
        gasLimit: 3_000_000n,
      })
      const eth = a.app.evm.txCache.decode(tx)
      assert.equal((await a.abci.checkTx({ tx, type: CheckTxType.NEW })).code, 0)
      const status = await waitFor('ready', async () => {
        const s = a.app.inference.mempool.status(eth.hashHex)
        return s?.state === 'ready' ? s : undefined
      })
      if (c.reason) assert.match(status.reason ?? '', c.reason, `callGas ${c.callGas}`)
      else assert.equal(status.reason, undefined)
      assert.equal(status.requests.length, 1, 'the request is known, so its result is carried')
      const { codes } = await a.block([tx], { inMempool: true })
      assert.deepEqual(codes, [0, 0], 'the results tx, then the tx')
      assert.equal((await a.app.evm.blocks.tx(eth.hash))?.receipt.status, c.receipt)
      const [record] = await a.app.inference.keeper.recordsOfTx(eth.hash)
      assert.equal(record?.status, c.record, `callGas ${c.callGas}, catch ${c.catchFailure}`)
      assert.equal(await read(contract, 'answered'), c.answered)
      assert.equal(await read(contract, 'failed'), c.failed)
    }
  } finally {
    await a.close()
  }
})
