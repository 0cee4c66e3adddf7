/**
 * The gRPC server's start-up check (app/grpc/server.ts): every method it serves has a
 * descriptor in proto/ (so reflection can describe it), and every method of a served service
 * has a handler. The node's real router passing it is shown by every integration test.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { GrpcServer } from '../../app/grpc/server.ts'
import { createLogger } from '../../app/log.ts'

const log = createLogger('error')
const router = (paths: string[]) => ({ paths: () => paths, run: async () => ({ value: new Uint8Array(0), height: 1n }) })
const AUTH = ['/cosmos.auth.v1beta1.Query/Account', '/cosmos.auth.v1beta1.Query/Bech32Prefix']

test('a served query without a descriptor is refused at start, naming it', () => {
  assert.throws(() => new GrpcServer(router([...AUTH, '/cosmos.staking.v1beta1.Query/Validators']), [], log), {
    message: 'gRPC: no descriptor in proto/ for /cosmos.staking.v1beta1.Query/Validators (reflection could not describe them)',
  })
})

test('a described method of a served service without a handler is refused at start, naming it', () => {
  assert.throws(() => new GrpcServer(router(['/cosmos.auth.v1beta1.Query/Account']), [], log), {
    message: 'gRPC: /cosmos.auth.v1beta1.Query/Bech32Prefix is described in proto/ but nothing serves it',
  })
})

test('services with every method served are served; a described service nothing serves (a Msg service) is not', () => {
  const server = new GrpcServer(router(AUTH), [], log)
  assert.deepEqual(server.services(), ['cosmos.auth.v1beta1.Query'])
})
