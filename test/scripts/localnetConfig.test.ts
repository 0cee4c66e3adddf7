/**
 * Unit tests of the localnet's pure parts: config.toml editing, the port scheme, genesis
 * building, the manifest, home wiping and CLI parsing. The one test that needs the real
 * CometBFT template is skipped when the binary is not installed.
 */
import assert from 'node:assert/strict'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import { COMETBFT_VERSION, runCometbft } from '../../scripts/cometbft.ts'
import { COMETBFT_BINARY } from '../../scripts/install-cometbft.mjs'
import { parseCliArgs } from '../../scripts/localnet/cli.ts'
import {
  applyConfigEdits,
  buildGenesis,
  LOCALNET_MAX_GAS,
  peerAddress,
  type ValidatorKey,
  writeGenesis,
} from '../../scripts/localnet/config.ts'
import { wipeLocalnetHome } from '../../scripts/localnet/home.ts'
import { type LocalnetManifest, readManifest, writeManifest } from '../../scripts/localnet/manifest.ts'
import { DEFAULT_PORTS, listenedPorts, nodeEndpoints, nodePorts } from '../../scripts/localnet/ports.ts'
import { formatHeightsLine, formatStatusLine } from '../../scripts/localnet/status.ts'
import { getTomlKey, setTomlKey, tomlLiteral } from '../../scripts/localnet/toml.ts'

const tmp = mkdtempSync(join(tmpdir(), 'pipe-localnet-config-'))
after(() => rmSync(tmp, { recursive: true, force: true }))

// Shaped like CometBFT's template: root keys, comments, the same key in two sections.
const TEMPLATE = `# This is a TOML config file.
proxy_app = "tcp://127.0.0.1:26658"

# A custom human readable name for this node
moniker = "vm"

[rpc]

# TCP or UNIX socket address for the RPC server to listen on
laddr = "tcp://127.0.0.1:26657"

[p2p]
laddr = "tcp://0.0.0.0:26656"
persistent_peers = ""

[consensus]
timeout_commit = "1s"
`

