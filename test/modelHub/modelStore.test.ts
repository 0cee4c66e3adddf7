import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import type { ErrorKind } from '../../app/errors.ts'
import { modelCid, parseModelCid } from '../../app/modelHub/cid.ts'
import {
  ErrDuplicateName,
  ErrInvalidCid,
  ErrModelEmpty,
  ErrModelLoad,
  ErrModelTooLarge,
  ErrNoOutputs,
  ErrNotATensor,
  ErrNotOnnx,
  ErrProbeFailed,
  ErrProbeTimeout,
  ErrUnnamedValue,
  ErrUnsupportedElementType,
  ErrUnsupportedIrVersion,
  ErrUnsupportedOpset,
} from '../../app/modelHub/errors.ts'
import { ModelStore } from '../../app/modelHub/modelStore.ts'
import { encodeModelProto } from '../../app/modelHub/onnxProto.ts'
import { buildFailsAtRuntime, buildRiskAdjuster, buildRiskScorer, buildSlow, buildTypesEcho } from '../../scripts/models/exampleModels.ts'
import { OnnxBuilder } from '../../scripts/models/onnxBuilder.ts'

const dirs: string[] = []
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true })
})

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'pipe-model-store-'))
  dirs.push(d)
  return d
}

/** RFC 4648 base32, lower case, no padding: the multibase `b` alphabet, written out by hand. */
function base32(bytes: Uint8Array): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567'
  let bits = 0
  let value = 0
  let out = ''
  for (const b of bytes) {
    value = (value << 8) | b
    bits += 8
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31]
      bits -= 5
    }
  }
  if (bits > 0) out += alphabet[(value << (5 - bits)) & 31]
  return out
}

/** CIDv1 by hand: version 1, codec raw 0x55, multihash sha2-256 (0x12, 32 bytes), multibase `b`. */
function handCid(bytes: Uint8Array): string {
  const digest = createHash('sha256').update(bytes).digest()
  return `b${base32(Uint8Array.from([0x01, 0x55, 0x12, 0x20, ...digest]))}`
}

/** A one-node model: `Identity` (or `op`) from `x` to `y`. */
function tiny(opts: { opset?: number; irVersion?: number; op?: string; type?: 'float32' | 'float16' | 'bfloat16' } = {}): Uint8Array {
  const m = new OnnxBuilder({ opset: opts.opset ?? 13, irVersion: opts.irVersion })
  const type = opts.type ?? 'float32'
  m.input('x', type, ['batch', 2]).output('y', type, ['batch', 2])
  m.node(opts.op ?? 'Identity', ['x'], ['y'])
  return m.build()
}

/**
 * A ModelProto written field by field, for what OnnxBuilder cannot express: `inputType` and
 * `outputType` write the `type` (TypeProto) of the graph's one input `x` and output `y`.
 */
/** An Identity model x → y whose input and output have the given `TypeProto`s (protobufjs field names). */
function handWritten(inputType: Record<string, unknown>, outputType: Record<string, unknown>): Uint8Array {
  return encodeModelProto({
    irVersion: 7,
    graph: {
      node: [{ input: ['x'], output: ['y'], opType: 'Identity' }],
      name: 'hand',
      input: [{ name: 'x', type: inputType }],
      output: [{ name: 'y', type: outputType }],
    },
    opsetImport: [{ domain: '', version: 13 }],
  })
}
const floatTensor = { tensorType: { elemType: 1 } }

/** `put` fails with `kind`, its message matches, and the store directory stays empty. */
async function assertRefused(store: ModelStore, bytes: Uint8Array, kind: ErrorKind, message: RegExp): Promise<void> {
  await assert.rejects(store.put(bytes), (err: unknown) => {
    assert.ok(kind.is(err), `expected ${kind.codespace}/${kind.code} (${kind.description}), got ${String(err)}`)
    assert.match(err.message, message)
    return true
  })
  assert.deepEqual(await readdir(store.dir), [], 'a refused model left files behind')
}

test('a model CID is CIDv1 raw sha2-256 in base32, computed independently by hand', async () => {
  const hello = new TextEncoder().encode('hello')
  assert.equal(await modelCid(hello), 'bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq')
  assert.equal(handCid(hello), 'bafkreibm6jg3ux5qumhcn2b3flc3tyu6dmlb4xa7u5bf44yegnrjhc4yeq')
  const scorer = buildRiskScorer()
  assert.equal(await modelCid(scorer), handCid(scorer))
  assert.equal(await modelCid(new Uint8Array(await readFile(new URL('../../models/risk-scorer.onnx', import.meta.url)))), handCid(scorer))
})

