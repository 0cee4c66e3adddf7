import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Account, Address, hexToBytes } from '@ethereumjs/util'
import { accountKey, RecordingStateManager } from '../../../app/modules/evm/recordingStateManager.ts'

/**
 * What the state manager records as written: `a` keys for balance, nonce and code, slot keys for
 * storage, `c` keys for a cleared storage — and not `a` for the storage-root update ethereumjs
 * makes when it writes a slot (the inference mempool re-simulates whatever read a written key).
 */
const contract = new Address(hexToBytes(`0x${'c1'.repeat(20)}`))
const slot = new Uint8Array(32).fill(7)

test('storing a slot records the slot, not the account whose storage root it changes; account and code changes record the account', async () => {
  for (const caches of [true, false]) {
    const state = new RecordingStateManager(caches ? {} : { caches: undefined })
    await state.putAccount(contract, new Account(0n, 1n))
    await state.putCode(contract, hexToBytes('0x6000'))
    await state.flush()
    const created = state.takeAccess().writes
    assert.ok(created.has(accountKey(contract)), 'creating the account and its code writes it')

    const rootBefore = (await state.getAccount(contract))?.storageRoot
    await state.putStorage(contract, slot, hexToBytes('0x2a'))
    await state.flush()
    const stored = state.takeAccess().writes
    assert.deepEqual([...stored], [`s${'c1'.repeat(20)}${'07'.repeat(32)}`], `caches ${caches}: only the slot`)
    assert.notDeepEqual((await state.getAccount(contract))?.storageRoot, rootBefore, 'the storage root did change')

    await state.clearStorage(contract)
    await state.flush()
    assert.deepEqual([...state.takeAccess().writes], [`c${'c1'.repeat(20)}`], 'clearing records the whole storage')

    await state.modifyAccountFields(contract, { balance: 5n })
    await state.flush()
    assert.ok(state.takeAccess().writes.has(accountKey(contract)), 'a balance change writes the account')
  }
})
