import { parseNodeArgs } from './config.ts'
import { createLogger } from './log.ts'
import { startNode } from './node.ts'
import { startCpuProfile } from './profiler.ts'

/** Entry point: `node --import tsx app/main.ts --home … --abci tcp://…` (see app/config.ts). */
const config = (() => {
  try {
    return parseNodeArgs(process.argv.slice(2))
  } catch (err) {
    console.error((err as Error).message)
    process.exit(2)
  }
})()
const log = createLogger(config.logLevel)
const stopProfile = await startCpuProfile()
const node = await startNode(config, log)
let stopping = false
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return
    stopping = true
    log.info(`${signal}: stopping`)
    node.stop().then(
      async () => {
        if (stopProfile) log.info(`CPU profile written to ${await stopProfile()}`)
        process.exit(0)
      },
      (err) => {
        log.error(`stop failed: ${err}`)
        process.exit(1)
      },
    )
  })
}
