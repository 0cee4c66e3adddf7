/**
 * The localnet port scheme (ARCHITECTURE.md, "Conventions"): validator i uses each default
 * port + 10·i, plus a portOffset so a test localnet can run beside a developer's one.
 * Everything binds on 127.0.0.1: a localnet is never reachable from the network.
 */

/** Validator 0's ports with portOffset 0. */
export const DEFAULT_PORTS = {
  p2p: 26656,
  cometRpc: 26657,
  abci: 26658,
  prometheus: 26660,
  jsonRpc: 8545,
  ws: 8546,
  grpc: 9090,
  rest: 1317,
} as const

export type PortName = keyof typeof DEFAULT_PORTS
export type NodePorts = Record<PortName, number>

/** Distance between consecutive validators' ports (26656…26660 fit in it). */
export const PORT_STRIDE = 10

/** The loopback host every localnet listener binds to. */
export const LOCALNET_HOST = '127.0.0.1'

/**
 * The ports of validator `i`.
 * @throws when a port would fall outside 1…65535.
 * @example nodePorts(1, 700).cometRpc // 27367
 */
export function nodePorts(i: number, portOffset = 0): NodePorts {
  if (!Number.isInteger(i) || i < 0) throw new Error(`validator index must be a non-negative integer, got ${i}`)
  if (!Number.isInteger(portOffset)) throw new Error(`portOffset must be an integer, got ${portOffset}`)
  const ports = {} as NodePorts
  for (const [name, base] of Object.entries(DEFAULT_PORTS) as Array<[PortName, number]>) {
    const port = base + PORT_STRIDE * i + portOffset
    if (port < 1 || port > 65535) throw new Error(`validator ${i} ${name} port ${port} is out of range (portOffset ${portOffset})`)
    ports[name] = port
  }
  return ports
}

/** How a client reaches validator i's listeners. */
export interface NodeEndpoints {
  /** CometBFT RPC, http://127.0.0.1:26657 */
  cometRpc: string
  /** Ethereum JSON-RPC over HTTP, http://127.0.0.1:8545 */
  jsonRpc: string
  /** Ethereum JSON-RPC over WebSocket, ws://127.0.0.1:8546 */
  ws: string
  /** gRPC as host:port (what grpc-js and grpcurl take), 127.0.0.1:9090 */
  grpc: string
  /** REST (model hub), http://127.0.0.1:1317 */
  rest: string
  /** CometBFT P2P, tcp://127.0.0.1:26656 */
  p2p: string
  /** ABCI socket between CometBFT and the pipe node, tcp://127.0.0.1:26658 */
  abci: string
  /** Prometheus metrics, http://127.0.0.1:26660 (path /metrics) */
  prometheus: string
}

/** The URLs of a set of ports. */
export function nodeEndpoints(ports: NodePorts): NodeEndpoints {
  const h = LOCALNET_HOST
  return {
    cometRpc: `http://${h}:${ports.cometRpc}`,
    jsonRpc: `http://${h}:${ports.jsonRpc}`,
    ws: `ws://${h}:${ports.ws}`,
    grpc: `${h}:${ports.grpc}`,
    rest: `http://${h}:${ports.rest}`,
    p2p: `tcp://${h}:${ports.p2p}`,
    abci: `tcp://${h}:${ports.abci}`,
    prometheus: `http://${h}:${ports.prometheus}`,
  }
}

/** The ports a validator actually listens on: with a builtin app there is no pipe node. */
export function listenedPorts(ports: NodePorts, withPipeNode: boolean): Array<[PortName, number]> {
  const cometOnly: PortName[] = ['p2p', 'cometRpc', 'prometheus']
  return (Object.entries(ports) as Array<[PortName, number]>).filter(([name]) => withPipeNode || cometOnly.includes(name))
}
