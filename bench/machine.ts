/**
 * The machine a benchmark runs on: what it is (CPU model, cores, RAM), and how busy it is, from
 * /proc (Linux), so a benchmark can wait for a quiet machine and say how much CPU other processes
 * took while it measured (this machine is shared: a neighbour's test run moves every number here).
 * Elsewhere the readings are undefined and nothing waits. Used by bench/zk, bench/pipe and
 * bench/evm-throughput.
 */
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'

/** CPU model, cores (os.availableParallelism), RAM, Node and kernel: the "Machine:" line of a report. */
export function describeMachine(): string {
  const cpu = os.cpus()[0]?.model.trim() || 'unknown CPU'
  const ram = `${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM`
  return `${cpu}, ${os.availableParallelism()} cores, ${ram}, Node ${process.version}, ${os.type()} ${os.release()}`
}

/** The commit a report was measured on, flagged when app/ or scripts/ differ from it. */
export function revision(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim()
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'app', 'scripts'], { encoding: 'utf8' }).trim() !== ''
    return `${head}${dirty ? ' with uncommitted changes in app/ or scripts/' : ''}`
  } catch {
    return 'unknown'
  }
}

/** Busy and total CPU ticks of the whole machine (USER_HZ), from the first line of /proc/stat. */
function machineTicks(): { busy: number; total: number } | undefined {
  try {
    const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number)
    const total = f.reduce((a, b) => a + b, 0)
    return { busy: total - f[3]! - (f[4] ?? 0), total }
  } catch {
    return undefined
  }
}

/** CPU ticks of this process and its descendants (the chain's processes, the setup's Python). */
function ownTicks(): number | undefined {
  try {
    const parent = new Map<number, number>()
    const ticks = new Map<number, number>()
    for (const d of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(d)) continue
      try {
        const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8')
        const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
        parent.set(Number(d), Number(f[1]))
        ticks.set(Number(d), Number(f[11]) + Number(f[12]))
      } catch {
        // the process ended meanwhile
      }
    }
    let ours = 0
    for (const [pid, t] of ticks) {
      for (let p: number | undefined = pid; p !== undefined && p > 1; p = parent.get(p)) {
        if (p === process.pid) {
          ours += t
          break
        }
      }
    }
    return ours
  } catch {
    return undefined
  }
}

/** Share of the machine's CPU busy over `ms`. */
export async function machineBusy(ms = 2_000): Promise<number | undefined> {
  const a = machineTicks()
  await new Promise((r) => setTimeout(r, ms))
  const b = machineTicks()
  if (!a || !b || b.total === a.total) return undefined
  return (b.busy - a.busy) / (b.total - a.total)
}

/**
 * Waits until under `threshold` of the machine is busy (while this benchmark is idle), at most
 * `maxWaitMs`; returns the last reading.
 */
export async function quietMachine(log: (s: string) => void, maxWaitMs: number, threshold = 0.2): Promise<number | undefined> {
  const deadline = Date.now() + maxWaitMs
  for (;;) {
    const busy = await machineBusy()
    if (busy === undefined || busy < threshold) return busy
    if (Date.now() > deadline) {
      log(`machine still ${(busy * 100).toFixed(0)}% busy with the benchmark idle: measuring anyway`)
      return busy
    }
    log(`machine ${(busy * 100).toFixed(0)}% busy with the benchmark idle (another process): waiting…`)
    await new Promise((r) => setTimeout(r, 5_000))
  }
}

/**
 * Starts counting what other processes use; `stop()` answers the mean number of cores they kept
 * busy meanwhile (NaN where /proc is missing).
 */
export function otherLoad(): { stop(): number } {
  const m0 = machineTicks()
  const o0 = ownTicks()
  const t0 = performance.now()
  return {
    stop() {
      const m1 = machineTicks()
      const o1 = ownTicks()
      if (!m0 || !m1 || o0 === undefined || o1 === undefined) return NaN
      const seconds = (performance.now() - t0) / 1000
      return Math.max(0, m1.busy - m0.busy - (o1 - o0)) / 100 / seconds
    },
  }
}
