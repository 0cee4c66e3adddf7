/**
 * The pipe-node side of the localnet, with stand-in node scripts (the real app/main.ts is
 * tested by the app's own tests): the command line a node gets, the errors when a node
 * crashes or never lets CometBFT finish its handshake, and SIGKILL escalation.
 */
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import { Localnet } from '../../scripts/localnet/localnet.ts'
import { liveProcesses, spawnLogged, tailFile } from '../../scripts/localnet/processes.ts'

const PORT_OFFSET = 800
const tmp = mkdtempSync(join(tmpdir(), 'pipe-localnet-pipe-'))

after(async () => {
  for (const p of liveProcesses()) await p.stop('SIGKILL')
  rmSync(tmp, { recursive: true, force: true })
})

/** A stand-in node that logs its arguments and fails. */
const CRASHING = join(tmp, 'crashing.mjs')
writeFileSync(
  CRASHING,
  "console.error('ARGS ' + JSON.stringify(process.argv.slice(2)))\nconsole.error('boom: no database')\nprocess.exit(3)\n",
)

/** A stand-in node that opens its ABCI port but never answers, so CometBFT's handshake hangs. */
const SILENT = join(tmp, 'silent.mjs')
writeFileSync(
  SILENT,
  `import { createServer } from 'node:net'
const abci = new URL(process.argv[process.argv.indexOf('--abci') + 1])
createServer(() => {}).listen(Number(abci.port), abci.hostname)
`,
)

describe('pipe node processes', { timeout: 60_000 }, () => {
  test('a node that crashes at startup: its command line and log tail are in the error', async () => {
    const net = await Localnet.open({
      home: join(tmp, 'crash'),
      validators: 2,
      portOffset: PORT_OFFSET,
      app: { kind: 'pipe', main: CRASHING },
      nodeArgs: ['--log-level', 'debug'],
      appState: {},
    })
    const err = await net.startNode(1).then(
      () => assert.fail('startNode should fail'),
      (e: Error) => e,
    )
    assert.match(err.message, /pipe-1 exited \(code 3\) before its pipe node 1 ABCI port \(127\.0\.0\.1:27468\) opened/)
    assert.match(err.message, /boom: no database/)
    assert.match(err.message, /pipe-1\.log/)
    const args = JSON.parse(/ARGS (.*)/.exec(tailFile(net.logFile(1, 'pipe')))![1]!) as string[]
    assert.deepEqual(args, [
      '--home',
      join(tmp, 'crash', 'node1', 'pipe'),
      '--abci',
      'tcp://127.0.0.1:27468',
      '--json-rpc',
      '127.0.0.1:9355',
      '--ws',
      '127.0.0.1:9356',
      '--grpc',
      '127.0.0.1:9900',
      '--rest',
      '127.0.0.1:2127',
      '--cometbft-rpc',
      'http://127.0.0.1:27467',
      '--models',
      join(tmp, 'crash', 'models'),
      '--model-peers',
      'http://127.0.0.1:2117',
      '--log-level',
      'debug',
    ])
    assert.equal(net.isRunning(1), false)
  })

  test('CometBFT that never gets through the handshake: timeout error with its log, both processes gone', async () => {
    const net = await Localnet.open({
      home: join(tmp, 'silent'),
      validators: 1,
      portOffset: PORT_OFFSET,
      app: { kind: 'pipe', main: SILENT },
      appState: {},
      startTimeoutMs: 3_000,
    })
    await assert.rejects(
      net.start(),
      /timed out after 3000 ms waiting for cometbft-0 RPC http:\/\/127\.0\.0\.1:27457\/status[\s\S]*cometbft-0\.log/,
    )
    assert.equal(net.isRunning(0), false)
    assert.deepEqual(liveProcesses(), [])
  })

  test('a missing entry script is a clear error', async () => {
    const net = await Localnet.open({
      home: join(tmp, 'missing'),
      validators: 1,
      portOffset: PORT_OFFSET,
      app: { kind: 'pipe', main: join(tmp, 'nope.ts') },
      appState: {},
    })
    await assert.rejects(net.start(), /nope\.ts does not exist/)
  })

  test('stop escalates to SIGKILL when SIGTERM is ignored', async () => {
    const proc = spawnLogged({
      name: 'stubborn',
      command: process.execPath,
      args: [
        '-e',
        "process.on('SIGTERM', () => console.log('ignoring SIGTERM')); console.log('up' + 'and' + 'waiting'); setInterval(() => {}, 1000)",
      ],
      logFile: join(tmp, 'stubborn.log'),
    })
    while (!tailFile(proc.logFile).includes('upandwaiting')) await new Promise((r) => setTimeout(r, 50))
    const exit = await proc.stop('SIGTERM', 500)
    assert.equal(exit.signal, 'SIGKILL')
    assert.match(
      tailFile(proc.logFile),
      /ignoring SIGTERM[\s\S]*ignored SIGTERM for 500 ms; sending SIGKILL[\s\S]*stubborn exited \(signal SIGKILL\)/,
    )
  })
})
