import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { Common } from '@ethereumjs/common'
import { createFeeMarket1559Tx, createLegacyTx } from '@ethereumjs/tx'
import { bytesToHex, hexToBytes, type PrefixedHexString } from '@ethereumjs/util'
import type { DeepPartial } from 'cosmjs-types/helpers'
import {
  CheckTxType,
  type ExecTxResult,
  type RequestFinalizeBlock,
  ResponseProcessProposal_ProposalStatus,
} from 'cosmjs-types/tendermint/abci/types'
import type { AbciApplication } from '../../app/abci/connections.ts'
import { abciHandlers } from '../../app/abci/handlers.ts'
import { initCrypto } from '../../app/crypto.ts'
import { type AppGenesis, defaultAppGenesis } from '../../app/genesis.ts'
import { silentLogger } from '../../app/log.ts'
import { createChainCommon } from '../../app/modules/evm/chainConfig.ts'
import { devAccounts } from '../../app/modules/evm/devAccounts.ts'
import { looksLikeTxRaw } from '../../app/modules/tx/cosmosTx.ts'
import { type AppOptions, PipeApp } from '../../app/pipeApp.ts'

/**
 * The app driven directly through its ABCI handlers, on a real LevelDB in a temp dir, without
 * CometBFT: for unit tests of block execution, determinism and restarts.
 */
export interface InProcessApp {
  app: PipeApp
  abci: AbciApplication
  dir: string
  /** Runs CheckTx(NEW) on each tx, then Prepare/Process/Finalize/Commit for the next height. */
  /**
   * `skipCheckTx` finalizes `txs` exactly as given (no CheckTx, no PrepareProposal);
   * `inMempool` skips CheckTx(NEW) for txs the mempool already holds.
   */
  block(
    txs: Uint8Array[],
    opts?: { skipCheckTx?: boolean; inMempool?: boolean },
  ): Promise<{ appHash: Uint8Array; codes: number[]; logs: string[]; results: DeepPartial<ExecTxResult>[] }>
  /** PrepareProposal for the next height, offered `txs` (as CometBFT offers its mempool). */
  propose(txs: Uint8Array[]): Promise<Uint8Array[]>
  /** ProcessProposal of `txs` for the next height: ACCEPT or REJECT. */
  process(txs: Uint8Array[]): Promise<ResponseProcessProposal_ProposalStatus>
  close(): Promise<void>
}

export const GENESIS_TIME = { seconds: 1_700_000_000n, nanos: 0 }
export const PROPOSER = new Uint8Array(20).fill(0xab)