describe('toml: set key in section', () => {
  test('replaces a key only inside the named section', () => {
    const out = setTomlKey(TEMPLATE, 'p2p', 'laddr', 'tcp://127.0.0.1:1')
    assert.equal(getTomlKey(out, 'p2p', 'laddr'), '"tcp://127.0.0.1:1"')
    assert.equal(getTomlKey(out, 'rpc', 'laddr'), '"tcp://127.0.0.1:26657"')
    // Nothing else moved: same line count, comments intact.
    assert.equal(out.split('\n').length, TEMPLATE.split('\n').length)
    assert.match(out, /# TCP or UNIX socket address/)
  })

  test("'' is the root table before the first header", () => {
    const out = setTomlKey(TEMPLATE, '', 'moniker', 'node3')
    assert.equal(getTomlKey(out, '', 'moniker'), '"node3"')
    assert.equal(getTomlKey(out, '', 'laddr'), undefined)
  })

  test('appends an absent key at the end of its section, before the blank line', () => {
    const out = setTomlKey(TEMPLATE, 'rpc', 'cors_allowed_origins', ['*'])
    assert.equal(getTomlKey(out, 'rpc', 'cors_allowed_origins'), '["*"]')
    assert.match(out, /laddr = "tcp:\/\/127.0.0.1:26657"\ncors_allowed_origins = \["\*"\]\n\n\[p2p\]/)
    // Last section, no trailing blank line to keep.
    const end = setTomlKey(TEMPLATE, 'consensus', 'timeout_propose', '3s')
    assert.equal(getTomlKey(end, 'consensus', 'timeout_propose'), '"3s"')
  })

  test('a key name that is a prefix of another is not confused with it', () => {
    const text = '[p2p]\npersistent_peers_max_dial_period = "0s"\npersistent_peers = ""\n'
    const out = setTomlKey(text, 'p2p', 'persistent_peers', 'a@b:1')
    assert.equal(getTomlKey(out, 'p2p', 'persistent_peers_max_dial_period'), '"0s"')
    assert.equal(getTomlKey(out, 'p2p', 'persistent_peers'), '"a@b:1"')
  })

  test('an unknown section is an error, not a silently added table', () => {
    assert.throws(() => setTomlKey(TEMPLATE, 'nope', 'x', 1), /no \[nope\] section/)
  })

  test('literals', () => {
    assert.equal(tomlLiteral('a"b'), '"a\\"b"')
    assert.equal(tomlLiteral(10000), '10000')
    assert.equal(tomlLiteral(false), 'false')
    assert.equal(tomlLiteral([]), '[]')
  })
})

describe('port scheme', () => {
  test('validator 0 without offset uses the documented defaults', () => {
    assert.deepEqual(nodePorts(0), {
      p2p: 26656,
      cometRpc: 26657,
      abci: 26658,
      prometheus: 26660,
      jsonRpc: 8545,
      ws: 8546,
      grpc: 9090,
      rest: 1317,
    })
    assert.deepEqual(nodePorts(0, 0), { ...DEFAULT_PORTS })
  })

  test('validator i adds 10·i, plus the offset', () => {
    assert.deepEqual(nodePorts(3, 700), {
      p2p: 27386,
      cometRpc: 27387,
      abci: 27388,
      prometheus: 27390,
      jsonRpc: 9275,
      ws: 9276,
      grpc: 9820,
      rest: 2047,
    })
  })

  test('no two ports of a 100-validator localnet collide', () => {
    const all = Array.from({ length: 100 }, (_, i) => Object.values(nodePorts(i, 700))).flat()
    assert.equal(new Set(all).size, all.length)
  })

  test('out-of-range ports and bad indexes throw', () => {
    assert.throws(() => nodePorts(0, 40_000), /out of range/)
    assert.throws(() => nodePorts(-1), /non-negative/)
  })

  test('endpoints are URLs, gRPC is host:port', () => {
    assert.deepEqual(nodeEndpoints(nodePorts(1)), {
      cometRpc: 'http://127.0.0.1:26667',
      jsonRpc: 'http://127.0.0.1:8555',
      ws: 'ws://127.0.0.1:8556',
      grpc: '127.0.0.1:9100',
      rest: 'http://127.0.0.1:1327',
      p2p: 'tcp://127.0.0.1:26666',
      abci: 'tcp://127.0.0.1:26668',
      prometheus: 'http://127.0.0.1:26670',
    })
  })

  test('a builtin app listens only on CometBFT ports', () => {
    assert.deepEqual(
      listenedPorts(nodePorts(0), false)
        .map(([n]) => n)
        .sort(),
      ['cometRpc', 'p2p', 'prometheus'],
    )
    assert.equal(listenedPorts(nodePorts(0), true).length, 8)
  })
})

describe('config.toml edits', () => {
  const input = {
    moniker: 'node1',
    ports: nodePorts(1, 700),
    persistentPeers: [peerAddress('aa11', nodePorts(0, 700)), peerAddress('cc33', nodePorts(2, 700))],
    blockTime: '250ms',
  }
  const expect = (toml: string): void => {
    assert.equal(getTomlKey(toml, '', 'moniker'), '"node1"')
    assert.equal(getTomlKey(toml, '', 'proxy_app'), '"tcp://127.0.0.1:27368"')
    assert.equal(getTomlKey(toml, 'rpc', 'laddr'), '"tcp://127.0.0.1:27367"')
    assert.equal(getTomlKey(toml, 'p2p', 'laddr'), '"tcp://127.0.0.1:27366"')
    assert.equal(getTomlKey(toml, 'p2p', 'persistent_peers'), '"aa11@127.0.0.1:27356,cc33@127.0.0.1:27376"')
    assert.equal(getTomlKey(toml, 'p2p', 'addr_book_strict'), 'false')
    assert.equal(getTomlKey(toml, 'p2p', 'allow_duplicate_ip'), 'true')
    assert.equal(getTomlKey(toml, 'consensus', 'timeout_commit'), '"250ms"')
    assert.equal(getTomlKey(toml, 'instrumentation', 'prometheus'), 'true')
    assert.equal(getTomlKey(toml, 'instrumentation', 'prometheus_listen_addr'), '"127.0.0.1:27370"')
    assert.equal(getTomlKey(toml, 'mempool', 'size'), '10000')
    assert.equal(getTomlKey(toml, 'tx_index', 'indexer'), '"kv"')
  }

  test('on a minimal template with every section', () => {
    const minimal =
      TEMPLATE +
      '\n[mempool]\nsize = 5000\n\n[tx_index]\nindexer = "kv"\n\n[instrumentation]\nprometheus = false\nprometheus_listen_addr = ":26660"\n'
    const out = applyConfigEdits(minimal, input)
    expect(out)
    assert.equal(applyConfigEdits(out, input), out, 'idempotent')
  })

  test(`on CometBFT v${COMETBFT_VERSION}'s own template`, { skip: !existsSync(COMETBFT_BINARY) && 'cometbft not installed' }, () => {
    const home = join(tmp, 'cometinit')
    runCometbft(['init', '--home', home])
    const template = readFileSync(join(home, 'config', 'config.toml'), 'utf8')
    const out = applyConfigEdits(template, input)
    expect(out)
    // Only the edited keys' lines changed (12 edits; moniker/indexer… may already match).
    const changed = out.split('\n').filter((l, i) => l !== template.split('\n')[i])
    assert.ok(changed.length <= 12 && changed.length >= 9, `changed ${changed.length} lines`)
    assert.equal(out.split('\n').length, template.split('\n').length)
  })
})

describe('genesis', () => {
  const keys: ValidatorKey[] = [
    { address: 'AA', pub_key: { type: 'tendermint/PubKeyEd25519', value: 'a==' } },
    { address: 'BB', pub_key: { type: 'tendermint/PubKeyEd25519', value: 'b==' } },
  ]
  const defaults = {
    block: { max_bytes: '22020096', max_gas: '-1' },
    evidence: { max_age_num_blocks: '100000' },
    abci: { vote_extensions_enable_height: '0' },
  }
  const genesis = buildGenesis({
    chainId: 'pipe_1337-1',
    genesisTime: '2025-01-01T00:00:00.000Z',
    defaultConsensusParams: defaults,
    validators: keys,
    appState: { evm: { accounts: [] } },
  })

  test('has the chain id, height 1, every validator with power 10 and name node<i>', () => {
    assert.equal(genesis.chain_id, 'pipe_1337-1')
    assert.equal(genesis.initial_height, '1')
    assert.equal(genesis.genesis_time, '2025-01-01T00:00:00.000Z')
    assert.deepEqual(genesis.validators, [
      { address: 'AA', pub_key: keys[0]!.pub_key, power: '10', name: 'node0' },
      { address: 'BB', pub_key: keys[1]!.pub_key, power: '10', name: 'node1' },
    ])
    assert.equal(genesis.app_hash, '')
  })

  test("keeps CometBFT's consensus params except block.max_gas", () => {
    assert.equal(LOCALNET_MAX_GAS, '100000000')
    assert.deepEqual(genesis.consensus_params, { ...defaults, block: { max_bytes: '22020096', max_gas: '100000000' } })
    assert.equal(defaults.block.max_gas, '-1', 'input not mutated')
  })

  test('app_state is the given app genesis, and the file round-trips', () => {
    const home = join(tmp, 'genesis-home')
    mkdirSync(join(home, 'config'), { recursive: true })
    writeGenesis(home, genesis)
    const back = JSON.parse(readFileSync(join(home, 'config', 'genesis.json'), 'utf8'))
    assert.deepEqual(back, genesis)
    assert.deepEqual(back.app_state, { evm: { accounts: [] } })
  })

  test("app/genesis.ts's default app state is JSON-safe (it goes into genesis.json)", async () => {
    const { defaultAppGenesis } = await import('../../app/genesis.ts')
    const state = defaultAppGenesis()
    assert.deepEqual(JSON.parse(JSON.stringify(state)), state)
  })
})

describe('manifest and home', () => {
  const manifest: LocalnetManifest = {
    format: 1,
    chainId: 'pipe_1337-1',
    validators: 2,
    portOffset: 700,
    blockTime: '1s',
    nodeIds: ['a', 'b'],
    createdAt: 'now',
  }

  test('round-trips, and a missing one is undefined', () => {
    const home = join(tmp, 'm1')
    mkdirSync(home)
    assert.equal(readManifest(home), undefined)
    writeManifest(home, manifest)
    assert.deepEqual(readManifest(home), manifest)
  })

  test('a malformed manifest is a clear error', () => {
    const home = join(tmp, 'm2')
    mkdirSync(home)
    writeFileSync(join(home, 'localnet.json'), JSON.stringify({ ...manifest, nodeIds: ['a'] }))
    assert.throws(() => readManifest(home), /--reset/)
    writeFileSync(join(home, 'localnet.json'), '{')
    assert.throws(() => readManifest(home), /not valid JSON/)
  })

  test('wipe deletes a localnet home but refuses a folder with foreign files', () => {
    const home = join(tmp, 'w1')
    mkdirSync(join(home, 'node0', 'cometbft'), { recursive: true })
    mkdirSync(join(home, 'logs'))
    writeManifest(home, manifest)
    wipeLocalnetHome(home)
    assert.equal(existsSync(home), false)
    wipeLocalnetHome(home) // absent: no-op

    const other = join(tmp, 'w2')
    mkdirSync(join(other, 'node0'), { recursive: true })
    writeFileSync(join(other, 'thesis.tex'), 'precious')
    assert.throws(() => wipeLocalnetHome(other), /refusing to wipe .*thesis\.tex/)
    assert.equal(existsSync(join(other, 'thesis.tex')), true)
  })
})

describe('cli and status formatting', () => {
  test('parses start options and keeps node args after --', () => {
    const a = parseCliArgs([
      'start',
      '--validators',
      '2',
      '--reset',
      '--home',
      '/x',
      '--block-time',
      '500ms',
      '--port-offset',
      '100',
      '--',
      '--log-level',
      'debug',
    ])
    assert.equal(a.command, 'start')
    assert.equal(a.validators, 2)
    assert.equal(a.reset, true)
    assert.equal(a.home, '/x')
    assert.equal(a.blockTime, '500ms')
    assert.equal(a.portOffset, 100)
    assert.deepEqual(a.app, { kind: 'pipe' })
    assert.deepEqual(a.nodeArgs, ['--log-level', 'debug'])
    assert.deepEqual(parseCliArgs(['start', '--app', 'kvstore']).app, { kind: 'builtin', name: 'kvstore' })
    assert.equal(parseCliArgs(['--help']).command, 'help')
  })

  test('rejects bad values', () => {
    assert.throws(() => parseCliArgs(['start', '--validators', 'four']), /integer/)
    assert.throws(() => parseCliArgs(['start', '--app', 'geth']), /pipe or kvstore/)
    assert.throws(() => parseCliArgs(['start', '--nope']), /Unknown option/)
  })

  test('status lines', () => {
    assert.equal(formatStatusLine({ node: 0, height: 12n, appHash: 'AB', catchingUp: false }), 'node0  height 12  app_hash AB  synced')
    assert.equal(
      formatStatusLine({ node: 1, height: 0n, appHash: '', catchingUp: false, error: 'connection refused' }),
      'node1  down (connection refused)',
    )
    assert.equal(
      formatHeightsLine([
        { node: 0, height: 5n, appHash: '', catchingUp: true },
        { node: 1, height: 0n, appHash: '', catchingUp: false, error: 'x' },
      ]),
      'node0 5 (catching up) | node1 down',
    )
  })
})
