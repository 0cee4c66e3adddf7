/** The node's --grpc flag (app/config.ts): a default, an address, `off`, and each bad value. */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { DEFAULT_CONFIG, parseNodeArgs } from '../../app/config.ts'

test('--grpc: 127.0.0.1:9090 by default, any host:port, and off turns the server off', () => {
  assert.equal(parseNodeArgs([]).grpc, '127.0.0.1:9090')
  assert.equal(DEFAULT_CONFIG.grpc, '127.0.0.1:9090')
  assert.equal(parseNodeArgs(['--grpc', '0.0.0.0:9190']).grpc, '0.0.0.0:9190')
  assert.equal(parseNodeArgs(['--grpc', 'localhost:0']).grpc, 'localhost:0')
  assert.equal(parseNodeArgs(['--grpc', 'off']).grpc, undefined)
})

test('--grpc: a value that is neither host:port nor off is refused, saying what it takes', () => {
  for (const bad of ['9090', 'localhost', 'localhost:', ':9090', 'localhost:65536', 'localhost:port', 'OFF'])
    assert.throws(() => parseNodeArgs(['--grpc', bad]), { message: `--grpc must be host:port or off, got "${bad}"` })
  assert.throws(() => parseNodeArgs(['--grpc']), { message: 'flag --grpc needs a value' })
})
