/**
 * Committed EVM throughput on one validator, and where the node's time goes.
 *
 *   npm run bench -- [--txs 10000] [--senders 200] [--block-time 1s] [--submit rpc|comet]
 *                    [--workload transfer|call|both|bank] [--out docs/benchmarks.md]
 *
 * `bank` sends Cosmos MsgSends (signed with cosmjs, ethsecp256k1 keys of the same senders)
 * through CometBFT broadcast_tx_sync batches.
 *
 * Starts a fresh 1-validator localnet (real cometbft + pipe node), funds `senders` fresh
 * accounts, pre-signs the workload, submits it as fast as the node takes it (JSON-RPC batches of
 * eth_sendRawTransaction, or CometBFT batches of broadcast_tx_sync), and measures committed txs/s from
 * the first submission to the block that holds the last tx. The node's `pipe_stats` gives the
 * time spent in CheckTx, PrepareProposal, ProcessProposal, FinalizeBlock and Commit.
 */
import { createHash } from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { DirectEthSecp256k1Wallet } from '@cosmjs/proto-signing'
import { SigningStargateClient, StargateClient } from '@cosmjs/stargate'
import { TxRaw } from 'cosmjs-types/cosmos/tx/v1beta1/tx'
import { encodeAbiParameters, getContractAddress, type Hex, keccak256, toHex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { devAccounts } from '../../app/modules/evm/devAccounts.ts'
import { rawRpc, waitFor } from '../../test/support/rpc.ts'
import { PORT_OFFSETS, startTestChain, type TestChain } from '../../test/support/testChain.ts'
import { STORE_AND_LOG_INITCODE } from '../../test/support/workload.ts'

interface Options {
  txs: number
  senders: number
  blockTime: string
  submit: 'rpc' | 'comet'
  workload: 'transfer' | 'call' | 'both' | 'bank'
  out: string | undefined
}

function parseArgs(argv: string[]): Options {
  const o: Options = { txs: 10_000, senders: 200, blockTime: '1s', submit: 'rpc', workload: 'both', out: undefined }
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, v] = [argv[i], argv[i + 1]]
    if (flag === '--txs') o.txs = Number(v)
    else if (flag === '--senders') o.senders = Number(v)
    else if (flag === '--block-time') o.blockTime = v!
    else if (flag === '--submit' && (v === 'rpc' || v === 'comet')) o.submit = v
    else if (flag === '--workload' && (v === 'transfer' || v === 'call' || v === 'both' || v === 'bank')) o.workload = v
    else if (flag === '--out') o.out = v
    else throw new Error(`unknown or bad flag ${flag} ${v ?? ''}`)
  }
  return o
}

const gwei = 10n ** 9n
const log = (s: string) => process.stderr.write(`${s}\n`)

type PhaseStats = Record<string, { count: number; totalMs: number; maxMs: number; items: number }>

async function stats(chain: TestChain): Promise<PhaseStats> {
  return ((await rawRpc(chain.rpc(), 'pipe_stats')).result as { phases: PhaseStats }).phases
}

function diff(a: PhaseStats, b: PhaseStats): PhaseStats {
  const out: PhaseStats = {}
  for (const [k, v] of Object.entries(b)) {
    const p = a[k] ?? { count: 0, totalMs: 0, maxMs: 0, items: 0 }
    out[k] = { count: v.count - p.count, totalMs: v.totalMs - p.totalMs, maxMs: v.maxMs, items: v.items - p.items }
  }
  return out
}

async function sendBatches(chain: TestChain, raws: Hex[], submit: Options['submit']): Promise<void> {
  // CometBFT accepts at most 10 requests per JSON-RPC batch (rpc.max_request_batch_size).
  const BATCH = submit === 'rpc' ? 100 : 10
  const CONCURRENCY = submit === 'rpc' ? 4 : 16
  let next = 0
  const worker = async () => {
    while (next < raws.length) {
      const chunk = raws.slice(next, next + BATCH)
      next += BATCH
      if (submit === 'rpc') {
        const res = await fetch(chain.rpc(), {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(chunk.map((r, i) => ({ jsonrpc: '2.0', id: i, method: 'eth_sendRawTransaction', params: [r] }))),
        })
        const body = (await res.json()) as { error?: { message: string } }[]
        const failed = body.find((b) => b.error)
        if (failed) throw new Error(`submission refused: ${failed.error!.message}`)
      } else {
        // One JSON-RPC batch of broadcast_tx_sync per chunk: CometBFT handles batch entries in order.
        const res = await fetch(chain.comet(), {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(
            chunk.map((r, i) => ({
              jsonrpc: '2.0',
              id: i,
              method: 'broadcast_tx_sync',
              params: { tx: Buffer.from(r.slice(2), 'hex').toString('base64') },
            })),
          ),
        })
        const body = (await res.json()) as { result?: { code: number; log: string }; error?: { data: string } }[]
        const failed = body.find((b) => b.error || b.result?.code)
        if (failed) throw new Error(`submission refused: ${failed.error?.data ?? failed.result?.log}`)
      }
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, worker))
}

