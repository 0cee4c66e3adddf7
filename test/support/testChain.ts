import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Localnet } from '../../scripts/localnet/localnet.ts'

/**
 * Port offsets of the integration test files (added to every default port). Multiples of 100
 * never collide with each other's port ranges; each file owns one so a leftover process from
 * one file cannot break another.
 */
export const PORT_OFFSETS = {
  localnetBuiltin: 700,
  rpcClients: 1000,
  rpcMethods: 1100,
  checkTx: 1200,
  consensus: 1300,
  crashRecovery: 1400,
  inference: 1500,
  inferenceConsensus: 1600,
  cosmos: 1700,
  grpc: 1800,
  grpcurl: 1900,
  bench: 2000,
  zkRegister: 2100,
  zkByzantine: 2200,
  zkBench: 2300,
} as const

export interface TestChain {
  net: Localnet
  home: string
  /** JSON-RPC HTTP URL of validator i. */
  rpc(i?: number): string
  /** JSON-RPC WebSocket URL of validator i. */
  ws(i?: number): string
  /** CometBFT RPC URL of validator i. */
  comet(i?: number): string
  stop(): Promise<void>
}

/**
 * Starts a fresh localnet of real cometbft + pipe node processes in a temp dir.
 * @example const chain = await startTestChain({ name: 'rpc', portOffset: PORT_OFFSETS.rpcClients })
 */
export async function startTestChain(opts: {
  name: string
  portOffset: number
  validators?: number
  blockTime?: string
  nodeArgs?: string[]
  /** Extra arguments for pipe node i only. */
  nodeArgsOf?: (i: number) => string[]
  /** The pipe node's entry script, when not app/main.ts (bench/pipe's inline baseline). */
  nodeMain?: string
}): Promise<TestChain> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), `pipe-${opts.name}-`))
  const net = await Localnet.open({
    home,
    validators: opts.validators ?? 1,
    portOffset: opts.portOffset,
    blockTime: opts.blockTime ?? '300ms',
    nodeArgs: opts.nodeArgs,
    nodeArgsOf: opts.nodeArgsOf,
    app: { kind: 'pipe', main: opts.nodeMain },
    log: process.env.PIPE_TEST_VERBOSE ? (l) => console.log(l) : () => {},
  })
  try {
    await net.start()
  } catch (err) {
    await net.stop().catch(() => {})
    if (!process.env.PIPE_TEST_KEEP) fs.rmSync(home, { recursive: true, force: true })
    throw err
  }
  return {
    net,
    home,
    rpc: (i = 0) => net.endpoints(i).jsonRpc,
    ws: (i = 0) => net.endpoints(i).ws,
    comet: (i = 0) => net.endpoints(i).cometRpc,
    async stop() {
      await net.stop()
      if (!process.env.PIPE_TEST_KEEP) fs.rmSync(home, { recursive: true, force: true })
    },
  }
}
