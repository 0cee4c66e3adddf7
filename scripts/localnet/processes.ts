/**
 * Child processes of a localnet: spawned with stdout+stderr appended to one log file each,
 * tracked in a registry, and killed when the parent goes away so that no orphan keeps
 * holding localnet ports (a test runner killed mid-run must not break the next run).
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { appendFileSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs'
import { createConnection, createServer } from 'node:net'
import { constants as osConstants } from 'node:os'
import { dirname } from 'node:path'

export interface SpawnLoggedOptions {
  /** Short label for messages, e.g. "cometbft-1". */
  name: string
  command: string
  args: string[]
  cwd?: string
  env?: NodeJS.ProcessEnv
  /** Both stdout and stderr are appended here. */
  logFile: string
}

export interface ExitInfo {
  code: number | null
  signal: NodeJS.Signals | null
  /** Set when the process could not be started at all (e.g. ENOENT). */
  error?: string
}

/** Children still running, across every Localnet in this process. */
const live = new Set<ManagedProcess>()

/** A spawned child whose output goes to a log file. */
export class ManagedProcess {
  readonly name: string
  readonly logFile: string
  /** Resolves once, when the process has exited (never rejects). */
  readonly exited: Promise<ExitInfo>
  /** Set once the process has exited. */
  exitInfo: ExitInfo | undefined
  /** True once stop() was called: an exit after that is expected, not a crash. */
  stopping = false
  private readonly child: ChildProcess

  constructor(opts: SpawnLoggedOptions) {
    this.name = opts.name
    this.logFile = opts.logFile
    mkdirSync(dirname(opts.logFile), { recursive: true })
    const fd = openSync(opts.logFile, 'a')
    // A header per start: the log is appended across restarts, so runs must be told apart.
    writeSync(fd, `\n===== ${new Date().toISOString()} starting ${opts.name}: ${[opts.command, ...opts.args].join(' ')}\n`)
    try {
      // detached: false keeps the child in our process group: a terminal Ctrl-C reaches it too.
      this.child = spawn(opts.command, opts.args, {
        cwd: opts.cwd,
        env: opts.env ?? process.env,
        stdio: ['ignore', fd, fd],
        detached: false,
      })
    } finally {
      // The child holds its own copy of the descriptor.
      closeSync(fd)
    }
    installExitHandlers()
    live.add(this)
    this.exited = new Promise<ExitInfo>((resolve) => {
      const done = (info: ExitInfo): void => {
        if (this.exitInfo) return
        this.exitInfo = info
        live.delete(this)
        const how = info.error ?? (info.signal ? `signal ${info.signal}` : `code ${info.code}`)
        try {
          appendFileSync(this.logFile, `===== ${new Date().toISOString()} ${this.name} exited (${how})\n`)
        } catch {
          // The home may have been wiped under us; the exit itself still counts.
        }
        resolve(info)
      }
      this.child.once('exit', (code, signal) => done({ code, signal }))
      this.child.once('error', (err) => done({ code: null, signal: null, error: err.message }))
    })
  }

  get pid(): number | undefined {
    return this.child.pid
  }

  get running(): boolean {
    return this.exitInfo === undefined
  }

  /** Sends a signal without waiting (no-op once exited). */
  kill(signal: NodeJS.Signals): void {
    if (this.running) this.child.kill(signal)
  }

  /**
   * Stops the process: sends `signal`, and SIGKILL if it is still alive after `escalateAfterMs`.
   * Resolves when it has exited.
   */
  async stop(signal: NodeJS.Signals = 'SIGTERM', escalateAfterMs = 10_000): Promise<ExitInfo> {
    this.stopping = true
    if (!this.running) return this.exitInfo as ExitInfo
    this.kill(signal)
    if (signal !== 'SIGKILL') {
      let timer: NodeJS.Timeout | undefined
      const timedOut = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), escalateAfterMs)
      })
      const first = await Promise.race([this.exited, timedOut])
      clearTimeout(timer)
      if (first === 'timeout') {
        try {
          appendFileSync(this.logFile, `===== ${this.name} ignored ${signal} for ${escalateAfterMs} ms; sending SIGKILL\n`)
        } catch {
          // best effort
        }
        this.kill('SIGKILL')
      }
    }
    return this.exited
  }
}

