import fs from 'node:fs'
import path from 'node:path'
import { AbciServer } from './abci/server.ts'
import { abciApplication } from './abci/handlers.ts'
import { PipeApp } from './pipeApp.ts'
import type { NodeConfig } from './config.ts'
import { initCrypto } from './crypto.ts'
import { createLogger, type Logger } from './log.ts'
import { JsonRpcServer } from './rpc/server.ts'
import { ModelStore } from './modelHub/modelStore.ts'
import { ModelHubServer } from './modelHub/modelHubServer.ts'

/** A running pipe node: the ABCI app CometBFT drives, and the user-facing servers. */
export interface RunningNode {
  app: PipeApp
  stop(): Promise<void>
}

/** Opens the database, then starts the ABCI server and JSON-RPC. */
export async function startNode(config: NodeConfig, log: Logger = createLogger(config.logLevel)): Promise<RunningNode> {
  await initCrypto()
  fs.mkdirSync(config.home, { recursive: true })
  const models = new ModelStore({ dir: config.models, peers: config.modelPeers, log: log.child('models') })
  const app = await PipeApp.open(path.join(config.home, 'data'), log, {
    models,
    inference: config.inference,
    executor: { workers: config.inferenceWorkers },
    inferenceMempool: { timeoutMs: config.inferenceTimeoutMs },
  })
  const rpc = new JsonRpcServer(app, config, log.child('rpc'))
  await rpc.listen()
  const hub = new ModelHubServer(models, { log: log.child('hub') })
  await hub.listen(config.rest)
  const abci = new AbciServer(abciApplication(app), log.child('abci'))
  await abci.listen(config.abci)
  log.info(`pipe node ready: home ${config.home}, last committed height ${app.lastCommit.height}, inference ${config.inference}, models in ${config.models}`)
  return {
    app,
    async stop() {
      await abci.close()
      await rpc.close()
      await hub.close()
      await app.close()
    },
  }
}
