import { readFile } from 'node:fs/promises'
import { AppError } from '../../app/errors.ts'
import { parseModelCid } from '../../app/modelHub/cid.ts'
import { formatShape, type ModelMetadata } from '../../app/modelHub/modelMetadata.ts'
import { HubClient, HubRequestError } from './hubClient.ts'

/** What a command prints to; the CLI passes process.stdout. */
export interface Output {
  write(text: string): void
}

/** A failure the user can fix; printed as `pipe: <message>`, exit code 1. */
export class CommandError extends Error {}

export interface ModelCommandOptions {
  /** REST base URL of the node. */
  node: string
  /** Print the metadata as JSON instead of a table. */
  json: boolean
}

/**
 * `pipe model upload <file>`: sends the file to the node, prints its CID and inputs/outputs.
 * @example await uploadModel('models/risk-scorer.onnx', { node: 'http://127.0.0.1:1317', json: false }, process.stdout)
 */
export async function uploadModel(file: string, opts: ModelCommandOptions, out: Output): Promise<void> {
  let bytes: Uint8Array
  try {
    bytes = await readFile(file)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (err as Error).message
    throw new CommandError(`cannot read ${file}: ${why}`)
  }
  const { metadata, created } = await refusalsAsCommandErrors(() => new HubClient(opts.node).upload(bytes), 'the node refused the model')
  if (opts.json) return out.write(`${JSON.stringify(metadata, null, 2)}\n`)
  out.write(`${created ? 'uploaded' : 'already on the node:'} ${file} → ${opts.node}\n`)
  out.write(describeModel(metadata))
}

/** `pipe model info <cid>`: prints what the node knows about a model. */
export async function showModel(cid: string, opts: ModelCommandOptions, out: Output): Promise<void> {
  try {
    parseModelCid(cid)
  } catch (err) {
    if (err instanceof AppError) throw new CommandError(err.message)
    throw err
  }
  const metadata = await refusalsAsCommandErrors(() => new HubClient(opts.node).info(cid), `the node cannot show ${cid}`)
  out.write(opts.json ? `${JSON.stringify(metadata, null, 2)}\n` : describeModel(metadata))
}

/** `pipe model list`: every model stored on the node. */
export async function listModels(opts: ModelCommandOptions, out: Output): Promise<void> {
  const models = await refusalsAsCommandErrors(() => new HubClient(opts.node).list(), 'the node cannot list its models')
  if (opts.json) return out.write(`${JSON.stringify(models, null, 2)}\n`)
  if (models.length === 0) return out.write(`no models on ${opts.node}; upload one with: pipe model upload <file.onnx>\n`)
  out.write(
    table([
      ['cid', 'size', 'opset', 'inputs', 'outputs', 'cost'],
      ...models.map((m) => [
        m.cid,
        `${m.size} B`,
        String(m.opset),
        m.inputs.map((i) => i.name).join(', '),
        m.outputs.map((o) => o.name).join(', '),
        formatMicros(m.costMicros),
      ]),
    ]),
  )
}

/** The multi-line description `upload` and `info` print. */
export function describeModel(m: ModelMetadata): string {
  const lines = [
    `cid         ${m.cid}`,
    `size        ${m.size} bytes`,
    `opset       ${m.opset} (IR version ${m.irVersion})`,
    `parameters  ${m.parameters}`,
    `ops         ${m.ops.join(', ') || '(none)'}`,
    `batchable   ${m.batchable ? 'yes' : 'no'}`,
    `cost        ${formatMicros(m.costMicros)} per inference (measured by the node: batch 1, one thread)`,
    '',
  ]
  const rows = [
    ['', 'name', 'type', 'shape'],
    ...m.inputs.map((v) => ['input', v.name, v.type, formatShape(v.shape)]),
    ...m.outputs.map((v) => ['output', v.name, v.type, formatShape(v.shape)]),
  ]
  return `${lines.join('\n')}\n${table(rows)}`
}

function formatMicros(us: number): string {
  return us >= 10_000 ? `${(us / 1000).toFixed(0)} ms` : us >= 1000 ? `${(us / 1000).toFixed(1)} ms` : `${us} µs`
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)))
  return rows
    .map(
      (r) =>
        `${r
          .map((cell, c) => cell.padEnd(widths[c]!))
          .join('  ')
          .trimEnd()}\n`,
    )
    .join('')
}

/** The node's refusals become CommandErrors that quote its message and code. */
export async function refusalsAsCommandErrors<T>(call: () => Promise<T>, what: string): Promise<T> {
  try {
    return await call()
  } catch (err) {
    if (err instanceof HubRequestError) {
      const code = err.code === undefined ? '' : ` [${err.codespace}/${err.code}, HTTP ${err.status}]`
      throw new CommandError(`${what}: ${err.message}${code}`)
    }
    throw err
  }
}
