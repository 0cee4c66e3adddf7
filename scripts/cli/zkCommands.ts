import { readFile } from 'node:fs/promises'
import { connectComet } from '@cosmjs/tendermint-rpc'
import { AppError } from '../../app/errors.ts'
import { parseModelCid } from '../../app/modelHub/cid.ts'
import { parseOnnxModel } from '../../app/modelHub/onnxModel.ts'
import { QueryModelRequest } from '../../app/proto/pipe/inference/v1/query.ts'
import type { Artefact } from '../../app/proto/pipe/inference/v1/types.ts'
import { type CalibrationData, circuitShape, parseCalibration } from '../zk/calibrationData.ts'
import { formatZkProgress, ZK_ARTEFACT_NAMES, type ZkArtefacts, zkSetup } from '../zk/zkSetup.ts'
import { ZkSetupError } from '../zk/zkSetupError.ts'
import { HubClient } from './hubClient.ts'
import { CommandError, type Output, refusalsAsCommandErrors } from './modelCommands.ts'
import { type RegisterModelOptions, registerModel } from './registryCommands.ts'

export interface ZkRegisterOptions {
  /** REST base URL of the node whose hub has the model and gets the artefacts. */
  node: string
  /** A calibration file in EZKL's input format; default: samples generated from the input shapes. */
  calibrationFile?: string
  /** Home of the SRS cache (`<home>/zk/srs`); default $PIPE_HOME or ~/.pipe. */
  home?: string
  /** Where progress lines go (stdout, or stderr when the result is printed as JSON). */
  progress: Output
}

/**
 * `pipe model register <cid> --zk`: fetches the model from the node's hub, runs the ZK setup
 * (scripts/zk/zkSetup.ts) with progress, uploads every artefact to the hub, then registers the
 * model with ZKML among its modes, the verifying key's sha256 and the artefacts' CIDs. A model
 * EZKL cannot prove is refused before anything is uploaded or registered; so is a model that
 * is registered already (asked before the setup, which may take minutes).
 * @example await zkRegister('bafkrei…', { node: 'http://127.0.0.1:1317', progress: process.stdout }, registerOpts, process.stdout)
 */
export async function zkRegister(
  cid: string,
  opts: ZkRegisterOptions,
  register: Omit<RegisterModelOptions, 'zkVerifyingKeyHash' | 'artefacts'>,
  out: Output,
): Promise<void> {
  try {
    parseModelCid(cid)
  } catch (err) {
    if (err instanceof AppError) throw new CommandError(err.message)
    throw err
  }
  const hub = new HubClient(opts.node)
  if (await isRegistered(register.comet, cid)) {
    throw new CommandError(`${cid} is registered already; a model's modes are set once, at its registration`)
  }
  const model = await refusalsAsCommandErrors(() => hub.modelBytes(cid), `the node cannot serve model ${cid}`)
  const calibration = opts.calibrationFile ? await readCalibration(opts.calibrationFile, model) : undefined
  opts.progress.write(
    `ZK setup of ${cid} (${model.length} bytes) with EZKL: ${calibration ? opts.calibrationFile : 'generated'} calibration data\n`,
  )
  let zk: ZkArtefacts
  try {
    zk = await zkSetup(model, { calibration, home: opts.home, onProgress: (p) => opts.progress.write(`${formatZkProgress(p)}\n`) })
  } catch (err) {
    if (err instanceof ZkSetupError) throw new CommandError(`${cid} cannot be registered for ZKML: ${err.message}`)
    throw err
  }
  const artefacts: Artefact[] = []
  for (const name of ZK_ARTEFACT_NAMES) {
    const bytes = zk.files[name]
    const put = await refusalsAsCommandErrors(() => hub.putArtefact(bytes), `the node refused artefact ${name}`)
    opts.progress.write(`[zk] uploaded ${name} (${bytes.length} bytes) → ${put.cid}${put.created ? '' : ' (the node had it)'}\n`)
    artefacts.push({ name, cid: put.cid })
  }
  opts.progress.write(`[zk] verifying key sha256 ${Buffer.from(zk.verifyingKeyHash).toString('hex')}, circuit 2^${zk.logrows} rows\n`)
  await registerModel(cid, { ...register, zkVerifyingKeyHash: zk.verifyingKeyHash, artefacts }, out)
}

/** Whether the registry holds the model (asked of CometBFT's ABCI query, as cosmjs does). */
async function isRegistered(comet: string, cid: string): Promise<boolean> {
  let client: Awaited<ReturnType<typeof connectComet>>
  try {
    client = await connectComet(comet)
  } catch (err) {
    throw new CommandError(`cannot reach CometBFT RPC at ${comet}: ${(err as Error).message}`)
  }
  try {
    const res = await client.abciQuery({ path: '/pipe.inference.v1.Query/Model', data: QueryModelRequest.encode({ cid }).finish() })
    return res.code === 0
  } catch (err) {
    throw new CommandError(`cannot ask CometBFT RPC at ${comet} whether ${cid} is registered: ${(err as Error).message}`)
  } finally {
    client.disconnect()
  }
}

async function readCalibration(file: string, model: Uint8Array): Promise<CalibrationData> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    throw new CommandError(`cannot read --calibration ${file}: ${code === 'ENOENT' ? 'no such file' : (err as Error).message}`)
  }
  try {
    return parseCalibration(text, circuitShape(parseOnnxModel(model).inputs), file)
  } catch (err) {
    if (err instanceof ZkSetupError) throw new CommandError(`--calibration ${err.message}`)
    throw err
  }
}