test('parseModelCid accepts model CIDs and names what is wrong with anything else', async () => {
  const cid = await modelCid(buildRiskScorer())
  assert.equal(parseModelCid(cid), cid)
  const refused: [string, RegExp][] = [
    ['', /the CID is empty/],
    ['../../etc/passwd', /"\.\.\/\.\.\/etc\/passwd" is not a CID/],
    [`${cid.slice(0, -1)}1`, /is not a CID/],
    ['QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG', /CIDv0 with codec 0x70.*CIDv1 with codec raw \(0x55\) and sha2-256/],
    ['bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi', /CIDv1 with codec 0x70/],
    ['b'.repeat(200), /200 characters, longer than any model CID/],
  ]
  for (const [text, message] of refused) {
    assert.throws(
      () => parseModelCid(text),
      (err: unknown) => ErrInvalidCid.is(err) && message.test(err.message),
      text,
    )
  }
})

test('put stores <cid>.onnx and <cid>.json with the model metadata; reads return them', async () => {
  const store = new ModelStore({ dir: await tempDir() })
  const bytes = buildRiskScorer()
  const cid = handCid(bytes)
  const { metadata, created } = await store.put(bytes)
  assert.equal(created, true)
  assert.ok(metadata.costMicros >= 1, `costMicros ${metadata.costMicros}`)
  assert.deepEqual(metadata, {
    cid,
    size: bytes.length,
    irVersion: 7,
    opset: 13,
    inputs: [{ name: 'features', type: 'float32', shape: ['batch', 4] }],
    outputs: [{ name: 'score', type: 'float32', shape: ['batch', 1] }],
    batchable: true,
    costMicros: metadata.costMicros,
    parameters: 4 * 16 + 16 + 16 + 1,
    ops: ['Add', 'MatMul', 'Relu', 'Sigmoid'],
  })
  assert.deepEqual((await readdir(store.dir)).sort(), [`${cid}.json`, `${cid}.onnx`])
  assert.deepEqual(new Uint8Array(await readFile(join(store.dir, `${cid}.onnx`))), bytes)
  assert.deepEqual(JSON.parse(await readFile(join(store.dir, `${cid}.json`), 'utf8')), metadata)
  assert.deepEqual(await store.metadata(cid), metadata)
  assert.deepEqual(new Uint8Array((await store.bytes(cid))!), bytes)
  assert.equal(await store.path(cid), join(store.dir, `${cid}.onnx`))
})

test('put is idempotent: the second put reports created: false and writes nothing', async () => {
  const store = new ModelStore({ dir: await tempDir() })
  const first = await store.put(buildRiskAdjuster())
  const before = await readdir(store.dir)
  const second = await store.put(buildRiskAdjuster())
  assert.equal(second.created, false)
  assert.deepEqual(second.metadata, first.metadata)
  assert.deepEqual(await readdir(store.dir), before)
})

test('concurrent puts of one model in one store validate it once: exactly one reports created', async () => {
  const store = new ModelStore({ dir: await tempDir() })
  const results = await Promise.all([1, 2, 3].map(() => store.put(buildFailsAtRuntime())))
  assert.deepEqual(results.map((r) => r.created).sort(), [false, false, true])
  for (const r of results) assert.deepEqual(r.metadata, results[0]!.metadata)
  assert.equal(results[0]!.metadata.batchable, false)
  assert.deepEqual(results[0]!.metadata.ops, ['Gather'])
  assert.equal((await readdir(store.dir)).length, 2)
})

test('uploads beyond maxConcurrentProbes wait their turn and are all stored', async () => {
  const store = new ModelStore({ dir: await tempDir(), maxConcurrentProbes: 1 })
  const models = [buildRiskScorer(), buildRiskAdjuster(), buildTypesEcho(), buildFailsAtRuntime()]
  const results = await Promise.all(models.map((m) => store.put(m)))
  assert.deepEqual(
    results.map((r) => r.created),
    [true, true, true, true],
  )
  assert.deepEqual(
    results.map((r) => r.metadata.cid),
    models.map(handCid),
  )
  assert.equal((await store.list()).length, 4)
})

