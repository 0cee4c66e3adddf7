import fs from 'node:fs'
import path from 'node:path'
import { abciHandlers } from './abci/handlers.ts'
import { AbciServer } from './abci/server.ts'
import { type NodeConfig, parseNodeArgs } from './config.ts'
import { initCrypto } from './crypto.ts'
import { broadcastTxMethod } from './grpc/broadcastTx.ts'
import { GrpcServer } from './grpc/server.ts'
import { createLogger, type Logger } from './log.ts'
import { ModelHubServer } from './modelHub/modelHubServer.ts'
import { ModelStore } from './modelHub/modelStore.ts'
import { type AppOptions, PipeApp } from './pipeApp.ts'
import { startCpuProfile } from './profiler.ts'
import { CometClient } from './rpc/cometClient.ts'
import { JsonRpcServer } from './rpc/server.ts'

/** A running pipe node: the ABCI app CometBFT drives, and the user-facing servers. */
export interface RunningNode {
  app: PipeApp
  stop(): Promise<void>
}

/**
 * Opens the database, then starts the ABCI server, JSON-RPC, gRPC (unless `config.grpc` is
 * undefined) and the model hub. `app` adds what
 * flags cannot say (bench/pipe's inline baseline passes its inference module).
 */
export async function startNode(
  config: NodeConfig,
  log: Logger = createLogger(config.logLevel),
  app: Pick<AppOptions, 'inferenceModule'> = {},
): Promise<RunningNode> {
  await initCrypto()
  fs.mkdirSync(config.home, { recursive: true })
  const hub = new ModelStore({ dir: config.models, peers: config.modelPeers, log: log.child('models') })
  const pipe = await PipeApp.open(path.join(config.home, 'data'), log, {
    ...app,
    hub,
    executor: { workers: config.inferenceWorkers },
    inferenceMempool: { timeoutMs: config.inferenceTimeoutMs },
    zk: { provers: config.zkProvers, verifiers: config.zkVerifiers },
    simulationThreads: config.simulationThreads,
    byzantineProposer: config.testByzantineProposer,
  })
  pipe.inference.startSimulationThreads()
  const comet = new CometClient(config.cometRpc)
  const rpc = new JsonRpcServer(pipe, config, log.child('rpc'), comet)
  await rpc.listen()
  let grpc: GrpcServer | undefined
  if (config.grpc !== undefined) {
    grpc = new GrpcServer(pipe.queries, [broadcastTxMethod(comet)], log.child('grpc'))
    await grpc.listen(config.grpc)
  }
  const hubServer = new ModelHubServer(hub, { log: log.child('hub') })
  await hubServer.listen(config.rest)
  const abci = new AbciServer(abciHandlers(pipe), log.child('abci'))
  await abci.listen(config.abci)
  log.info(`pipe node ready: home ${config.home}, last committed height ${pipe.lastCommit.height}, models in ${config.models}`)
  return {
    app: pipe,
    async stop() {
      await abci.close()
      await rpc.close()
      await grpc?.close()
      await hubServer.close()
      await pipe.close()
    },
  }
}

/**
 * A node process: flags from `argv` (app/config.ts), a node started with them, stopped cleanly
 * on SIGINT or SIGTERM (with a CPU profile written if PIPE_CPU_PROFILE asks for one).
 */
export async function runNodeProcess(argv: string[], app: Pick<AppOptions, 'inferenceModule'> = {}): Promise<void> {
  let config: NodeConfig
  try {
    config = parseNodeArgs(argv)
  } catch (err) {
    console.error((err as Error).message)
    process.exit(2)
  }
  const log = createLogger(config.logLevel)
  const stopProfile = await startCpuProfile()
  const node = await startNode(config, log, app)
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
}