interface RunResult {
  workload: string
  txs: number
  seconds: number
  txPerSec: number
  blocks: number
  maxBlockTxs: number
  phases: PhaseStats
}

/** How a workload's txs are found once committed. */
interface TxLookup {
  /** True once the tx is in a block (undefined before, as waitFor wants); throws if it failed. */
  committed(raw: Hex): Promise<true | undefined>
  /** Txs of this workload in block `h`. */
  blockTxs(h: bigint): Promise<number>
}

const ethLookup = (chain: TestChain): TxLookup => ({
  committed: async (raw) => {
    const receipt = (await rawRpc(chain.rpc(), 'eth_getTransactionReceipt', [keccak256(raw)])).result as { status: string } | null
    if (receipt && receipt.status !== '0x1') throw new Error(`tx ${keccak256(raw)} failed`)
    return receipt ? true : undefined
  },
  blockTxs: async (h) =>
    ((await rawRpc(chain.rpc(), 'eth_getBlockByNumber', [toHex(h), false])).result as { transactions: string[] }).transactions.length,
})

/** Cosmos txs: CometBFT's tx index (by sha256) and block data. */
const cometLookup = (chain: TestChain): TxLookup => ({
  committed: async (raw) => {
    const hash = createHash('sha256')
      .update(Buffer.from(raw.slice(2), 'hex'))
      .digest('hex')
    const body = (await (await fetch(`${chain.comet()}/tx?hash=0x${hash}`)).json()) as {
      result?: { tx_result: { code: number; log: string } }
    }
    if (body.result && body.result.tx_result.code !== 0) throw new Error(`a bank tx failed: ${body.result.tx_result.log}`)
    return body.result ? true : undefined
  },
  blockTxs: async (h) =>
    ((await (await fetch(`${chain.comet()}/block?height=${h}`)).json()) as { result: { block: { data: { txs: string[] | null } } } }).result
      .block.data.txs?.length ?? 0,
})

