/**
 * `npm start` and friends: run a localnet in the foreground, inspect it, or wipe it.
 *
 *   tsx scripts/localnet/cli.ts start [--validators N] [--reset] [--home DIR] [--block-time 1s]
 *                                     [--port-offset K] [--app pipe|kvstore] [-- <extra node args>]
 *   tsx scripts/localnet/cli.ts status [--home DIR]
 *   tsx scripts/localnet/cli.ts reset [--home DIR]
 */
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import { hexToBytes } from '@ethereumjs/util'
import { toBech32Address } from '../../app/modules/auth/address.ts'
import { DEV_MNEMONIC, devAccounts } from '../../app/modules/evm/devAccounts.ts'
import { DEV_ACCOUNT_BALANCE, EVM_CHAIN_ID } from '../../app/modules/evm/params.ts'
import { DEFAULT_LOCALNET_HOME, wipeLocalnetHome } from './home.ts'
import { Localnet, type LocalnetApp } from './localnet.ts'
import { readManifest } from './manifest.ts'
import { nodeEndpoints, nodePorts } from './ports.ts'
import { fetchNodeStatus, formatHeightsLine, formatStatusLine } from './status.ts'

const USAGE = `PIPE localnet: N validators (CometBFT + pipe node each) on 127.0.0.1

usage:
  npm start [-- <options>]                   same as: tsx scripts/localnet/cli.ts start <options>
  tsx scripts/localnet/cli.ts <command> [options] [-- <extra pipe node args>]

commands:
  start    create the localnet if needed (or resume it from disk) and run it until Ctrl-C
  status   one line per validator: height, app hash, catching up, or down (exit 1 if any is down)
  reset    delete the localnet (it must be stopped)

options:
  --home DIR          localnet folder (default ${DEFAULT_LOCALNET_HOME})
  --validators N      validator count of a new localnet (default 4); an existing one keeps its count
  --reset             start: wipe the localnet first (fresh chain from genesis)
  --block-time T      CometBFT timeout_commit, e.g. 1s (default), 500ms
  --port-offset K     add K to every port (validator i uses the default ports + 10*i + K)
  --app pipe|kvstore  ABCI app: the PIPE node (default) or CometBFT's builtin kvstore (no pipe node)
  -h, --help          this help

Everything after a lone -- is passed to every pipe node, e.g.:
  npm start -- --validators 1 -- --inference-workers 1 --log-level debug`

/** Seconds between two live height lines. */
const LIVE_INTERVAL_MS = 3_000

interface CliArgs {
  command: string
  home: string
  validators?: number
  reset: boolean
  blockTime?: string
  portOffset?: number
  app: LocalnetApp
  nodeArgs: string[]
  help: boolean
}

/**
 * Parses the command line (without node and script). Everything after the first `--` is
 * kept verbatim for the pipe nodes.
 * @throws with a usage hint on unknown options or bad values.
 */
export function parseCliArgs(argv: string[]): CliArgs {
  const dash = argv.indexOf('--')
  const own = dash === -1 ? argv : argv.slice(0, dash)
  const nodeArgs = dash === -1 ? [] : argv.slice(dash + 1)
  const { values, positionals } = parseArgs({
    args: own,
    allowPositionals: true,
    options: {
      home: { type: 'string' },
      validators: { type: 'string' },
      reset: { type: 'boolean', default: false },
      'block-time': { type: 'string' },
      'port-offset': { type: 'string' },
      app: { type: 'string', default: 'pipe' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  })
  if (positionals.length > 1) throw new Error(`unexpected argument "${positionals[1]}"`)
  const int = (name: string, v: string | undefined): number | undefined => {
    if (v === undefined) return undefined
    if (!/^-?\d+$/.test(v)) throw new Error(`--${name} must be an integer, got "${v}"`)
    return Number(v)
  }
  let app: LocalnetApp
  if (values.app === 'pipe') app = { kind: 'pipe' }
  else if (values.app === 'kvstore') app = { kind: 'builtin', name: 'kvstore' }
  else throw new Error(`--app must be pipe or kvstore, got "${values.app}"`)
  return {
    command: positionals[0] ?? (values.help ? 'help' : ''),
    home: values.home ?? DEFAULT_LOCALNET_HOME,
    validators: int('validators', values.validators),
    reset: values.reset ?? false,
    blockTime: values['block-time'],
    portOffset: int('port-offset', values['port-offset']),
    app,
    nodeArgs,
    help: values.help ?? false,
  }
}

/** Writes a line without breaking the live height line a TTY shows at the bottom. */
function say(line: string): void {
  if (process.stdout.isTTY) process.stdout.write('\r\x1b[2K')
  process.stdout.write(`${line}\n`)
}

/** The endpoint table, dev-account hint and log location printed once the localnet is up. */
export function formatBanner(net: Localnet): string {
  const rows: string[][] = []
  const pipe = net.app.kind === 'pipe'
  const header = pipe ? ['node', 'CometBFT RPC', 'JSON-RPC HTTP', 'JSON-RPC WS', 'gRPC', 'REST', 'P2P'] : ['node', 'CometBFT RPC', 'P2P']
  rows.push(header)
  for (let i = 0; i < net.validators; i++) {
    const e = net.endpoints(i)
    rows.push(pipe ? [`node${i}`, e.cometRpc, e.jsonRpc, e.ws, e.grpc, e.rest, e.p2p] : [`node${i}`, e.cometRpc, e.p2p])
  }
  const widths = header.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)))
  const table = rows.map((r) =>
    r
      .map((cell, c) => cell.padEnd(widths[c]!))
      .join('  ')
      .trimEnd(),
  )
  const first = devAccounts(1)[0]!
  const lines = [
    '',
    `PIPE localnet is up: ${net.validators} validator${net.validators === 1 ? '' : 's'}, block time ${net.blockTime}` +
      (pipe ? '' : `, app: CometBFT builtin ${net.app.name} (no pipe node)`),
    '',
    ...table,
    '',
    `Chain ids:    Cosmos ${net.chainId}   EVM ${EVM_CHAIN_ID} (0x${EVM_CHAIN_ID.toString(16)})`,
    `Dev accounts: mnemonic "${DEV_MNEMONIC}"`,
    `              m/44'/60'/0'/0/0…9 funded with ${DEV_ACCOUNT_BALANCE / 10n ** 18n} ETH each (same as Hardhat / Anvil)`,
    `              #0 ${first.address} = ${toBech32Address(hexToBytes(first.address))}  key ${first.privateKey}`,
    ...(pipe ? ['Cosmos:       cosmjs connects to the CometBFT RPC URL; denom apipe (= wei), bech32 prefix pipe (docs/cosmos.md)'] : []),
    `Home:         ${net.home}`,
    `Logs:         ${net.logsDir}/{cometbft,pipe}-<i>.log`,
    '',
    'Ctrl-C stops every node; `npm start` again resumes from disk (`npm start -- --reset` for a fresh chain).',
    '',
  ]
  return lines.join('\n')
}

