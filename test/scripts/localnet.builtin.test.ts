/**
 * The localnet tooling end to end against real CometBFT processes, with CometBFT's builtin
 * kvstore app so it does not depend on the pipe node: 2 validators start and agree, one is
 * crashed and catches up after a restart, and stop() frees every port.
 * Needs the pinned CometBFT (`npm install`); ports are offset by 700 to avoid `npm start`.
 */
import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { attestationPolicyOf, parseInferenceGenesis } from '../../app/modules/inference/genesis.ts'
import { verifyNitroAttestation } from '../../app/modules/inference/verification/nitroAttestation.ts'
import {
  DEV_ENCLAVE_IMAGE,
  importCertificateAuthority,
  SimulatedEnclave,
} from '../../app/modules/inference/verification/simulatedEnclave.ts'
import { cometbftBinary } from '../../scripts/cometbft.ts'
import { Localnet } from '../../scripts/localnet/localnet.ts'
import { LOCALNET_HOST } from '../../scripts/localnet/ports.ts'
import { isPortListening, liveProcesses } from '../../scripts/localnet/processes.ts'

const PORT_OFFSET = 700

async function cometRpc<T>(base: string, path: string): Promise<T> {
  const body = (await (await fetch(base + path)).json()) as { result?: T; error?: unknown }
  if (body.result === undefined) throw new Error(`${path}: ${JSON.stringify(body.error)}`)
  return body.result
}

