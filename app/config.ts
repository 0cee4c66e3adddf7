import path from 'node:path'
import { BYZANTINE_PROPOSERS, type ByzantineProposer } from './block/byzantineProposal.ts'
import type { LogLevel } from './log.ts'

/** Everything a pipe node needs to start. Defaults are validator 0 of a localnet. */
export interface NodeConfig {
  /** Node home; the database lives in `<home>/data`. */
  home: string
  /** Where CometBFT connects: `tcp://host:port` or `unix:///path`. */
  abci: string
  /** Ethereum JSON-RPC over HTTP, `host:port`. */
  jsonRpc: string
  /** Ethereum JSON-RPC over WebSocket, `host:port`. */
  ws: string
  /** gRPC (queries, BroadcastTx, health, reflection), `host:port`; undefined: no gRPC server (`--grpc off`). */
  grpc: string | undefined
  /** REST: the model hub (`/v1/models`), `host:port`. */
  rest: string
  /** CometBFT's RPC, where eth_sendRawTransaction broadcasts. */
  cometRpc: string
  /** Model store folder; several nodes of one machine may share it. Default `<home>/models`. */
  models: string
  /** REST base URLs of other nodes to fetch unknown models from (comma-separated on the CLI). */
  modelPeers: string[]
  /** Inference worker threads; default one per core. */
  inferenceWorkers: number | undefined
  /** How long one inference may take before its tx is dropped from the mempool. */
  inferenceTimeoutMs: number
  /** Inference-mempool simulation threads; default 1. */
  simulationThreads: number | undefined
  /** ZKML prover threads; default 1. */
  zkProvers: number | undefined
  /** ZKML verifier threads; default one per core. */
  zkVerifiers: number | undefined
  /** TEST ONLY: propose blocks with corrupted ZKML proofs (a byzantine proposer). */
  testByzantineProposer: ByzantineProposer | undefined
  logLevel: LogLevel
}

export const DEFAULT_CONFIG: NodeConfig = {
  home: path.resolve('.pipe'),
  abci: 'tcp://127.0.0.1:26658',
  jsonRpc: '127.0.0.1:8545',
  ws: '127.0.0.1:8546',
  grpc: '127.0.0.1:9090',
  rest: '127.0.0.1:1317',
  cometRpc: 'http://127.0.0.1:26657',
  models: '',
  modelPeers: [],
  inferenceWorkers: undefined,
  inferenceTimeoutMs: 30_000,
  simulationThreads: undefined,
  zkProvers: undefined,
  zkVerifiers: undefined,
  testByzantineProposer: undefined,
  logLevel: 'info',
}

type Flag = { key: keyof NodeConfig; parse?: (v: string) => unknown; help: string }

/** Parser of a flag that takes a positive integer. */
const positiveInt =
  (flag: string) =>
  (v: string): number => {
    const n = Number(v)
    if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} must be a positive integer`)
    return n
  }

/** `--grpc`: `off`, or a `host:port` to listen on (port 0: any free one). */
function grpcAddress(v: string): string | undefined {
  if (v === 'off') return undefined
  const m = /^(.+):(\d{1,5})$/.exec(v)
  if (!m || Number(m[2]) > 65535) throw new Error(`--grpc must be host:port or off, got "${v}"`)
  return v
}

const FLAGS: Record<string, Flag> = {
  '--home': { key: 'home', help: 'node home (database in <home>/data)' },
  '--abci': { key: 'abci', help: 'ABCI listen address (tcp://host:port or unix:///path)' },
  '--json-rpc': { key: 'jsonRpc', help: 'Ethereum JSON-RPC over HTTP, host:port' },
  '--ws': { key: 'ws', help: 'Ethereum JSON-RPC over WebSocket, host:port' },
  '--grpc': { key: 'grpc', parse: grpcAddress, help: 'gRPC, host:port, or off' },
  '--rest': { key: 'rest', help: 'REST (model hub), host:port' },
  '--cometbft-rpc': { key: 'cometRpc', help: "CometBFT's RPC URL" },
  '--models': { key: 'models', help: 'model store folder (default <home>/models)' },
  '--model-peers': {
    key: 'modelPeers',
    parse: (v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    help: 'REST URLs of nodes to fetch unknown models from, comma-separated',
  },
  '--inference-workers': {
    key: 'inferenceWorkers',
    parse: positiveInt('--inference-workers'),
    help: 'inference worker threads (default: one per core)',
  },
  '--inference-timeout-ms': {
    key: 'inferenceTimeoutMs',
    parse: positiveInt('--inference-timeout-ms'),
    help: 'how long one inference may take before its tx is dropped',
  },
  '--simulation-threads': {
    key: 'simulationThreads',
    parse: positiveInt('--simulation-threads'),
    help: 'threads simulating mempool txs and proposals off the main thread (default 2)',
  },
  '--zk-provers': { key: 'zkProvers', parse: positiveInt('--zk-provers'), help: 'ZKML prover threads (default 1)' },
  '--zk-verifiers': { key: 'zkVerifiers', parse: positiveInt('--zk-verifiers'), help: 'ZKML verifier threads (default: one per core)' },
  '--test-byzantine-proposer': {
    key: 'testByzantineProposer',
    parse: (v) => {
      if (!(BYZANTINE_PROPOSERS as readonly string[]).includes(v)) {
        throw new Error(`--test-byzantine-proposer must be ${BYZANTINE_PROPOSERS.join(' or ')}`)
      }
      return v
    },
    help: `TEST ONLY: propose with corrupted inference results (${BYZANTINE_PROPOSERS.join(', ')})`,
  },
  '--log-level': {
    key: 'logLevel',
    parse: (v) => {
      if (!['debug', 'info', 'warn', 'error'].includes(v)) throw new Error('--log-level must be debug, info, warn or error')
      return v
    },
    help: 'debug, info, warn or error',
  },
}

export const USAGE = `usage: pipe-node [flags]
${Object.entries(FLAGS)
  .map(([flag, f]) => `  ${flag.padEnd(20)} ${f.help}${DEFAULT_CONFIG[f.key] ? ` (default ${DEFAULT_CONFIG[f.key]})` : ''}`)
  .join('\n')}`

/** Parses `--flag value` pairs over the defaults; unknown flags are an error. */
export function parseNodeArgs(argv: string[]): NodeConfig {
  const config: NodeConfig = { ...DEFAULT_CONFIG }
  for (let i = 0; i < argv.length; i++) {
    const flag = FLAGS[argv[i]!]
    if (!flag) throw new Error(`unknown flag ${argv[i]}\n${USAGE}`)
    const value = argv[++i]
    if (value === undefined) throw new Error(`flag ${argv[i - 1]} needs a value`)
    ;(config as unknown as Record<string, unknown>)[flag.key] = flag.parse ? flag.parse(value) : value
  }
  config.home = path.resolve(config.home)
  config.models = path.resolve(config.models || path.join(config.home, 'models'))
  return config
}
