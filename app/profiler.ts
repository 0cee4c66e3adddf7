import fs from 'node:fs'
import { Session } from 'node:inspector/promises'
import path from 'node:path'

/**
 * Opt-in CPU profiling of a running node: with `PIPE_CPU_PROFILE=<dir>` the node records a V8
 * CPU profile from start to stop and writes `<dir>/pipe-<pid>.cpuprofile` (open it in Chrome
 * DevTools). Node's own `--cpu-prof` cannot be passed through NODE_OPTIONS, and the localnet
 * starts nodes itself.
 * @returns a function that stops profiling and writes the file, or undefined when off.
 */
export async function startCpuProfile(dir = process.env.PIPE_CPU_PROFILE): Promise<(() => Promise<string>) | undefined> {
  if (!dir) return undefined
  const session = new Session()
  session.connect()
  await session.post('Profiler.enable')
  await session.post('Profiler.start')
  return async () => {
    const { profile } = await session.post('Profiler.stop')
    fs.mkdirSync(dir, { recursive: true })
    const file = path.join(dir, `pipe-${process.pid}.cpuprofile`)
    fs.writeFileSync(file, JSON.stringify(profile))
    session.disconnect()
    return file
  }
}