describe('localnet with the builtin kvstore app', { timeout: 180_000 }, () => {
  const home = mkdtempSync(join(tmpdir(), 'pipe-localnet-builtin-'))
  const messages: string[] = []
  let net: Localnet | undefined

  before(async () => {
    cometbftBinary() // fails fast with the install hint when CometBFT is missing
    net = await Localnet.open({
      home,
      validators: 2,
      portOffset: PORT_OFFSET,
      blockTime: '300ms',
      app: { kind: 'builtin', name: 'kvstore' },
      log: (line) => messages.push(line),
    })
  })

  // Runs even when a test failed: no CometBFT may survive holding the ports.
  after(async () => {
    try {
      await net?.stop()
    } finally {
      for (const p of liveProcesses()) await p.stop('SIGKILL')
      rmSync(home, { recursive: true, force: true })
    }
  })

  test('init wrote the layout and the manifest', () => {
    assert.ok(net)
    assert.equal(net.validators, 2)
    for (const i of [0, 1]) {
      assert.ok(existsSync(join(home, `node${i}`, 'cometbft', 'config', 'genesis.json')))
      assert.ok(existsSync(join(home, `node${i}`, 'pipe')))
    }
    const manifest = JSON.parse(readFileSync(join(home, 'localnet.json'), 'utf8'))
    assert.equal(manifest.validators, 2)
    assert.equal(manifest.portOffset, PORT_OFFSET)
    assert.equal(manifest.blockTime, '300ms')
    // Same genesis on both nodes.
    assert.equal(
      readFileSync(join(home, 'node0/cometbft/config/genesis.json'), 'utf8'),
      readFileSync(join(home, 'node1/cometbft/config/genesis.json'), 'utf8'),
    )
    assert.equal(net.endpoints(1).cometRpc, `http://127.0.0.1:${26657 + 10 + PORT_OFFSET}`)
    assert.equal(net.logFile(1, 'cometbft'), join(home, 'logs', 'cometbft-1.log'))
  })

  test("the genesis pins the localnet's dev TEE root, whose key stays in the home: an enclave issued under it attests a key the chain's policy accepts", async () => {
    const genesis = JSON.parse(readFileSync(join(home, 'node0/cometbft/config/genesis.json'), 'utf8'))
    const der = readFileSync(join(home, 'tee', 'dev-root.der'))
    const tee = parseInferenceGenesis(genesis.app_state.inference).tee
    assert.ok(tee)
    assert.equal(tee.root_certificate, der.toString('base64'))
    assert.equal(tee.allow_debug, false)
    assert.equal(statSync(join(home, 'tee', 'dev-root.key')).mode & 0o077, 0, 'the key is readable by its owner only')
    const root = await importCertificateAuthority(new Uint8Array(der), new Uint8Array(readFileSync(join(home, 'tee', 'dev-root.key'))))
    const now = Date.now()
    const validity = { notBefore: new Date(now - 60_000), notAfter: new Date(now + 86_400_000) }
    const key = Uint8Array.from({ length: 33 }, (_, i) => (i === 0 ? 2 : i))
    const doc = await (await SimulatedEnclave.start(root, { image: DEV_ENCLAVE_IMAGE, validity })).attest({
      publicKey: key,
      timestampMs: now,
    })
    const attested = await verifyNitroAttestation(doc, attestationPolicyOf(tee), new Date(now + 1000), key)
    assert.deepEqual(attested.publicKey, key)
    // Another image's enclave under the same root is not allowed by the localnet's policy.
    const other = await (await SimulatedEnclave.start(root, { image: 'another-image', validity })).attest({
      publicKey: key,
      timestampMs: now,
    })
    await assert.rejects(
      verifyNitroAttestation(other, attestationPolicyOf(tee), new Date(now + 1000), key),
      /matches no allowed enclave image/,
    )
  })

  test('reopening with another validator count is refused with a --reset hint', async () => {
    await assert.rejects(Localnet.open({ home, validators: 3, app: { kind: 'builtin', name: 'kvstore' } }), /2-validator localnet.*--reset/)
  })

  test('both nodes reach height 3 with equal app hashes', async () => {
    assert.ok(net)
    await net.start()
    // A tx through node 0, so the app hash is not just the empty store's.
    const committed = await cometRpc<{ height: string; tx_result: { code: number } }>(
      net.endpoints(0).cometRpc,
      '/broadcast_tx_commit?tx="pipe=localnet"',
    )
    assert.equal(committed.tx_result.code, 0)
    const h = BigInt(committed.height) + 1n // the header after the tx's block carries its app hash
    await net.waitForHeight(h > 3n ? h : 3n, { timeoutMs: 30_000 })
    const statuses = await net.status()
    assert.ok(statuses.every((s) => s.error === undefined && s.height >= 3n))
    // Compare at one height: the latest ones may differ by a block between two queries.
    const hashes = await Promise.all(
      [0, 1].map(
        async (i) =>
          (await cometRpc<{ block: { header: { app_hash: string } } }>(net!.endpoints(i).cometRpc, `/block?height=${h}`)).block.header
            .app_hash,
      ),
    )
    assert.notEqual(hashes[0], '0000000000000000')
    assert.equal(hashes[0], hashes[1])
  })

  test('a second localnet on the same ports is refused with a clear error', async () => {
    const other = mkdtempSync(join(tmpdir(), 'pipe-localnet-clash-'))
    try {
      const clash = await Localnet.open({ home: other, validators: 1, portOffset: PORT_OFFSET, app: { kind: 'builtin', name: 'kvstore' } })
      await assert.rejects(clash.startNode(0), /already in use.*--port-offset/)
    } finally {
      rmSync(other, { recursive: true, force: true })
    }
  })

  test('a SIGKILLed node restarts and catches up', async () => {
    assert.ok(net)
    await net.stopNode(1, 'SIGKILL')
    assert.equal(net.isRunning(1), false)
    assert.equal((await net.status())[1]!.error !== undefined, true, 'node 1 is down')
    await net.startNode(1)
    const [s0] = await net.status()
    await net.waitForHeight(s0!.height + 3n, { timeoutMs: 30_000 })
    const after = await net.status()
    assert.equal(after[1]!.catchingUp, false)
    assert.equal(
      messages.some((m) => /exited unexpectedly/.test(m)),
      false,
      'a requested kill is not reported as a crash',
    )
  })

  test('stop() leaves nothing listening on the localnet ports', async () => {
    assert.ok(net)
    await net.stop()
    assert.deepEqual(liveProcesses(), [])
    for (const i of [0, 1]) {
      for (const [name, port] of Object.entries(net.ports(i))) {
        assert.equal(await isPortListening(LOCALNET_HOST, port), false, `node ${i} ${name} port ${port} still listening`)
      }
      assert.ok((await net.status())[i]!.error, `node ${i} reported down`)
    }
    assert.match(readFileSync(net.logFile(0, 'cometbft'), 'utf8'), /cometbft-0 exited \(code 0\)/)
  })
})
