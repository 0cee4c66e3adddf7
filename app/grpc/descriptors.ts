import path from 'node:path'
import { loadSync, type PackageDefinition, type ServiceDefinition } from '@grpc/proto-loader'
import { protoPath as healthProto } from 'grpc-health-check'

/** proto/ at the project root: PIPE's own .proto files and the Cosmos SDK subset it serves. */
const PROTO_ROOT = path.resolve(import.meta.dirname, '../../proto')

/**
 * The files of every service the gRPC server serves, with what their messages carry (the
 * account and public-key types inside an Any, the messages of a tx): reflection describes them
 * from these. Health's comes with grpc-health-check.
 */
const FILES = [
  'pipe/inference/v1/query.proto',
  'pipe/inference/v1/tx.proto',
  'cosmos/auth/v1beta1/query.proto',
  'cosmos/auth/v1beta1/auth.proto',
  'cosmos/crypto/secp256k1/keys.proto',
  'cosmos/evm/crypto/v1/ethsecp256k1/keys.proto',
  'cosmos/bank/v1beta1/query.proto',
  'cosmos/bank/v1beta1/tx.proto',
  'cosmos/tx/v1beta1/service.proto',
]

/** The health service's name (grpc-health-check's proto). */
export const HEALTH_SERVICE = 'grpc.health.v1.Health'

/**
 * The served protos as a proto-loader package definition: what reflection serves, and the
 * method paths the server registers (its handlers pass raw bytes, so no codec of it is used).
 */
export function loadDescriptors(): PackageDefinition {
  return loadSync([...FILES, healthProto], { includeDirs: [PROTO_ROOT], keepCase: true, longs: String, enums: String, defaults: true })
}

/** The services of a package definition by full name (`cosmos.bank.v1beta1.Query`). */
export function servicesOf(pkg: PackageDefinition): Map<string, ServiceDefinition> {
  const services = new Map<string, ServiceDefinition>()
  for (const [name, def] of Object.entries(pkg)) if (!('format' in def)) services.set(name, def as ServiceDefinition)
  return services
}
