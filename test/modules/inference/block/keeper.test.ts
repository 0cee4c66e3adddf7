import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { test } from 'node:test'
import { initCrypto, sha256 } from '../../../../app/crypto.ts'
import { InferenceKeeper } from '../../../../app/modules/inference/block/keeper.ts'
import type { InferenceResult } from '../../../../app/modules/inference/types/result.ts'
import { VerificationMode } from '../../../../app/modules/inference/types/verificationMode.ts'
import { KvStore, WriteSet } from '../../../../app/store/kvStore.ts'

const zkResult = (artefact: Uint8Array): InferenceResult => ({
  key: new Uint8Array(32).fill(1),
  keyHex: `0x${'01'.repeat(32)}`,
  mode: VerificationMode.VERIFICATION_MODE_ZKML,
  modelCid: 'bafkreimodel',
  inputHash: new Uint8Array(32).fill(2),
  output: Uint8Array.of(3),
  modelGas: 1n,
  artefact,
})

/** One block with `artefact`'s result committed to a fresh LevelDB; returns the store's folder and root. */
async function commitBlock(artefact: Uint8Array): Promise<{ dir: string; root: Uint8Array }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pipe-inference-keeper-'))
  const kv = await KvStore.open(dir)
  const keeper = await InferenceKeeper.open(kv)
  keeper.putBlock([zkResult(artefact)], [])
  const ws = new WriteSet()
  const root = keeper.endBlock(ws)
  await kv.write(ws.entries())
  keeper.blockCommitted()
  await kv.close()
  return { dir, root }
}

test('proof artefacts are kept by hash beside the state, survive a restart, and the state root pins their hash', async () => {
  await initCrypto()
  const artefact = Uint8Array.from({ length: 4000 }, (_, i) => i % 251)
  const { dir, root } = await commitBlock(artefact)
  const other = await commitBlock(Uint8Array.of(...artefact.subarray(0, 3999), 7))
  try {
    assert.notDeepEqual(root, other.root, 'a different proof gives a different state root')
    const kv = await KvStore.open(dir)
    const reopened = await InferenceKeeper.open(kv)
    assert.deepEqual(new Uint8Array(reopened.root()), new Uint8Array(root))
    assert.deepEqual(new Uint8Array((await reopened.proof(sha256(artefact)))!), artefact)
    assert.equal(await reopened.proof(new Uint8Array(32)), undefined)
    await kv.close()
  } finally {
    for (const d of [dir, other.dir]) fs.rmSync(d, { recursive: true, force: true })
  }
})

test('a block executed but not committed leaves no proof behind', async () => {
  await initCrypto()
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pipe-inference-keeper-'))
  const kv = await KvStore.open(dir)
  try {
    const keeper = await InferenceKeeper.open(kv)
    const artefact = Uint8Array.of(9, 9, 9)
    keeper.putBlock([zkResult(artefact)], [])
    keeper.discardUncommitted()
    const ws = new WriteSet()
    keeper.endBlock(ws)
    await kv.write(ws.entries())
    assert.equal(await keeper.proof(sha256(artefact)), undefined)
  } finally {
    await kv.close()
    fs.rmSync(dir, { recursive: true, force: true })
  }
})