test("two stores sharing a directory: concurrent puts agree on one metadata; each sees the other's models", async () => {
  const dir = await tempDir()
  const a = new ModelStore({ dir })
  const b = new ModelStore({ dir })
  const bytes = buildTypesEcho()
  const [ra, rb] = await Promise.all([a.put(bytes), b.put(bytes)])
  assert.equal(Number(ra.created) + Number(rb.created), 1, 'exactly one store creates the files')
  assert.deepEqual(ra.metadata, rb.metadata)
  assert.deepEqual(
    (await readdir(dir)).filter((f) => f.startsWith('.tmp')),
    [],
    'temp files are removed',
  )
  const { metadata } = await a.put(buildRiskScorer())
  assert.deepEqual(await b.metadata(metadata.cid), metadata)
  assert.deepEqual(
    (await b.list()).map((m) => m.cid),
    [ra.metadata.cid, metadata.cid].sort(),
  )
})

test('list returns every stored model ordered by CID and ignores other files', async () => {
  const store = new ModelStore({ dir: await tempDir() })
  assert.deepEqual(await store.list(), [])
  const stored = [await store.put(buildRiskScorer()), await store.put(buildTypesEcho()), await store.put(buildFailsAtRuntime())]
  await writeFile(join(store.dir, 'notes.txt'), 'not a model')
  await writeFile(join(store.dir, '.tmp-bafkreiabc-1-ff.json'), '{')
  const listed = await store.list()
  assert.deepEqual(
    listed.map((m) => m.cid),
    stored.map((r) => r.metadata.cid).sort(),
  )
  assert.deepEqual(
    listed.find((m) => m.cid === stored[1]!.metadata.cid),
    stored[1]!.metadata,
  )
})

test('unknown CIDs read as undefined without peers; malformed CIDs are refused', async () => {
  const store = new ModelStore({ dir: await tempDir() })
  const missing = handCid(new TextEncoder().encode('no such model'))
  assert.equal(await store.metadata(missing), undefined)
  assert.equal(await store.bytes(missing), undefined)
  assert.equal(await store.path(missing), undefined)
  await assert.rejects(store.metadata('../secrets'), (err: unknown) => ErrInvalidCid.is(err))
  await assert.rejects(store.bytes('bafkrei'), (err: unknown) => ErrInvalidCid.is(err))
})

test('a lone .onnx (a writer stopped between its two files) is validated again and completed on read', async () => {
  const store = new ModelStore({ dir: await tempDir() })
  const bytes = buildRiskAdjuster()
  const cid = handCid(bytes)
  await writeFile(join(store.dir, `${cid}.onnx`), bytes)
  const metadata = await store.metadata(cid)
  assert.equal(metadata?.cid, cid)
  assert.deepEqual(metadata?.outputs, [{ name: 'adjusted', type: 'float32', shape: ['batch', 1] }])
  assert.deepEqual((await readdir(store.dir)).sort(), [`${cid}.json`, `${cid}.onnx`])
})

