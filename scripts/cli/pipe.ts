import { parseArgs } from 'node:util'
import type { AppError } from '../../app/errors.ts'
import { devAccounts } from '../../app/modules/evm/devAccounts.ts'
import { canonicalModes } from '../../app/modules/inference/registry/rules.ts'
import type { Artefact } from '../../app/proto/pipe/inference/v1/types.ts'
import { HubUnreachableError } from './hubClient.ts'
import { getInference, verifyProof } from './inferenceCommands.ts'
import { CommandError, listModels, type ModelCommandOptions, showModel, uploadModel } from './modelCommands.ts'
import { registerModel } from './registryCommands.ts'
import { zkRegister } from './zkCommands.ts'

/**
 * The `pipe` command (package.json "bin", bootstrapped by scripts/pipe.mjs):
 *   pipe model upload <file.onnx> [--node <url>] [--json]
 *   pipe model info <cid> [--node <url>] [--json]
 *   pipe model list [--node <url>] [--json]
 *   pipe model register <cid> (--key <hex> | --dev-account <i>) [--modes …] [--comet <url>] …
 *   pipe model register <cid> --zk [--calibration <file>] …   (ZK setup, artefacts uploaded, ZKML registered)
 *   pipe inference get <id> [--grpc <host:port>] [--json]
 *   pipe proof verify <id> [--grpc <host:port>] [--node <url>] [--json]
 * Exit codes: 0 done, 1 failed (file, node, refusal), 2 usage error.
 */

export const DEFAULT_NODE = 'http://127.0.0.1:1317'
export const DEFAULT_COMET = 'http://127.0.0.1:26657'
export const DEFAULT_GRPC = '127.0.0.1:9090'
/** Fee per gas `register` pays: 2 gwei, twice the genesis base fee. */
const DEFAULT_GAS_PRICE = 2_000_000_000n
const MODES: Record<string, number> = { vanilla: 0, zkml: 1, tee: 2 }

export const USAGE = `usage: pipe model <command> [options]
       pipe inference get <id> [options]
       pipe proof verify <id> [options]

commands:
  pipe model upload <file.onnx>   upload a model; prints its CID, inputs and outputs
  pipe model info <cid>           show a model's metadata
  pipe model list                 list the models stored on the node
  pipe model register <cid>       register a model of the hub on chain (MsgRegisterModel)
  pipe model register <cid> --zk  ZK setup with EZKL first, then register it for ZKML (and VANILLA)
  pipe inference get <id>         print an inference record (the id is ModelInferenceEvent's inferenceID)
  pipe proof verify <id>          fetch a ZKML inference's proof over gRPC and the verifying key from a
                                  hub, check the key against the registry's hash and verify it here

options:
  --node <url>   REST address of a PIPE node (default $PIPE_NODE or ${DEFAULT_NODE};
                 validator i of a localnet listens on port 1317 + 10·i)
  --grpc <addr>  gRPC address of a PIPE node, host:port (default $PIPE_GRPC or ${DEFAULT_GRPC};
                 validator i of a localnet listens on port 9090 + 10·i)
  --json         print the metadata as JSON
  -h, --help     show this help

register options:
  --key <hex>            the owner's private key (or $PIPE_KEY); the owner is its 0x account
  --dev-account <i>      sign with localnet dev account i (the public test mnemonic) instead
  --modes <list>         verification modes: vanilla, zkml, tee, comma-separated (default vanilla)
  --zk-vk-hash <hex>     sha256 of the EZKL verifying key (32 bytes; required with zkml)
  --artefact <name=cid>  a file the verification method needs (repeatable)
  --zk                   make the EZKL circuit, keys and SRS of the model (progress shown), upload
                         them to the node's hub and register with ZKML, their CIDs and the key's
                         hash (modes default to vanilla,zkml; zkml is added to --modes)
  --calibration <file>   with --zk: EZKL calibration data {"input_data": [[…], …]} (default:
                         samples generated from the model's input shapes)
  --home <dir>           with --zk: where the SRS cache lives, <dir>/zk/srs (default $PIPE_HOME or ~/.pipe)
  --comet <url>          CometBFT RPC of a node (default $PIPE_COMET or ${DEFAULT_COMET})
  --gas-price <apipe>    fee per gas (default ${DEFAULT_GAS_PRICE}, 2 gwei)

exit codes: 0 done, 1 failed, 2 usage error
`

class UsageError extends Error {}

