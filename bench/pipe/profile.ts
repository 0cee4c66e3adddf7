/**
 * Summarises a V8 .cpuprofile (as the node writes with PIPE_CPU_PROFILE=<dir>): where the main
 * thread's time went, by function.
 *
 *   node --import tsx bench/pipe/profile.ts <file.cpuprofile> [--top 40] [--match text] [--per N] [--callers text]
 *
 * - self: time with the function on top of the stack;
 * - total: time with the function anywhere on the stack (counted once per sample), so a
 *   function's callees are included. Async functions only show the part since their last await.
 * `--match text` lists only functions whose name or file contains `text`; `--per N` adds a
 * column of ms per N units (e.g. `--per 2000` for ms per tx of a 2,000-tx run); `--callers text`
 * splits the total time of the functions matching `text` by the chain of project functions
 * above them, innermost first (3 levels).
 */
import fs from 'node:fs'
import { type CpuProfile, summarizeProfile, topEntries } from './profileSummary.ts'

const args = process.argv.slice(2)
const VALUED = ['--top', '--match', '--per', '--callers']
const file = args.find((a, i) => !a.startsWith('--') && !VALUED.includes(args[i - 1]!))
if (!file) {
  console.error('usage: node --import tsx bench/pipe/profile.ts <file.cpuprofile> [--top 40] [--match text] [--per N] [--callers text]')
  process.exit(2)
}
const opt = (name: string): string | undefined => {
  const i = args.indexOf(name)
  return i === -1 ? undefined : args[i + 1]
}
const top = Number(opt('--top') ?? 40)
const match = opt('--match')
const per = opt('--per') ? Number(opt('--per')) : undefined
const callersOf = opt('--callers')

const s = summarizeProfile(JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile, callersOf)
console.log(
  `${file}: ${(s.wallMs / 1000).toFixed(1)} s profiled, ${(s.busyMs / 1000).toFixed(1)} s busy (${((s.busyMs / s.wallMs) * 100).toFixed(0)}% of one core), idle ${(s.idleMs / 1000).toFixed(1)} s`,
)
const show = (title: string, m: Map<string, number>) => {
  console.log(`\n${title}`)
  console.log(`${'ms'.padStart(9)} ${'% busy'.padStart(7)}${per ? ` ${`ms/${per}`.padStart(9)}` : ''}  function`)
  for (const [k, ms] of topEntries(m, top, (k) => !match || k.includes(match))) {
    console.log(
      `${ms.toFixed(0).padStart(9)} ${((ms / s.busyMs) * 100).toFixed(1).padStart(7)}${per ? ` ${(ms / per).toFixed(3).padStart(9)}` : ''}  ${k}`,
    )
  }
}
show('self time', s.self)
show('total time (callees included)', s.total)
if (callersOf) {
  console.log(`\ncallers of "${callersOf}" (time of the matching frames, by the project functions above them)`)
  for (const [c, ms] of topEntries(s.callers, top))
    console.log(`${ms.toFixed(0).padStart(9)}${per ? ` ${(ms / per).toFixed(3).padStart(9)}` : ''}  ${c}`)
}
