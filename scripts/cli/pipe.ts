import { parseArgs } from 'node:util'
import { CommandError, listModels, showModel, uploadModel, type ModelCommandOptions } from './modelCommands.ts'
import { HubUnreachableError } from './hubClient.ts'

/**
 * The `pipe` command (package.json "bin", bootstrapped by scripts/pipe.mjs):
 *   pipe model upload <file.onnx> [--node <url>] [--json]
 *   pipe model info <cid> [--node <url>] [--json]
 *   pipe model list [--node <url>] [--json]
 * Exit codes: 0 done, 1 failed (file, node, refusal), 2 usage error.
 */

export const DEFAULT_NODE = 'http://127.0.0.1:1317'

export const USAGE = `usage: pipe model <command> [options]

commands:
  pipe model upload <file.onnx>   upload a model; prints its CID, inputs and outputs
  pipe model info <cid>           show a model's metadata
  pipe model list                 list the models stored on the node

options:
  --node <url>   REST address of a PIPE node (default $PIPE_NODE or ${DEFAULT_NODE};
                 validator i of a localnet listens on port 1317 + 10·i)
  --json         print the metadata as JSON
  -h, --help     show this help

exit codes: 0 done, 1 failed, 2 usage error
`

class UsageError extends Error {}

/** Runs the CLI with `argv` (without node and script); returns the exit code. */
export async function main(argv: string[], out: NodeJS.WritableStream = process.stdout, err: NodeJS.WritableStream = process.stderr): Promise<number> {
  try {
    const { values, positionals } = parseCommandLine(argv)
    if (values.help) {
      out.write(USAGE)
      return 0
    }
    const opts: ModelCommandOptions = { node: nodeUrl(values.node ?? process.env.PIPE_NODE ?? DEFAULT_NODE), json: values.json === true }
    const [group, command, ...rest] = positionals
    if (group === undefined) throw new UsageError('missing command')
    if (group !== 'model') throw new UsageError(`unknown command "${group}"`)
    const operands = (n: number, what: string): string[] => {
      if (rest.length < n) throw new UsageError(`pipe model ${command} needs ${what}`)
      if (rest.length > n) throw new UsageError(`unexpected argument "${rest[n]}"`)
      return rest
    }
    switch (command) {
      case 'upload':
        await uploadModel(operands(1, 'a file: pipe model upload <file.onnx>')[0], opts, out)
        return 0
      case 'info':
        await showModel(operands(1, 'a CID: pipe model info <cid>')[0], opts, out)
        return 0
      case 'list':
        operands(0, '')
        await listModels(opts, out)
        return 0
      case undefined:
        throw new UsageError('missing model command (upload, info or list)')
      default:
        throw new UsageError(`unknown model command "${command}" (upload, info or list)`)
    }
  } catch (e) {
    if (e instanceof UsageError) {
      err.write(`pipe: ${e.message}\n\n${USAGE}`)
      return 2
    }
    if (e instanceof CommandError || e instanceof HubUnreachableError) {
      err.write(`pipe: ${e.message}\n`)
      return 1
    }
    err.write(`pipe: unexpected error: ${(e as Error).stack ?? String(e)}\n`)
    return 1
  }
}

function parseCommandLine(argv: string[]): { values: { node?: string; json?: boolean; help?: boolean }; positionals: string[] } {
  try {
    return parseArgs({
      args: argv,
      allowPositionals: true,
      options: { node: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    })
  } catch (e) {
    // parseArgs' messages name the bad option; they are usage errors.
    throw new UsageError((e as Error).message)
  }
}

function nodeUrl(text: string): string {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw new UsageError(`--node "${text}" is not a URL (e.g. ${DEFAULT_NODE})`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--node "${text}" must be an http:// or https:// URL`)
  return text.replace(/\/+$/u, '')
}