async function cmdStart(args: CliArgs): Promise<number> {
  let stopping = false
  let net: Localnet
  try {
    net = await Localnet.open({
      home: args.home,
      validators: args.validators,
      portOffset: args.portOffset,
      blockTime: args.blockTime,
      reset: args.reset,
      nodeArgs: args.nodeArgs,
      app: args.app,
      // Once stopping, exits are expected (a terminal Ctrl-C reaches the children directly): stay quiet.
      log: (line) => {
        if (!stopping) say(`  ${line}`)
      },
    })
  } catch (err) {
    say(`error: ${(err as Error).message}`)
    return 1
  }

  let live: NodeJS.Timeout | undefined
  const shutdown = (signal: NodeJS.Signals): void => {
    if (stopping) {
      // Second Ctrl-C: the exit hook in processes.ts SIGKILLs whatever is left.
      say('\nstopping forcefully')
      process.exit(130)
    }
    stopping = true
    clearInterval(live)
    say(`\n${signal}: stopping ${net.validators} validator${net.validators === 1 ? '' : 's'}… (Ctrl-C again to kill)`)
    net.stop().then(
      () => {
        say(`stopped cleanly. \`npm start\` resumes from ${net.home}`)
        process.exit(0)
      },
      (err: unknown) => {
        say(`error while stopping: ${(err as Error).message}`)
        process.exit(1)
      },
    )
  }
  process.on('SIGINT', shutdown)
  process.on('SIGTERM', shutdown)
  process.on('SIGHUP', shutdown)

  say(`starting ${net.validators} validator${net.validators === 1 ? '' : 's'} from ${net.home}…`)
  try {
    await net.start()
  } catch (err) {
    if (stopping) return await new Promise<number>(() => {}) // shutdown() owns the exit
    say(`error: ${(err as Error).message}`)
    return 1
  }
  say(formatBanner(net))

  const tick = async (): Promise<void> => {
    const line = `${new Date().toTimeString().slice(0, 8)}  ${formatHeightsLine(await net.status())}`
    if (stopping) return
    if (process.stdout.isTTY) process.stdout.write(`\r\x1b[2K${line}`)
    else process.stdout.write(`${line}\n`)
  }
  await tick()
  live = setInterval(() => void tick(), LIVE_INTERVAL_MS)
  return await new Promise<number>(() => {}) // runs until a signal; shutdown() exits
}

async function cmdStatus(args: CliArgs): Promise<number> {
  const m = readManifest(args.home)
  if (!m) {
    say(`no localnet in ${args.home} (create one with \`npm start\`)`)
    return 1
  }
  // Straight from the manifest: status must not touch the configs of a running localnet.
  const statuses = await Promise.all(
    Array.from({ length: m.validators }, (_, i) => fetchNodeStatus(i, nodeEndpoints(nodePorts(i, m.portOffset)).cometRpc)),
  )
  for (const s of statuses) say(formatStatusLine(s))
  return statuses.some((s) => s.error !== undefined) ? 1 : 0
}

async function cmdReset(args: CliArgs): Promise<number> {
  const m = readManifest(args.home)
  if (m) {
    const statuses = await Promise.all(
      Array.from({ length: m.validators }, (_, i) => fetchNodeStatus(i, nodeEndpoints(nodePorts(i, m.portOffset)).cometRpc, 1_000)),
    )
    if (statuses.some((s) => s.error === undefined)) {
      say(`the localnet in ${args.home} is running; stop it (Ctrl-C in its terminal) before resetting`)
      return 1
    }
  }
  wipeLocalnetHome(args.home)
  say(`deleted ${args.home}`)
  return 0
}

/** Runs one CLI invocation; resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  let args: CliArgs
  try {
    args = parseCliArgs(argv)
  } catch (err) {
    say(`error: ${(err as Error).message}\n\n${USAGE}`)
    return 2
  }
  if (args.help || args.command === 'help') {
    say(USAGE)
    return 0
  }
  try {
    switch (args.command) {
      case 'start':
        return await cmdStart(args)
      case 'status':
        return await cmdStatus(args)
      case 'reset':
        return await cmdReset(args)
      default:
        say(`${args.command ? `unknown command "${args.command}"` : 'missing command'}\n\n${USAGE}`)
        return 2
    }
  } catch (err) {
    say(`error: ${(err as Error).message}`)
    return 1
  }
}

// Run only when executed (tests import parseCliArgs and formatBanner).
if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  process.exitCode = await main(process.argv.slice(2))
}