/** Spawns `command` with its output appended to `logFile`, tracked for cleanup on parent exit. */
export function spawnLogged(opts: SpawnLoggedOptions): ManagedProcess {
  return new ManagedProcess(opts)
}

/** The children of this process that are still running. */
export function liveProcesses(): ManagedProcess[] {
  return [...live]
}

let handlersInstalled = false
let signalShutdown = false

/**
 * Parent-exit cleanup, installed with the first child:
 * - on `exit` (normal end, process.exit, uncaught exception) SIGKILL whatever still runs:
 *   only synchronous work is possible there, and a guaranteed free port beats a graceful stop;
 * - on SIGINT/SIGTERM/SIGHUP, unless the program installed its own handler (the CLI does, to stop
 *   cleanly and report), stop children gracefully (5 s, then SIGKILL) and exit 128+signal.
 */
function installExitHandlers(): void {
  if (handlersInstalled) return
  handlersInstalled = true
  process.on('exit', () => {
    for (const p of live) p.kill('SIGKILL')
  })
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      if (process.listenerCount(sig) > 1) return
      if (signalShutdown) process.exit(128 + (osConstants.signals[sig] ?? 0)) // second signal: exit now (the exit hook SIGKILLs)
      signalShutdown = true
      void Promise.all(liveProcesses().map((p) => p.stop('SIGTERM', 5_000))).finally(() =>
        process.exit(128 + (osConstants.signals[sig] ?? 0)),
      )
    })
  }
}

/** The last `lines` lines of a file ('' when it does not exist). */
export function tailFile(path: string, lines = 20): string {
  if (!existsSync(path)) return ''
  const text = readFileSync(path, 'utf8').replace(/\n+$/, '')
  return text.split('\n').slice(-lines).join('\n')
}

/** An error message ending with the last lines of a log, indented, so the cause is visible in place. */
export function withLogTail(message: string, logFile: string, lines = 20): string {
  const tail = tailFile(logFile, lines)
  const body = tail
    ? tail
        .split('\n')
        .map((l) => `    ${l}`)
        .join('\n')
    : '    (log is empty)'
  return `${message}\n  log: ${logFile}\n  last ${lines} lines:\n${body}`
}

/** Whether something accepts TCP connections on host:port right now. */
export function isPortListening(host: string, port: number, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port })
    const finish = (open: boolean): void => {
      socket.destroy()
      resolve(open)
    }
    socket.setTimeout(timeoutMs, () => finish(false))
    socket.once('connect', () => finish(true))
    socket.once('error', () => finish(false))
  })
}

/** Whether we could bind host:port ourselves (i.e. nobody else holds it). */
export function isPortFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer()
    server.once('error', () => resolve(false))
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(true)))
  })
}

export interface WaitForPortOptions {
  timeoutMs: number
  /** The process expected to open the port: waiting stops early, with its log, if it exits. */
  proc?: ManagedProcess
  /** What is being waited for, for the error message, e.g. "pipe node 0 ABCI port". */
  what: string
}

/**
 * Resolves once host:port accepts a TCP connection.
 * @throws on timeout or when `proc` exits first, with the last 20 lines of its log.
 */
export async function waitForPort(host: string, port: number, opts: WaitForPortOptions): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs
  for (;;) {
    if (opts.proc && !opts.proc.running) {
      const info = opts.proc.exitInfo as ExitInfo
      const how = info.error ?? (info.signal ? `signal ${info.signal}` : `code ${info.code}`)
      throw new Error(withLogTail(`${opts.proc.name} exited (${how}) before its ${opts.what} (${host}:${port}) opened`, opts.proc.logFile))
    }
    if (await isPortListening(host, port, 500)) return
    if (Date.now() > deadline) {
      const msg = `timed out after ${opts.timeoutMs} ms waiting for ${opts.what} (${host}:${port})`
      throw new Error(opts.proc ? withLogTail(msg, opts.proc.logFile) : msg)
    }
    await sleep(150)
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
