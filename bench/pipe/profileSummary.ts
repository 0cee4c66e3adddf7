/**
 * Where a V8 CPU profile's time went, by function: self time (on top of the stack) and total
 * time (anywhere on the stack, once per sample, so callees are included; an async function only
 * shows the part since its last await). Used by bench/pipe/profile.ts and bench/pipe/phases.ts.
 */
import path from 'node:path'

interface CallFrame {
  functionName: string
  url: string
  lineNumber: number
}
interface ProfileNode {
  id: number
  callFrame: CallFrame
  children?: number[]
}
export interface CpuProfile {
  nodes: ProfileNode[]
  startTime: number
  endTime: number
  samples: number[]
  timeDeltas: number[]
}

export interface ProfileSummary {
  wallMs: number
  busyMs: number
  idleMs: number
  self: Map<string, number>
  total: Map<string, number>
  /** With `callersOf`: time of the matching frames by the chain of project functions above them. */
  callers: Map<string, number>
}

const root = process.cwd()

/** `name file:line`, the file relative to the project, node_modules shortened to `~/`. */
function frameKey(f: CallFrame): string {
  let where = f.url.replace(/^file:\/\//, '')
  if (where.startsWith(root)) where = path.relative(root, where)
  where = where.replace(/^.*node_modules\//, '~/')
  return `${f.functionName || '(anonymous)'} ${where ? `${where}:${f.lineNumber + 1}` : ''}`.trim()
}

const isProject = (k: string): boolean => !k.includes('~/') && !k.startsWith('(') && !k.includes('node:')

export function summarizeProfile(profile: CpuProfile, callersOf?: string): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const parent = new Map<number, number>()
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const keys = new Map(profile.nodes.map((n) => [n.id, frameKey(n.callFrame)]))
  const self = new Map<string, number>()
  const total = new Map<string, number>()
  const callers = new Map<string, number>()
  let all = 0
  let idle = 0
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = (profile.timeDeltas[i + 1] ?? 0) / 1000 // ms; a sample's time runs until the next one
    let id: number | undefined = profile.samples[i]!
    const leaf = byId.get(id)!
    all += dt
    const leafKey = keys.get(id)!
    if (leaf.callFrame.functionName === '(idle)') idle += dt
    self.set(leafKey, (self.get(leafKey) ?? 0) + dt)
    const seen = new Set<string>()
    let matched = false
    const chain: string[] = []
    while (id !== undefined) {
      const k = keys.get(id)!
      if (!seen.has(k)) {
        seen.add(k)
        total.set(k, (total.get(k) ?? 0) + dt)
      }
      if (callersOf && !matched && k.includes(callersOf)) matched = true
      else if (matched && chain.length < 3 && isProject(k)) chain.push(k)
      id = parent.get(id)
    }
    if (matched) {
      const c = chain.join(' ← ') || '(no project caller)'
      callers.set(c, (callers.get(c) ?? 0) + dt)
    }
  }
  return { wallMs: (profile.endTime - profile.startTime) / 1000, busyMs: all - idle, idleMs: idle, self, total, callers }
}

/** The `top` entries of a map by value, filtered by `keep`. */
export function topEntries(m: Map<string, number>, top: number, keep: (k: string) => boolean = () => true): [string, number][] {
  return [...m]
    .filter(([k]) => keep(k))
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
}

/** Total-time entries of project functions (app/, bench/…), the ones to fix. */
export const projectOnly = (k: string): boolean => k.includes('app/') && isProject(k)