/** Runs the CLI with `argv` (without node and script); returns the exit code. */
export async function main(
  argv: string[],
  out: NodeJS.WritableStream = process.stdout,
  err: NodeJS.WritableStream = process.stderr,
): Promise<number> {
  try {
    const { values, positionals } = parseCommandLine(argv)
    if (values.help) {
      out.write(USAGE)
      return 0
    }
    const opts: ModelCommandOptions = { node: nodeUrl(values.node ?? process.env.PIPE_NODE ?? DEFAULT_NODE), json: values.json === true }
    const [group, command, ...rest] = positionals
    if (group === undefined) throw new UsageError('missing command')
    if (group === 'inference' || group === 'proof') {
      const verb = group === 'inference' ? 'get' : 'verify'
      if (command !== verb) throw new UsageError(`pipe ${group} takes one command: pipe ${group} ${verb} <id>`)
      if (rest.length !== 1) throw new UsageError(`pipe ${group} ${verb} needs one inference id`)
      const inferenceOpts = { ...opts, grpc: values.grpc ?? process.env.PIPE_GRPC ?? DEFAULT_GRPC }
      await (group === 'inference' ? getInference : verifyProof)(rest[0]!, inferenceOpts, out)
      return 0
    }
    if (group !== 'model') throw new UsageError(`unknown command "${group}" (model, inference or proof)`)
    const operands = (n: number, what: string): string[] => {
      if (rest.length < n) throw new UsageError(`pipe model ${command} needs ${what}`)
      if (rest.length > n) throw new UsageError(`unexpected argument "${rest[n]}"`)
      return rest
    }
    switch (command) {
      case 'upload':
        await uploadModel(operands(1, 'a file: pipe model upload <file.onnx>')[0]!, opts, out)
        return 0
      case 'info':
        await showModel(operands(1, 'a CID: pipe model info <cid>')[0]!, opts, out)
        return 0
      case 'list':
        operands(0, '')
        await listModels(opts, out)
        return 0
      case 'register': {
        const [cid] = operands(1, 'a CID: pipe model register <cid>')
        const register = registerOptions(values)
        if (!values.zk) {
          if (values.calibration !== undefined || values.home !== undefined) throw new UsageError('--calibration and --home go with --zk')
          await registerModel(cid!, register, out)
          return 0
        }
        if (values['zk-vk-hash'] !== undefined || values.artefact !== undefined) {
          throw new UsageError('--zk makes the verifying key and the artefacts itself: leave out --zk-vk-hash and --artefact')
        }
        await zkRegister(
          cid!,
          { node: opts.node, calibrationFile: values.calibration, home: values.home, progress: opts.json ? err : out },
          register,
          out,
        )
        return 0
      }
      case undefined:
        throw new UsageError('missing model command (upload, info, list or register)')
      default:
        throw new UsageError(`unknown model command "${command}" (upload, info, list or register)`)
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

interface CommandLineValues {
  node?: string
  json?: boolean
  help?: boolean
  key?: string
  'dev-account'?: string
  modes?: string
  'zk-vk-hash'?: string
  artefact?: string[]
  comet?: string
  'gas-price'?: string
  zk?: boolean
  calibration?: string
  home?: string
  grpc?: string
}

function parseCommandLine(argv: string[]): { values: CommandLineValues; positionals: string[] } {
  try {
    return parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        node: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        key: { type: 'string' },
        'dev-account': { type: 'string' },
        modes: { type: 'string' },
        'zk-vk-hash': { type: 'string' },
        artefact: { type: 'string', multiple: true },
        comet: { type: 'string' },
        'gas-price': { type: 'string' },
        zk: { type: 'boolean' },
        calibration: { type: 'string' },
        home: { type: 'string' },
        grpc: { type: 'string' },
      },
    })
  } catch (e) {
    // parseArgs' messages name the bad option; they are usage errors.
    throw new UsageError((e as Error).message)
  }
}

function nodeUrl(text: string, flag = '--node'): string {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw new UsageError(`${flag} "${text}" is not a URL (e.g. ${flag === '--node' ? DEFAULT_NODE : DEFAULT_COMET})`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`${flag} "${text}" must be an http:// or https:// URL`)
  return text.replace(/\/+$/u, '')
}

/** `register`'s flags, checked: usage errors name the flag. */
function registerOptions(values: CommandLineValues): Parameters<typeof registerModel>[1] {
  const hex = (text: string, flag: string, bytes: number): Uint8Array => {
    const clean = text.replace(/^0x/u, '')
    if (!/^[0-9a-fA-F]*$/u.test(clean) || clean.length !== bytes * 2) throw new UsageError(`${flag} must be ${bytes} bytes of hex`)
    return Uint8Array.from(Buffer.from(clean, 'hex'))
  }
  const keyText = values.key ?? process.env.PIPE_KEY
  if (keyText !== undefined && values['dev-account'] !== undefined) throw new UsageError('give --key or --dev-account, not both')
  let privateKey: Uint8Array
  if (values['dev-account'] !== undefined) {
    const i = Number(values['dev-account'])
    if (!Number.isInteger(i) || i < 0 || i > 99) throw new UsageError(`--dev-account "${values['dev-account']}" must be an index 0-99`)
    privateKey = hex(devAccounts(i + 1)[i]!.privateKey, '--dev-account', 32)
  } else if (keyText !== undefined) {
    privateKey = hex(keyText, '--key', 32)
  } else {
    throw new UsageError("pipe model register needs the owner's key: --key <hex> (or $PIPE_KEY), or --dev-account <i> on a localnet")
  }
  const names = (values.modes ?? (values.zk ? 'vanilla,zkml' : 'vanilla')).split(',').map((m) => m.trim().toLowerCase())
  for (const n of names) if (!(n in MODES)) throw new UsageError(`--modes: unknown mode "${n}" (vanilla, zkml, tee)`)
  // --zk registers for ZKML whatever else the user lists.
  if (values.zk && !names.includes('zkml')) names.push('zkml')
  let modes: ReturnType<typeof canonicalModes>
  try {
    modes = canonicalModes(names.map((n) => MODES[n]!))
  } catch (err) {
    throw new UsageError(`--modes: ${(err as AppError).message}`)
  }
  const artefacts: Artefact[] = (values.artefact ?? []).map((a) => {
    const at = a.indexOf('=')
    if (at <= 0) throw new UsageError(`--artefact "${a}" must be name=cid`)
    return { name: a.slice(0, at), cid: a.slice(at + 1) }
  })
  const price = values['gas-price'] ?? String(DEFAULT_GAS_PRICE)
  if (!/^[0-9]+$/u.test(price)) throw new UsageError(`--gas-price "${price}" must be a whole number of apipe`)
  return {
    comet: nodeUrl(values.comet ?? process.env.PIPE_COMET ?? DEFAULT_COMET, '--comet'),
    privateKey,
    modes,
    zkVerifyingKeyHash: values['zk-vk-hash'] ? hex(values['zk-vk-hash'], '--zk-vk-hash', 32) : new Uint8Array(0),
    artefacts,
    gasPrice: BigInt(price),
    json: values.json === true,
  }
}
