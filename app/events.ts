/**
 * A tx's ABCI event (CometBFT indexes the attributes marked `index`, so `tx_search` can find
 * txs by them). Attribute order is the order given.
 */
export interface TxEvent {
  type: string
  attributes: { key: string; value: string; index: boolean }[]
}

/** @example txEvent('message', { action: '/cosmos.bank.v1beta1.MsgSend', sender: 'pipe1…' }) */
export function txEvent(type: string, attributes: Record<string, string>, index = true): TxEvent {
  return { type, attributes: Object.entries(attributes).map(([key, value]) => ({ key, value, index })) }
}
