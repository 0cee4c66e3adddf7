#!/usr/bin/env node
// Entry of the `pipe` command (package.json "bin"): registers tsx so the TypeScript CLI runs
// without a build step (as the node itself does), then hands it the arguments.
import { register } from 'tsx/esm/api'

register()
const { main } = await import('./cli/pipe.ts')
process.exitCode = await main(process.argv.slice(2))