/** Submits pre-signed txs and waits until the last one is committed. */
async function measure(
  chain: TestChain,
  name: string,
  raws: Hex[],
  submit: Options['submit'],
  senderCount: number,
  lookup: TxLookup = ethLookup(chain),
): Promise<RunResult> {
  const startHeight = BigInt((await rawRpc(chain.rpc(), 'eth_blockNumber')).result as string)
  const before = await stats(chain)
  const t0 = performance.now()
  await sendBatches(chain, raws, submit)
  const submitted = performance.now()
  log(`  ${name}: submitted ${raws.length} txs in ${((submitted - t0) / 1000).toFixed(1)} s`)
  // Txs are signed round-robin over senders, so the tail holds every sender's last nonce: the
  // run is done when all of those are committed.
  for (const raw of raws.slice(-senderCount)) {
    await waitFor('the last txs', () => lookup.committed(raw), 300_000)
  }
  const t1 = performance.now()
  const after = await stats(chain)
  const endHeight = BigInt((await rawRpc(chain.rpc(), 'eth_blockNumber')).result as string)
  let committed = 0
  let blocks = 0
  let maxBlockTxs = 0
  const timeline: string[] = []
  for (let h = startHeight + 1n; h <= endHeight; h++) {
    const n = await lookup.blockTxs(h)
    committed += n
    if (n > 0) blocks++
    maxBlockTxs = Math.max(maxBlockTxs, n)
    timeline.push(`${h}:${n}`)
  }
  log(`  blocks (height:txs): ${timeline.join(' ')}`)
  if (!(await lookup.committed(raws[0]!))) throw new Error(`${name}: the first tx is not committed`)
  if (committed < raws.length) throw new Error(`${name}: only ${committed} of ${raws.length} txs committed`)
  const seconds = (t1 - t0) / 1000
  return { workload: name, txs: raws.length, seconds, txPerSec: raws.length / seconds, blocks, maxBlockTxs, phases: diff(before, after) }
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2))
  log(`starting a 1-validator localnet (block time ${o.blockTime})…`)
  const chain = await startTestChain({ name: 'bench', portOffset: PORT_OFFSETS.bench, validators: 1, blockTime: o.blockTime })
  try {
    const funder = privateKeyToAccount(devAccounts(1)[0]!.privateKey)
    const senders = Array.from({ length: o.senders }, (_, i) => privateKeyToAccount(keccak256(toHex(`pipe-bench-${i}`))))
    log(`funding ${o.senders} senders…`)
    const funding = await Promise.all(
      senders.map((s, i) =>
        funder.signTransaction({
          chainId: 1337,
          type: 'eip1559',
          nonce: i,
          to: s.address,
          value: 10n ** 19n,
          gas: 21_000n,
          maxFeePerGas: 10n * gwei,
          maxPriorityFeePerGas: 0n,
        }),
      ),
    )
    await sendBatches(chain, funding, 'rpc')
    await waitFor(
      'funding',
      async () => (await rawRpc(chain.rpc(), 'eth_getTransactionReceipt', [keccak256(funding.at(-1)!)])).result,
      120_000,
    )

    const perSender = Math.ceil(o.txs / o.senders)
    const results: RunResult[] = []
    const nonces = senders.map(() => 0)
    const sign = async (make: (s: number, nonce: number) => Record<string, unknown>) => {
      const out: Hex[] = []
      for (let k = 0; k < perSender; k++) {
        for (let s = 0; s < senders.length && out.length < o.txs; s++) {
          out.push(
            await senders[s]!.signTransaction({
              chainId: 1337,
              type: 'eip1559',
              nonce: nonces[s],
              maxFeePerGas: 10n * gwei,
              maxPriorityFeePerGas: 1n,
              ...make(s, nonces[s]!),
            } as never),
          )
          nonces[s]!++
        }
      }
      return out
    }
    if (o.workload === 'bank') {
      log(`signing ${o.txs} Cosmos MsgSends…`)
      const raws = await signBankSends(
        chain,
        senders.map((_s, i) => keccak256(toHex(`pipe-bench-${i}`))),
        perSender,
        o.txs,
      )
      results.push(await measure(chain, 'bank sends (Cosmos MsgSend)', raws, 'comet', o.senders, cometLookup(chain)))
    }
    if (o.workload === 'transfer' || o.workload === 'both') {
      log(`signing ${o.txs} transfers…`)
      const raws = await sign((s) => ({ to: senders[(s + 1) % senders.length]!.address, value: 1n, gas: 21_000n }))
      results.push(await measure(chain, 'value transfers', raws, o.submit, o.senders))
    }
    if (o.workload === 'call' || o.workload === 'both') {
      const deployer = senders[0]!
      const deployRaw = await deployer.signTransaction({
        chainId: 1337,
        type: 'eip1559',
        nonce: nonces[0],
        data: STORE_AND_LOG_INITCODE,
        gas: 200_000n,
        maxFeePerGas: 10n * gwei,
        maxPriorityFeePerGas: 0n,
      })
      const contract = getContractAddress({ from: deployer.address, nonce: BigInt(nonces[0]!) })
      nonces[0]!++
      await sendBatches(chain, [deployRaw], 'rpc')
      await waitFor('deployment', async () => (await rawRpc(chain.rpc(), 'eth_getTransactionReceipt', [keccak256(deployRaw)])).result)
      log(`signing ${o.txs} contract calls (SSTORE + LOG)…`)
      const raws = await sign((s, n) => ({
        to: contract,
        data: encodeAbiParameters([{ type: 'uint256' }], [BigInt(s * 100_000 + n + 1)]),
        gas: 60_000n,
      }))
      results.push(await measure(chain, 'contract calls (SSTORE + LOG)', raws, o.submit, o.senders))
    }
    const report = render(o, results)
    process.stdout.write(report)
    if (o.out) writeReport(o.out, report)
  } finally {
    await chain.stop()
  }
}

