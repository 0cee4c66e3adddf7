/**
 * Per-phase cost of EVM transfers with nothing else running: the app driven through its ABCI
 * handlers in-process (real LevelDB, no CometBFT, no JSON-RPC), so CheckTx, PrepareProposal,
 * FinalizeBlock and Commit are timed without the interleaving of a live node.
 *
 *   node --import tsx bench/evm-throughput/phases.ts [--txs 4000] [--rounds 3]
 */
import { CheckTxType } from 'cosmjs-types/tendermint/abci/types'
import { openInProcessApp, transfer } from '../../test/support/inProcessApp.ts'

const args = process.argv.slice(2)
const flag = (name: string, dflt: number) => {
  const i = args.indexOf(name)
  return i === -1 ? dflt : Number(args[i + 1])
}
const TXS = flag('--txs', 4000)
const ROUNDS = flag('--rounds', 3)
const SENDERS = 10

const app = await openInProcessApp()
await app.block([])
const rows: string[] = []
for (let round = 0; round < ROUNDS; round++) {
  const txs: Uint8Array[] = []
  for (let k = 0; k < TXS / SENDERS; k++) {
    for (let s = 0; s < SENDERS; s++) {
      txs.push(transfer(s, BigInt(round * (TXS / SENDERS) + k), { to: `0x${(0x1000 + s).toString(16).padStart(40, '0')}` }))
    }
  }
  const t0 = performance.now()
  for (const tx of txs) {
    const r = await app.abci.checkTx({ tx, type: CheckTxType.NEW })
    if (r.code) throw new Error(r.log)
  }
  const checkMs = performance.now() - t0
  const before = app.app.metrics.snapshot()
  await app.block(txs, { skipCheckTx: true })
  const after = app.app.metrics.snapshot()
  const per = (phase: string) => ((after[phase]?.totalMs ?? 0) - (before[phase]?.totalMs ?? 0)) / TXS
  rows.push(
    `| ${round + 1} | ${TXS} | ${(checkMs / TXS).toFixed(3)} | ${per('prepareProposal').toFixed(3)} | ${per('finalizeBlock').toFixed(3)} | ${per('commit').toFixed(3)} |`,
  )
}
await app.close()
process.stdout.write(
  [
    `In-process, ${TXS} transfers per block from ${SENDERS} senders (round 1 includes JIT warm-up). ms per tx:`,
    '',
    '| round | txs | CheckTx | PrepareProposal | FinalizeBlock | Commit |',
    '|---:|---:|---:|---:|---:|---:|',
    ...rows,
    '',
  ].join('\n'),
)
