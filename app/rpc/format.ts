import type { Common } from '@ethereumjs/common'
import { Capability, createTxFromRLP, type TypedTransaction } from '@ethereumjs/tx'
import { bigIntToHex, bytesToHex } from '@ethereumjs/util'
import { Bloom } from '@ethereumjs/vm'
import type { StoredBlock, StoredLog, StoredTx } from '../modules/evm/blockStore.ts'
import type { EthTx } from '../modules/evm/ethTx.ts'

/** JSON-RPC output shapes (hex quantities and data), as geth returns them. */

const hex = (n: bigint | number): string => bigIntToHex(BigInt(n))

export interface RpcLog {
  address: string
  topics: string[]
  data: string
  blockNumber: string
  blockHash: string
  blockTimestamp: string
  transactionHash: string
  transactionIndex: string
  logIndex: string
  removed: false
}

export function formatLog(log: StoredLog, tx: StoredTx, block: StoredBlock, logIndex: number): RpcLog {
  return {
    address: bytesToHex(log.address),
    topics: log.topics.map(bytesToHex),
    data: bytesToHex(log.data),
    blockNumber: hex(tx.height),
    blockHash: bytesToHex(tx.blockHash),
    blockTimestamp: hex(block.header.timestamp),
    transactionHash: bytesToHex(tx.hash),
    transactionIndex: hex(tx.index),
    logIndex: hex(logIndex),
    removed: false,
  }
}

/** Every log of a stored tx with its block-wide index. */
export function txLogs(tx: StoredTx, block: StoredBlock): RpcLog[] {
  return tx.receipt.logs.map((l, i) => formatLog(l, tx, block, tx.receipt.firstLogIndex + i))
}

/** Decodes a stored tx's bytes (cheap: no signature recovery, `from` is stored). */
export function parseStoredTx(tx: StoredTx, common: Common): TypedTransaction {
  return createTxFromRLP(tx.raw, { common })
}

/** A tx as eth_getTransactionByHash returns it; `location` is absent for a pending tx. */
export function formatTx(
  tx: TypedTransaction,
  hash: Uint8Array,
  from: Uint8Array,
  location?: { block: StoredBlock; index: number },
): Record<string, unknown> {
  const baseFee = location?.block.header.baseFeePerGas
  const out: Record<string, unknown> = {
    blockHash: location ? bytesToHex(location.block.hash) : null,
    blockNumber: location ? hex(location.block.header.number) : null,
    transactionIndex: location ? hex(location.index) : null,
    hash: bytesToHex(hash),
    from: bytesToHex(from),
    to: tx.to ? tx.to.toString() : null,
    nonce: hex(tx.nonce),
    gas: hex(tx.gasLimit),
    value: hex(tx.value),
    input: bytesToHex(tx.data),
    type: hex(tx.type),
    v: hex(tx.v ?? 0n),
    r: hex(tx.r ?? 0n),
    s: hex(tx.s ?? 0n),
  }
  if ('maxFeePerGas' in tx) {
    out.maxFeePerGas = hex(tx.maxFeePerGas)
    out.maxPriorityFeePerGas = hex(tx.maxPriorityFeePerGas)
    out.gasPrice = hex(baseFee !== undefined ? tx.getEffectivePriorityFee(baseFee) + baseFee : tx.maxFeePerGas)
  } else {
    out.gasPrice = hex(tx.gasPrice)
  }
  if (tx.supports(Capability.EIP2718TypedTransaction)) {
    const typed = tx as TypedTransaction & { chainId: bigint; accessList: [Uint8Array, Uint8Array[]][] }
    out.chainId = hex(typed.chainId)
    out.accessList = typed.accessList.map(([a, keys]) => ({ address: bytesToHex(a), storageKeys: keys.map(bytesToHex) }))
    out.yParity = hex(tx.v ?? 0n)
  } else if (tx.supports(Capability.EIP155ReplayProtection)) {
    out.chainId = hex(tx.common.chainId())
  }
  return out
}

export function formatStoredTx(tx: StoredTx, block: StoredBlock, common: Common): Record<string, unknown> {
  return formatTx(parseStoredTx(tx, common), tx.hash, tx.from, { block, index: tx.index })
}

export function formatPendingTx(eth: EthTx): Record<string, unknown> {
  return formatTx(eth.tx, eth.hash, eth.sender.bytes)
}

export function formatReceipt(tx: StoredTx, block: StoredBlock, common: Common): Record<string, unknown> {
  const parsed = parseStoredTx(tx, common)
  const bloom = new Bloom(undefined, common)
  for (const l of tx.receipt.logs) {
    bloom.add(l.address)
    for (const t of l.topics) bloom.add(t)
  }
  return {
    transactionHash: bytesToHex(tx.hash),
    transactionIndex: hex(tx.index),
    blockHash: bytesToHex(tx.blockHash),
    blockNumber: hex(tx.height),
    from: bytesToHex(tx.from),
    to: parsed.to ? parsed.to.toString() : null,
    cumulativeGasUsed: hex(tx.receipt.cumulativeGasUsed),
    gasUsed: hex(tx.receipt.gasUsed),
    effectiveGasPrice: hex(tx.receipt.effectiveGasPrice),
    contractAddress: tx.receipt.contractAddress ? bytesToHex(tx.receipt.contractAddress) : null,
    logs: txLogs(tx, block),
    logsBloom: bytesToHex(bloom.bitvector),
    type: hex(parsed.type),
    status: hex(tx.receipt.status),
  }
}

/** Block header fields shared by eth_getBlock* and the newHeads subscription. */
export function formatHeader(block: StoredBlock): Record<string, unknown> {
  const h = block.header
  return {
    number: hex(h.number),
    hash: bytesToHex(block.hash),
    parentHash: bytesToHex(h.parentHash),
    nonce: bytesToHex(h.nonce),
    sha3Uncles: bytesToHex(h.uncleHash),
    logsBloom: bytesToHex(h.logsBloom),
    transactionsRoot: bytesToHex(h.transactionsTrie),
    stateRoot: bytesToHex(h.stateRoot),
    receiptsRoot: bytesToHex(h.receiptTrie),
    miner: h.coinbase.toString(),
    difficulty: '0x0',
    totalDifficulty: '0x0',
    extraData: bytesToHex(h.extraData),
    gasLimit: hex(h.gasLimit),
    gasUsed: hex(h.gasUsed),
    timestamp: hex(h.timestamp),
    mixHash: bytesToHex(h.mixHash),
    baseFeePerGas: hex(h.baseFeePerGas ?? 0n),
    withdrawalsRoot: bytesToHex(h.withdrawalsRoot ?? new Uint8Array(32)),
    blobGasUsed: hex(h.blobGasUsed ?? 0n),
    excessBlobGas: hex(h.excessBlobGas ?? 0n),
    parentBeaconBlockRoot: bytesToHex(h.parentBeaconBlockRoot ?? new Uint8Array(32)),
    requestsHash: bytesToHex(h.requestsHash ?? new Uint8Array(32)),
  }
}

/** eth_getBlockBy*: `txs` are hashes, or full objects when `full` was asked. */
export function formatBlock(block: StoredBlock, transactions: unknown[]): Record<string, unknown> {
  return { ...formatHeader(block), size: hex(block.size), transactions, uncles: [], withdrawals: [] }
}