/**
 * MsgSends round-robin over the senders (each to the next), signed offline with cosmjs as
 * ethsecp256k1 accounts: their account numbers come from the chain, their sequences from 0.
 */
async function signBankSends(chain: TestChain, keys: Hex[], perSender: number, total: number): Promise<Hex[]> {
  const query = await StargateClient.connect(chain.comet())
  const wallets = await Promise.all(keys.map((k) => DirectEthSecp256k1Wallet.fromKey(Buffer.from(k.slice(2), 'hex'), 'pipe')))
  const addresses = await Promise.all(wallets.map(async (w) => (await w.getAccounts())[0]!.address))
  const numbers = await Promise.all(addresses.map(async (a) => (await query.getAccount(a))!.accountNumber))
  query.disconnect()
  const clients = await Promise.all(wallets.map((w) => SigningStargateClient.offline(w)))
  const fee = { amount: [{ denom: 'apipe', amount: (100_000n * 10n * gwei).toString() }], gas: '100000' }
  const out: Hex[] = []
  for (let k = 0; k < perSender; k++) {
    for (let s = 0; s < wallets.length && out.length < total; s++) {
      const to = addresses[(s + 1) % addresses.length]
      const msg = {
        typeUrl: '/cosmos.bank.v1beta1.MsgSend',
        value: { fromAddress: addresses[s], toAddress: to, amount: [{ denom: 'apipe', amount: '1' }] },
      }
      const raw = await clients[s]!.sign(addresses[s]!, [msg], fee, '', { accountNumber: numbers[s]!, sequence: k, chainId: 'pipe_1337-1' })
      out.push(`0x${Buffer.from(TxRaw.encode(raw).finish()).toString('hex')}`)
    }
  }
  return out
}

function machine(): string {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU'
  return `${cpu}, ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${os.platform()} ${os.release()}`
}

function render(o: Options, results: RunResult[]): string {
  const command = `npm run bench -- --txs ${o.txs} --senders ${o.senders} --block-time ${o.blockTime}${o.workload === 'bank' ? '' : ` --submit ${o.submit}`} --workload ${o.workload}`
  const lines = [
    o.workload === 'bank'
      ? `### Cosmos bank throughput, submit via CometBFT broadcast_tx_sync batches, block time ${o.blockTime}`
      : `### EVM throughput, submit via ${o.submit === 'rpc' ? 'JSON-RPC eth_sendRawTransaction batches' : 'CometBFT broadcast_tx_sync batches'}, block time ${o.blockTime}`,
    '',
    `Machine: ${machine()}. Command: \`${command}\`.`,
    '',
    '| workload | txs | committed tx/s | seconds | blocks with txs | largest block |',
    '|---|---:|---:|---:|---:|---:|',
    ...results.map(
      (r) => `| ${r.workload} | ${r.txs} | **${r.txPerSec.toFixed(0)}** | ${r.seconds.toFixed(1)} | ${r.blocks} | ${r.maxBlockTxs} |`,
    ),
    '',
    'Where the node spent its time (one thread: these phases run on the same event loop):',
    '',
    '| workload | phase | calls | total ms | ms per tx | max ms per call |',
    '|---|---|---:|---:|---:|---:|',
  ]
  for (const r of results) {
    for (const phase of ['checkTx', 'recheckTx', 'prepareProposal', 'processProposal', 'finalizeBlock', 'commit']) {
      const p = r.phases[phase]
      if (!p || p.count === 0) continue
      lines.push(
        `| ${r.workload} | ${phase} | ${p.count} | ${p.totalMs.toFixed(0)} | ${(p.totalMs / r.txs).toFixed(3)} | ${p.maxMs.toFixed(1)} |`,
      )
    }
  }
  return `${lines.join('\n')}\n\n`
}

function writeReport(file: string, section: string): void {
  const marker = section.split('\n')[0]!
  const existing = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '# Benchmarks\n\n'
  const start = existing.indexOf(marker)
  let next: string
  if (start === -1) next = `${existing.trimEnd()}\n\n${section}`
  else {
    const end = existing.indexOf('\n### ', start + marker.length)
    next = existing.slice(0, start) + section + (end === -1 ? '' : existing.slice(end + 1))
  }
  fs.mkdirSync(path.dirname(file), { recursive: true })
  fs.writeFileSync(file, next)
  log(`wrote ${file}`)
}

await main()