export async function openInProcessApp(
  opts: { dir?: string; common?: Common; genesis?: boolean; appGenesis?: AppGenesis; app?: AppOptions } = {},
): Promise<InProcessApp> {
  await initCrypto()
  const dir = opts.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'pipe-unit-'))
  const app = await PipeApp.open(path.join(dir, 'data'), silentLogger, { common: opts.common, ...opts.app })
  const abci = abciHandlers(app)
  if (opts.genesis ?? true) {
    await abci.initChain({
      time: GENESIS_TIME,
      chainId: 'pipe_1337-1',
      validators: [],
      appStateBytes: new TextEncoder().encode(JSON.stringify(opts.appGenesis ?? defaultAppGenesis())),
      initialHeight: 1n,
      consensusParams: { block: { maxBytes: 22020096n, maxGas: 100_000_000n } } as never,
    })
  }
  async function propose(txs: Uint8Array[]): Promise<Uint8Array[]> {
    const height = app.lastCommit.height + 1n
    const prepared = await abci.prepareProposal({
      maxTxBytes: 1_000_000n,
      txs,
      localLastCommit: { round: 0, votes: [] },
      misbehavior: [],
      height,
      time: { seconds: GENESIS_TIME.seconds + height, nanos: 0 },
      nextValidatorsHash: new Uint8Array(32),
      proposerAddress: PROPOSER,
    })
    return prepared.txs as Uint8Array[]
  }
  return {
    app,
    abci,
    dir,
    async block(txs, o = {}) {
      if (!o.skipCheckTx) {
        for (const tx of o.inMempool ? [] : txs) {
          const r = await abci.checkTx({ tx, type: CheckTxType.NEW })
          if (r.code !== 0) throw new Error(`CheckTx refused a test tx: ${r.log}`)
        }
        // As on a live chain, a tx that may call the inference precompile is proposed once the
        // mempool has simulated it (and computed its inferences).
        for (const tx of txs) {
          if (looksLikeTxRaw(tx)) continue // Cosmos txs call no model
          const eth = app.evm.txCache.decode(tx)
          for (let i = 0; !app.inference.mempool.isReady(eth); i++) {
            if (i > 400) throw new Error(`tx ${eth.hashHex} not ready: ${JSON.stringify(app.inference.mempool.status(eth.hashHex)?.state)}`)
            await new Promise((r) => setTimeout(r, 50))
          }
        }
      }
      const height = app.lastCommit.height + 1n
      const prepared = await propose(txs)
      const blockTxs = o.skipCheckTx ? txs : prepared
      const req: RequestFinalizeBlock = {
        txs: blockTxs,
        decidedLastCommit: { round: 0, votes: [] },
        misbehavior: [],
        hash: new Uint8Array(32).fill(Number(height % 256n)),
        height,
        time: { seconds: GENESIS_TIME.seconds + height, nanos: 0 },
        nextValidatorsHash: new Uint8Array(32),
        proposerAddress: PROPOSER,
      }
      const res = await abci.finalizeBlock(req)
      await abci.commit()
      return {
        appHash: res.appHash as Uint8Array,
        codes: (res.txResults ?? []).map((r) => r?.code ?? 0),
        logs: (res.txResults ?? []).map((r) => r?.log ?? ''),
        results: (res.txResults ?? []) as DeepPartial<ExecTxResult>[],
      }
    },
    propose,
    async process(txs) {
      const height = app.lastCommit.height + 1n
      const r = await abci.processProposal({
        txs,
        proposedLastCommit: { round: 0, votes: [] },
        misbehavior: [],
        hash: new Uint8Array(32),
        height,
        time: { seconds: GENESIS_TIME.seconds + height, nanos: 0 },
        nextValidatorsHash: new Uint8Array(32),
        proposerAddress: PROPOSER,
      })
      return r.status ?? ResponseProcessProposal_ProposalStatus.UNKNOWN
    },
    async close() {
      await app.close()
    },
  }
}

const dev = devAccounts(10)
let signingCommon: Common | undefined

/**
 * A signed EIP-1559 tx from dev account `from` (index); no `to` creates a contract. Gas limit
 * 15M unless given.
 */
export function signedTx(
  from: number,
  nonce: bigint,
  fields: { to?: string; data?: string; value?: bigint; gasLimit?: bigint; maxFeePerGas?: bigint } = {},
): Uint8Array {
  signingCommon ??= createChainCommon()
  const key = dev[from]?.privateKey
  if (!key) throw new Error(`no dev account ${from}`)
  return createFeeMarket1559Tx(
    {
      nonce,
      to: fields.to as PrefixedHexString | undefined,
      value: fields.value,
      data: fields.data as PrefixedHexString | undefined,
      gasLimit: fields.gasLimit ?? 15_000_000n,
      maxFeePerGas: fields.maxFeePerGas ?? 10n ** 10n,
      maxPriorityFeePerGas: 1n,
    },
    { common: signingCommon },
  )
    .sign(hexToBytes(key as PrefixedHexString))
    .serialize()
}

/** A signed EIP-1559 transfer from dev account `from` (index): 1000 wei to the next dev account unless told. */
export function transfer(
  from: number,
  nonce: bigint,
  opts: { to?: string; value?: bigint; gasLimit?: bigint; maxFeePerGas?: bigint; data?: Uint8Array } = {},
): Uint8Array {
  return signedTx(from, nonce, {
    to: opts.to ?? dev[(from + 1) % 10]!.address,
    value: opts.value ?? 1000n,
    gasLimit: opts.gasLimit ?? 21_000n,
    maxFeePerGas: opts.maxFeePerGas,
    data: opts.data && bytesToHex(opts.data),
  })
}

export function legacyTransfer(from: number, nonce: bigint): Uint8Array {
  signingCommon ??= createChainCommon()
  return createLegacyTx(
    { nonce, to: dev[(from + 1) % 10]!.address, value: 1n, gasLimit: 21_000n, gasPrice: 10n ** 10n },
    { common: signingCommon },
  )
    .sign(hexToBytes(dev[from]!.privateKey as PrefixedHexString))
    .serialize()
}

export { dev as devKeys }