test('put refuses empty and oversized uploads', async () => {
  const store = new ModelStore({ dir: await tempDir(), maxModelBytes: 500 })
  await assertRefused(store, new Uint8Array(0), ErrModelEmpty, /^model is empty: the upload has 0 bytes/)
  await assertRefused(store, buildRiskScorer(), ErrModelTooLarge, /the model has 712 bytes, over this node's limit of 500 bytes/)
})

test('put refuses bytes that are not ONNX', async () => {
  const store = new ModelStore({ dir: await tempDir() })
  await assertRefused(store, new TextEncoder().encode('{"not": "onnx"}'), ErrNotOnnx, /^not an ONNX model: .*\(is this an \.onnx file\?\)$/)
  const scorer = buildRiskScorer()
  await assertRefused(store, scorer.subarray(0, scorer.length - 9), ErrNotOnnx, /^not an ONNX model: /)
  await assertRefused(store, new Uint8Array([0x08, 0x07]), ErrNotOnnx, /graph \(field 7\) are required/)
})

test('put refuses opsets and IR versions outside what onnxruntime 1.30 runs', async () => {
  const store = new ModelStore({ dir: await tempDir() })
  await assertRefused(store, tiny({ opset: 30 }), ErrUnsupportedOpset, /opset 30 is outside 7–26/)
  await assertRefused(store, tiny({ opset: 5 }), ErrUnsupportedOpset, /opset 5 is outside 7–26/)
  await assertRefused(store, tiny({ irVersion: 14 }), ErrUnsupportedIrVersion, /IR version 14 is outside 3–13/)
  // The edges are accepted.
  assert.equal((await store.put(tiny({ opset: 26, irVersion: 13 }))).metadata.opset, 26)
  assert.equal((await store.put(tiny({ opset: 7, irVersion: 3 }))).metadata.opset, 7)
})

test('put refuses inputs and outputs that are not named tensors of a supported type', async () => {
  const store = new ModelStore({ dir: await tempDir() })
  const sequenceInput = handWritten({ sequenceType: { elemType: floatTensor } }, floatTensor)
  await assertRefused(store, sequenceInput, ErrNotATensor, /input "x" is a sequence; only tensors/)
  const mapOutput = handWritten(floatTensor, { mapType: { keyType: 8, valueType: floatTensor } })
  await assertRefused(store, mapOutput, ErrNotATensor, /output "y" is a map/)
  const complexOutput = handWritten(floatTensor, { tensorType: { elemType: 14 } })
  await assertRefused(store, complexOutput, ErrUnsupportedElementType, /output "y" is complex64 \(type 14\); supported: float32, float64/)
  await assertRefused(store, tiny({ type: 'float16' }), ErrUnsupportedElementType, /input "x" is float16; supported: .*string, bool$/)
  await assertRefused(store, tiny({ type: 'bfloat16' }), ErrUnsupportedElementType, /input "x" is bfloat16/)

  const unnamedInput = new OnnxBuilder({ opset: 13 })
    .input('', 'float32', [1])
    .output('y', 'float32', [1])
    .node('Identity', [''], ['y'])
    .build()
  await assertRefused(store, unnamedInput, ErrUnnamedValue, /graph input #1 has an empty name/)
  const unnamedOutput = new OnnxBuilder({ opset: 13 })
    .input('x', 'float32', [1])
    .output('y', 'float32', [1])
    .output('', 'float32', [1])
    .node('Identity', ['x'], ['y'])
    .build()
  await assertRefused(store, unnamedOutput, ErrUnnamedValue, /graph output #2 has an empty name/)
  const duplicate = new OnnxBuilder({ opset: 13 })
    .input('x', 'float32', [1])
    .output('y', 'float32', [1])
    .output('y', 'float32', [1])
    .node('Identity', ['x'], ['y'])
    .build()
  await assertRefused(store, duplicate, ErrDuplicateName, /"y" is used by more than one graph input or output/)
})

test('put refuses a model without outputs', async () => {
  const store = new ModelStore({ dir: await tempDir() })
  const noOutputs = new OnnxBuilder({ opset: 13 }).input('x', 'float32', [1]).node('Relu', ['x'], ['y']).build()
  await assertRefused(store, noOutputs, ErrNoOutputs, /^model has no outputs: the graph declares no outputs/)
})

test("put refuses a model onnxruntime cannot load, with onnxruntime's reason", async () => {
  const store = new ModelStore({ dir: await tempDir() })
  await assertRefused(
    store,
    tiny({ op: 'FrobnicateTensor' }),
    ErrModelLoad,
    /^onnxruntime cannot load the model: .*No Op registered for FrobnicateTensor/,
  )
  const dangling = new OnnxBuilder({ opset: 13 }).input('x', 'float32', [1]).output('y', 'float32', [1]).node('Relu', ['x'], ['z']).build()
  await assertRefused(store, dangling, ErrModelLoad, /Graph output \(y\) does not exist in the graph/)
})

test("put refuses a model whose probe inference fails, with onnxruntime's message", async () => {
  const store = new ModelStore({ dir: await tempDir() })
  // Reshape [2] → [3] loads fine and fails when run.
  const m = new OnnxBuilder({ opset: 13 }).input('x', 'float32', [2]).output('y', 'float32', [3])
  m.initializer('shape', [1], [3n], 'int64').node('Reshape', ['x', 'shape'], ['y'])
  await assertRefused(
    store,
    m.build(),
    ErrProbeFailed,
    /^probe inference failed: running the model on zeros failed: .*The input tensor cannot be reshaped to the requested shape\. Input shape:\{2\}, requested shape:\{3\}$/,
  )
})

test('put refuses a model whose probe takes longer than probeTimeoutMs', async () => {
  const store = new ModelStore({ dir: await tempDir(), probeTimeoutMs: 300 })
  await assertRefused(store, buildSlow(), ErrProbeTimeout, /took longer than 300 ms/)
})

test('costMicros reflects the work: slow.onnx measures hundreds of ms, the risk scorer well under one', async () => {
  const store = new ModelStore({ dir: await tempDir() })
  const slow = (await store.put(buildSlow())).metadata
  const scorer = (await store.put(buildRiskScorer())).metadata
  assert.equal(slow.batchable, false)
  assert.deepEqual(slow.inputs, [{ name: 'x', type: 'float32', shape: [1, 512] }])
  assert.ok(slow.costMicros >= 300_000, `slow.onnx costMicros ${slow.costMicros}`)
  assert.ok(scorer.costMicros < 50_000, `risk-scorer costMicros ${scorer.costMicros}`)
})
