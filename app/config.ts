import path from 'node:path'
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
  /** gRPC (inference queries), `host:port`. Reserved for the inference module. */
  grpc: string
  /** REST (model hub), `host:port`. Reserved for the inference module. */
  rest: string
  /** CometBFT's RPC, where eth_sendRawTransaction broadcasts. */
  cometRpc: string
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
  logLevel: 'info',
}

const FLAGS: Record<string, keyof NodeConfig> = {
  '--home': 'home',
  '--abci': 'abci',
  '--json-rpc': 'jsonRpc',
  '--ws': 'ws',
  '--grpc': 'grpc',
  '--rest': 'rest',
  '--cometbft-rpc': 'cometRpc',
  '--log-level': 'logLevel',
}

export const USAGE = `usage: pipe-node [flags]
${Object.entries(FLAGS)
  .map(([flag, key]) => `  ${flag.padEnd(16)} default ${DEFAULT_CONFIG[key]}`)
  .join('\n')}`

/** Parses `--flag value` pairs over the defaults; unknown flags are an error. */
export function parseNodeArgs(argv: string[]): NodeConfig {
  const config: NodeConfig = { ...DEFAULT_CONFIG }
  for (let i = 0; i < argv.length; i++) {
    const key = FLAGS[argv[i]]
    if (!key) throw new Error(`unknown flag ${argv[i]}\n${USAGE}`)
    const value = argv[++i]
    if (value === undefined) throw new Error(`flag ${argv[i - 1]} needs a value`)
    if (key === 'logLevel' && !['debug', 'info', 'warn', 'error'].includes(value)) {
      throw new Error(`--log-level must be debug, info, warn or error`)
    }
    ;(config as unknown as Record<string, string>)[key] = value
  }
  config.home = path.resolve(config.home)
  return config
}
