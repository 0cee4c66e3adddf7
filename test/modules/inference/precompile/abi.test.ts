import assert from 'node:assert/strict'
import { test } from 'node:test'
import { type AbiEvent, type AbiFunction, toEventSelector, toFunctionSelector } from 'viem'
import { ogInferenceAbi } from '../../../../app/modules/inference/precompile/abi.ts'
import { loadContract } from '../../../support/contracts.ts'

test('the TypeScript ABI of the precompile matches the Solidity interface solc compiles', () => {
  const solidity = loadContract('OGInference').abi as unknown as (AbiFunction | AbiEvent)[]
  const fn = solidity.find((x) => x.type === 'function' && x.name === 'runModelInference') as AbiFunction
  const ev = solidity.find((x) => x.type === 'event' && x.name === 'ModelInferenceEvent') as AbiEvent
  assert.equal(toFunctionSelector(ogInferenceAbi[0]), toFunctionSelector(fn))
  assert.equal(
    toFunctionSelector(fn),
    toFunctionSelector('runModelInference((uint8,string,((string,(int128,int128)[],uint32[])[],(string,string[])[])))'),
  )
  assert.deepEqual(
    ogInferenceAbi[0].outputs.map((o) => o.type),
    fn.outputs.map((o) => o.type),
  )
  assert.equal(toEventSelector(ogInferenceAbi[1]), toEventSelector(ev))
  assert.equal(toEventSelector(ev), toEventSelector('ModelInferenceEvent(string,uint8,string)'))
})
