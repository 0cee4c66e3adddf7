/**
 * A localnet: N validators on this machine, each one `cometbft` process plus one pipe node
 * process, with distinct 127.0.0.1 ports and every validator a persistent peer of the others.
 * Used by `npm start` (cli.ts) and by tests, which open one under a temp dir with a portOffset.
 *
 * @example
 *   const net = await Localnet.open({ home: tmp, validators: 2, portOffset: 700 })
 *   await net.start()
 *   await net.waitForHeight(3n)
 *   await net.stop()
 */
import { existsSync, mkdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { COSMOS_CHAIN_ID } from '../../app/modules/evm/params.ts'
import { cometbftBinary, projectRoot, runCometbft } from '../cometbft.ts'
import { buildGenesis, peerAddress, readDefaultConsensusParams, readValidatorKey, writeGenesis, writeNodeConfig } from './config.ts'
import { cometHome, type LocalnetProcessKind, logFilePath, logsDir, pipeHome, wipeLocalnetHome } from './home.ts'
import { type LocalnetManifest, readManifest, writeManifest } from './manifest.ts'
import { LOCALNET_HOST, listenedPorts, type NodeEndpoints, type NodePorts, nodeEndpoints, nodePorts } from './ports.ts'
import { type ExitInfo, isPortFree, type ManagedProcess, sleep, spawnLogged, waitForPort, withLogTail } from './processes.ts'
import { fetchNodeStatus, formatHeightsLine, type NodeStatus } from './status.ts'

/** Which ABCI application CometBFT talks to. */
export type LocalnetApp =
  /** The PIPE node, one process per validator. `main` (tests) replaces <project>/app/main.ts. */
  | { kind: 'pipe'; main?: string }
  /** An application compiled into CometBFT itself: no node process. Lets the tooling be tested without the app. */
  | { kind: 'builtin'; name: 'kvstore' }

export interface LocalnetOptions {
  /** Localnet home folder (created if missing). */
  home: string
  /** Number of validators; default 4 for a new localnet, the stored count when resuming. */
  validators?: number
  /** Added to every port (tests use one so they never clash with `npm start`); default 0, or the stored one. */
  portOffset?: number
  /** CometBFT timeout_commit, e.g. "1s" (default) or "200ms". */
  blockTime?: string
  /** Wipe the home first. */
  reset?: boolean
  /** Extra arguments for every pipe node, e.g. ['--log-level', 'debug']. */
  nodeArgs?: string[]
  /** Extra arguments for pipe node i only, after `nodeArgs` (tests make one validator byzantine). */
  nodeArgsOf?: (i: number) => string[]
  /** Default { kind: 'pipe' }. */
  app?: LocalnetApp
  /** Progress and unexpected-exit messages (default: silent). */
  log?: (line: string) => void
  /** `app_state` of a new localnet's genesis; default defaultAppGenesis() from app/genesis.ts with a dev TEE root (devTeeRoot.ts). */
  appState?: unknown
  /** How long one node may take to open its ports and answer RPC; default 60 s. */
  startTimeoutMs?: number
}

/** Cosmos chain id of every localnet; the EVM chain id (1337) is the number in it. */
export const LOCALNET_CHAIN_ID: string = COSMOS_CHAIN_ID

const DEFAULT_VALIDATORS = 4
const DEFAULT_BLOCK_TIME = '1s'
/** Hard bound: beyond it the port ranges of different services start to overlap. */
const MAX_VALIDATORS = 100
/** Go duration syntax, as CometBFT parses timeout_commit. */
const GO_DURATION = /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/
/** How long a SIGTERM-ed process may take before it is SIGKILLed. */
const STOP_ESCALATE_MS = 10_000

interface NodeProcesses {
  pipe?: ManagedProcess
  cometbft?: ManagedProcess
}

export class Localnet {
  /** Absolute path of the localnet home. */
  readonly home: string
  readonly validators: number
  readonly portOffset: number
  readonly blockTime: string
  readonly chainId: string
  readonly app: LocalnetApp
  private readonly nodeArgs: string[]
  private readonly nodeArgsOf: (i: number) => string[]
  private readonly log: (line: string) => void
  private readonly startTimeoutMs: number
  private readonly procs: NodeProcesses[]

  private constructor(home: string, manifest: LocalnetManifest, opts: LocalnetOptions) {
    this.home = home
    this.validators = manifest.validators
    this.portOffset = manifest.portOffset
    this.blockTime = manifest.blockTime
    this.chainId = manifest.chainId
    this.app = opts.app ?? { kind: 'pipe' }
    this.nodeArgs = opts.nodeArgs ?? []
    this.nodeArgsOf = opts.nodeArgsOf ?? (() => [])
    this.log = opts.log ?? (() => {})
    this.startTimeoutMs = opts.startTimeoutMs ?? 60_000
    this.procs = Array.from({ length: manifest.validators }, () => ({}))
  }

  /**
   * Opens the localnet in `opts.home`: initialises it when it has no localnet.json (or with
   * `reset`), otherwise resumes it. Starts no process.
   * A different `validators` count than the stored one is refused (the genesis fixes it);
   * a different `portOffset` or `blockTime` is applied to the stored configs and remembered.
   */
  static async open(opts: LocalnetOptions): Promise<Localnet> {
    const home = resolve(opts.home)
    validateOptions(opts)
    const log = opts.log ?? (() => {})
    if (opts.reset) {
      await assertNotRunning(home)
      wipeLocalnetHome(home)
      log(`wiped ${home}`)
    }
    let manifest = readManifest(home)
    if (manifest) {
      if (opts.validators !== undefined && opts.validators !== manifest.validators) {
        throw new Error(
          `${home} holds a ${manifest.validators}-validator localnet, not ${opts.validators}; ` +
            `start it without --validators, or pass --reset to wipe it and create a ${opts.validators}-validator one`,
        )
      }
      const portOffset = opts.portOffset ?? manifest.portOffset
      const blockTime = opts.blockTime ?? manifest.blockTime
      if (portOffset !== manifest.portOffset || blockTime !== manifest.blockTime) {
        manifest = { ...manifest, portOffset, blockTime }
        writeManifest(home, manifest)
      }
    } else {
      manifest = await initLocalnet(home, {
        validators: opts.validators ?? DEFAULT_VALIDATORS,
        portOffset: opts.portOffset ?? 0,
        blockTime: opts.blockTime ?? DEFAULT_BLOCK_TIME,
        appState: opts.appState,
        log,
      })
    }
    writeConfigs(home, manifest)
    return new Localnet(home, manifest, opts)
  }

  /** Ports of validator i. */
  ports(i: number): NodePorts {
    this.checkIndex(i)
    return nodePorts(i, this.portOffset)
  }

  /** URLs of validator i (http://127.0.0.1:port, ws://… for WS, host:port for gRPC). */
  endpoints(i: number): NodeEndpoints {
    return nodeEndpoints(this.ports(i))
  }

  /** Log file of one of validator i's processes (appended across restarts). */
  logFile(i: number, proc: LocalnetProcessKind): string {
    this.checkIndex(i)
    return logFilePath(this.home, i, proc)
  }

  /** The folder holding every log file. */
  get logsDir(): string {
    return logsDir(this.home)
  }

  /** Whether this instance has validator i's processes running. */
  isRunning(i: number): boolean {
    this.checkIndex(i)
    const p = this.procs[i]!
    return Boolean(p.cometbft?.running || p.pipe?.running)
  }

  /**
   * Starts every validator and resolves once each one's CometBFT RPC answers and the chain has
   * made a block: every node at height ≥ 1, and (when resuming) ≥ 1 above the highest stored
   * height, so a localnet that resumes but cannot make progress is reported, not hidden.
   * On failure everything started is stopped again.
   */
  async start(): Promise<void> {
    try {
      const started = await Promise.allSettled(Array.from({ length: this.validators }, (_, i) => this.startNode(i)))
      const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected')
      if (failed) throw failed.reason
      const heights = await this.status()
      const target = heights.reduce((max, s) => (s.height > max ? s.height : max), 0n) + 1n
      this.log(`waiting for every node to reach height ${target}`)
      await this.waitForHeight(target, { timeoutMs: this.startTimeoutMs })
    } catch (err) {
      await this.stop()
      throw err
    }
  }

  /**
   * Starts validator i: its pipe node (waiting for the ABCI port), then CometBFT (waiting for
   * its RPC to answer, i.e. the ABCI handshake is done). Does not wait for blocks: with N
   * validators nothing is produced until 2/3 of them run.
   */
  async startNode(i: number): Promise<void> {
    this.checkIndex(i)
    if (this.isRunning(i)) throw new Error(`node ${i} is already running`)
    const ports = this.ports(i)
    const withPipe = this.app.kind === 'pipe'
    await this.assertPortsFree(i, ports, withPipe)
    const entry: NodeProcesses = {}
    this.procs[i] = entry
    try {
      if (withPipe) {
        entry.pipe = this.spawnPipeNode(i, ports)
        await waitForPort(LOCALNET_HOST, ports.abci, { timeoutMs: this.startTimeoutMs, proc: entry.pipe, what: `pipe node ${i} ABCI port` })
      }
      const cometArgs = ['start', '--home', cometHome(this.home, i)]
      if (this.app.kind === 'builtin') cometArgs.push(`--proxy_app=${this.app.name}`)
      entry.cometbft = this.watch(
        i,
        spawnLogged({
          name: `cometbft-${i}`,
          command: cometbftBinary(),
          args: cometArgs,
          cwd: this.home,
          logFile: this.logFile(i, 'cometbft'),
        }),
      )
      this.log(`node ${i}: cometbft started (pid ${entry.cometbft.pid}, log ${this.logFile(i, 'cometbft')})`)
      await this.waitForRpc(i, entry.cometbft)
    } catch (err) {
      await this.stopNode(i, 'SIGKILL')
      throw err
    }
  }

  /**
   * Stops validator i: CometBFT first (so it does not log a lost application), then the pipe
   * node; each is SIGKILLed if it has not exited 10 s after `signal`. With 'SIGKILL' both are
   * killed at once (a crash, for recovery tests).
   */
  async stopNode(i: number, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    this.checkIndex(i)
    const { cometbft, pipe } = this.procs[i]!
    // Both are expected to exit from now on (a terminal Ctrl-C reaches the pipe node before we signal it).
    for (const proc of [cometbft, pipe]) if (proc) proc.stopping = true
    if (signal === 'SIGKILL') {
      await Promise.all([cometbft?.stop('SIGKILL'), pipe?.stop('SIGKILL')])
    } else {
      if (cometbft) await cometbft.stop(signal, STOP_ESCALATE_MS)
      if (pipe) await pipe.stop(signal, STOP_ESCALATE_MS)
    }
    this.procs[i] = {}
  }

  /** Stops every validator (in parallel), cleanly. */
  async stop(): Promise<void> {
    await Promise.all(Array.from({ length: this.validators }, (_, i) => this.stopNode(i)))
  }

  /** Every validator's status from its CometBFT RPC; a node that does not answer has `error` set. */
  async status(): Promise<NodeStatus[]> {
    return Promise.all(Array.from({ length: this.validators }, (_, i) => fetchNodeStatus(i, this.endpoints(i).cometRpc)))
  }

  /**
   * Resolves once every node in `nodes` (default all) reports latest_block_height ≥ h.
   * @throws on timeout (default 60 s) with every node's height and the lagging nodes' log tails,
   *   or early when one of those nodes' processes (started by this instance) exits.
   */
  async waitForHeight(h: bigint, opts: { nodes?: number[]; timeoutMs?: number } = {}): Promise<void> {
    const nodes = opts.nodes ?? Array.from({ length: this.validators }, (_, i) => i)
    for (const i of nodes) this.checkIndex(i)
    const timeoutMs = opts.timeoutMs ?? 60_000
    const deadline = Date.now() + timeoutMs
    for (;;) {
      this.assertAlive(nodes)
      const statuses = await Promise.all(nodes.map((i) => fetchNodeStatus(i, this.endpoints(i).cometRpc)))
      if (statuses.every((s) => s.error === undefined && s.height >= h)) return
      if (Date.now() > deadline) {
        const lagging = statuses.filter((s) => s.error !== undefined || s.height < h)
        const tails = lagging.map((s) => withLogTail(`node ${s.node}:`, this.logFile(s.node, 'cometbft'), 10)).join('\n')
        throw new Error(`timed out after ${timeoutMs} ms waiting for height ${h}: ${formatHeightsLine(statuses)}\n${tails}`)
      }
      await sleep(250)
    }
  }

  private spawnPipeNode(i: number, ports: NodePorts): ManagedProcess {
    const main = (this.app.kind === 'pipe' && this.app.main) || join(projectRoot, 'app', 'main.ts')
    if (!existsSync(main))
      throw new Error(
        `cannot start pipe node ${i}: ${main} does not exist (use app: { kind: 'builtin', name: 'kvstore' } to run CometBFT alone)`,
      )
    const h = LOCALNET_HOST
    const args = [
      '--import',
      'tsx',
      main,
      '--home',
      pipeHome(this.home, i),
      '--abci',
      `tcp://${h}:${ports.abci}`,
      '--json-rpc',
      `${h}:${ports.jsonRpc}`,
      '--ws',
      `${h}:${ports.ws}`,
      '--grpc',
      `${h}:${ports.grpc}`,
      '--rest',
      `${h}:${ports.rest}`,
      '--cometbft-rpc',
      `http://${h}:${ports.cometRpc}`,
      // One model store for the whole localnet (a model uploaded to any node serves every
      // validator); the other nodes' hubs as peers in case a store is not shared.
      '--models',
      join(this.home, 'models'),
      '--model-peers',
      Array.from({ length: this.validators }, (_, j) => j)
        .filter((j) => j !== i)
        .map((j) => `http://${h}:${nodePorts(j, this.portOffset).rest}`)
        .join(','),
      ...this.nodeArgs,
      ...this.nodeArgsOf(i),
    ]
    // cwd = project root: `--import tsx` is resolved from there.
    const proc = spawnLogged({ name: `pipe-${i}`, command: process.execPath, args, cwd: projectRoot, logFile: this.logFile(i, 'pipe') })
    this.log(`node ${i}: pipe node started (pid ${proc.pid}, log ${this.logFile(i, 'pipe')})`)
    return this.watch(i, proc)
  }

  /** Reports a process that exits without having been asked to. */
  private watch(i: number, proc: ManagedProcess): ManagedProcess {
    void proc.exited.then((info: ExitInfo) => {
      if (proc.stopping) return
      this.log(`node ${i}: ${proc.name} exited unexpectedly (${describeExit(info)}); see ${proc.logFile}`)
    })
    return proc
  }

  private async waitForRpc(i: number, proc: ManagedProcess): Promise<void> {
    const deadline = Date.now() + this.startTimeoutMs
    const url = this.endpoints(i).cometRpc
    for (;;) {
      if (!proc.running) {
        throw new Error(
          withLogTail(`${proc.name} exited (${describeExit(proc.exitInfo as ExitInfo)}) before its RPC (${url}) answered`, proc.logFile),
        )
      }
      const s = await fetchNodeStatus(i, url, 1_000)
      if (s.error === undefined) return
      if (Date.now() > deadline) {
        throw new Error(
          withLogTail(`timed out after ${this.startTimeoutMs} ms waiting for ${proc.name} RPC ${url}/status (${s.error})`, proc.logFile),
        )
      }
      await sleep(200)
    }
  }

  private async assertPortsFree(i: number, ports: NodePorts, withPipe: boolean): Promise<void> {
    const busy: string[] = []
    for (const [name, port] of listenedPorts(ports, withPipe)) {
      if (!(await isPortFree(LOCALNET_HOST, port))) busy.push(`${name} ${port}`)
    }
    if (busy.length > 0) {
      throw new Error(
        `cannot start node ${i}: port(s) already in use on ${LOCALNET_HOST}: ${busy.join(', ')}. ` +
          'Is another localnet running (`npm start`)? Stop it, or use another --port-offset.',
      )
    }
  }

  private assertAlive(nodes: number[]): void {
    for (const i of nodes) {
      for (const proc of [this.procs[i]!.pipe, this.procs[i]!.cometbft]) {
        if (proc && !proc.running && !proc.stopping) {
          throw new Error(withLogTail(`node ${i}: ${proc.name} exited (${describeExit(proc.exitInfo as ExitInfo)})`, proc.logFile))
        }
      }
    }
  }

  private checkIndex(i: number): void {
    if (!Number.isInteger(i) || i < 0 || i >= this.validators) {
      throw new Error(`no validator ${i}: this localnet has validators 0…${this.validators - 1}`)
    }
  }
}

/** Refuses to touch a localnet whose nodes still answer (wiping it would pull files from under them). */
async function assertNotRunning(home: string): Promise<void> {
  let manifest: LocalnetManifest | undefined
  try {
    manifest = readManifest(home)
  } catch {
    return // unreadable manifest: nothing can be running from it
  }
  if (!manifest) return
  const m = manifest
  const statuses = await Promise.all(
    Array.from({ length: m.validators }, (_, i) => fetchNodeStatus(i, nodeEndpoints(nodePorts(i, m.portOffset)).cometRpc, 1_000)),
  )
  const up = statuses.filter((s) => s.error === undefined).map((s) => s.node)
  if (up.length > 0) throw new Error(`the localnet in ${home} is running (node ${up.join(', ')} answering); stop it before resetting`)
}

function describeExit(info: ExitInfo): string {
  return info.error ?? (info.signal ? `signal ${info.signal}` : `exit code ${info.code}`)
}

function validateOptions(opts: LocalnetOptions): void {
  const v = opts.validators
  if (v !== undefined && (!Number.isInteger(v) || v < 1 || v > MAX_VALIDATORS)) {
    throw new Error(`validators must be an integer from 1 to ${MAX_VALIDATORS}, got ${v}`)
  }
  if (opts.portOffset !== undefined) nodePorts((v ?? DEFAULT_VALIDATORS) - 1, opts.portOffset) // throws when out of range
  if (opts.blockTime !== undefined && !GO_DURATION.test(opts.blockTime)) {
    throw new Error(`blockTime must be a Go duration such as "1s" or "500ms", got "${opts.blockTime}"`)
  }
}

interface InitParams {
  validators: number
  portOffset: number
  blockTime: string
  appState: unknown
  log: (line: string) => void
}

/**
 * Creates a localnet in `home`: `cometbft init` per validator, one shared genesis, then the
 * manifest (written last, so an interrupted init is simply redone).
 */
async function initLocalnet(home: string, p: InitParams): Promise<LocalnetManifest> {
  p.log(`initialising a ${p.validators}-validator localnet in ${home}`)
  mkdirSync(logsDir(home), { recursive: true })
  const nodeIds: string[] = []
  for (let i = 0; i < p.validators; i++) {
    runCometbft(['init', '--home', cometHome(home, i)])
    mkdirSync(pipeHome(home, i), { recursive: true })
    nodeIds.push(runCometbft(['show-node-id', '--home', cometHome(home, i)]))
  }
  // Imported lazily so that opening an existing localnet (status, stop) never loads app code.
  // The default genesis pins a dev TEE root made now (its key stays in the localnet home).
  const appState = p.appState ?? {
    ...(await import('../../app/genesis.ts')).defaultAppGenesis(),
    inference: { tee: await (await import('./devTeeRoot.ts')).createDevTeeRoot(home) },
  }
  const genesis = buildGenesis({
    chainId: LOCALNET_CHAIN_ID,
    genesisTime: new Date().toISOString(),
    defaultConsensusParams: readDefaultConsensusParams(cometHome(home, 0)),
    validators: Array.from({ length: p.validators }, (_, i) => readValidatorKey(cometHome(home, i))),
    appState,
  })
  for (let i = 0; i < p.validators; i++) writeGenesis(cometHome(home, i), genesis)
  const manifest: LocalnetManifest = {
    format: 1,
    chainId: LOCALNET_CHAIN_ID,
    validators: p.validators,
    portOffset: p.portOffset,
    blockTime: p.blockTime,
    nodeIds,
    createdAt: genesis.genesis_time,
  }
  writeConfigs(home, manifest)
  writeManifest(home, manifest)
  return manifest
}

/** (Re)applies the localnet settings to every validator's config.toml (idempotent). */
function writeConfigs(home: string, m: LocalnetManifest): void {
  for (let i = 0; i < m.validators; i++) {
    const peers = m.nodeIds.flatMap((id, j) => (j === i ? [] : [peerAddress(id, nodePorts(j, m.portOffset))]))
    writeNodeConfig(cometHome(home, i), {
      moniker: `node${i}`,
      ports: nodePorts(i, m.portOffset),
      persistentPeers: peers,
      blockTime: m.blockTime,
    })
  }
}
