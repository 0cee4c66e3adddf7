import { runNodeProcess } from './node.ts'

/** Entry point: `node --import tsx app/main.ts --home … --abci tcp://…` (flags: app/config.ts). */
await runNodeProcess(process.argv.slice(2))
