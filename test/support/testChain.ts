import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { type Hex, keccak256 } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { Localnet } from '../../scripts/localnet/localnet.ts'
import { rawRpc } from './rpc.ts'

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
  contractModelConsensus: 2400,
  vanillaByzantine: 2500,
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

/**
 * Asserts that validators 0…validators-1 report one app hash at every height 1…upTo (a block's
 * header holds the previous block's app hash); answers how many of those blocks carry an
 * inference results tx (the proposer's first tx, tagged PIPR).
 */
export async function assertOneAppHash(chain: TestChain, validators: number, upTo: bigint): Promise<{ resultsBlocks: number }> {
  let resultsBlocks = 0
  for (let h = 1n; h <= upTo; h++) {
    const blocks = await Promise.all(
      Array.from({ length: validators }, async (_, n) => {
        const body = (await (await fetch(`${chain.comet(n)}/block?height=${h}`)).json()) as {
          result: { block: { header: { app_hash: string }; data: { txs: string[] | null } } }
        }
        return body.result.block
      }),
    )
    for (const b of blocks) assert.equal(b.header.app_hash, blocks[0]!.header.app_hash, `app hash at height ${h}`)
    const first = blocks[0]!.data.txs?.[0]
    if (first && Buffer.from(first, 'base64').subarray(0, 4).toString() === 'PIPR') resultsBlocks++
  }
  return { resultsBlocks }
}

/**
 * Signs an EIP-1559 tx with `privateKey` (gas 3,000,000 and a 10 gwei fee cap unless `fields`
 * says otherwise) and sends it through node `node`'s JSON-RPC; returns its hash.
 */
export async function sendTx(
  chain: TestChain,
  node: number,
  privateKey: Hex,
  nonce: number,
  fields: Record<string, unknown>,
): Promise<Hex> {
  const raw = await privateKeyToAccount(privateKey).signTransaction({
    chainId: 1337,
    type: 'eip1559',
    nonce,
    maxFeePerGas: 10n ** 10n,
    maxPriorityFeePerGas: 1n,
    gas: 3_000_000n,
    ...fields,
  } as never)
  const res = await rawRpc(chain.rpc(node), 'eth_sendRawTransaction', [raw])
  if (res.error) throw new Error(`node ${node}: ${res.error.message}`)
  return keccak256(raw)
}

/** The index of the validator that proposed each block of `heights` (by CometBFT's proposer address). */
export async function proposersOf(chain: TestChain, validators: number, heights: number[]): Promise<number[]> {
  const addresses = await Promise.all(
    Array.from({ length: validators }, async (_, i) => {
      const status = (await (await fetch(`${chain.comet(i)}/status`)).json()) as { result: { validator_info: { address: string } } }
      return status.result.validator_info.address
    }),
  )
  return Promise.all(
    heights.map(async (h) => {
      const block = (await (await fetch(`${chain.comet(0)}/block?height=${h}`)).json()) as {
        result: { block: { header: { proposer_address: string } } }
      }
      return addresses.indexOf(block.result.block.header.proposer_address)
    }),
  )
}
