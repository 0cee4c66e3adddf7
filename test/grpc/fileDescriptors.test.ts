/**
 * The descriptors reflection serves (app/grpc/fileDescriptors.ts) are self-contained the way
 * protoc's are: every type name is fully qualified and declared in the file itself or in one it
 * imports, and map entries are named `<Field>Entry`. (grpcurl, which refuses anything else,
 * is run against them in test/integration/grpcurl.test.ts.)
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import descriptor from 'protobufjs/ext/descriptor/index.js'
import { loadDescriptors } from '../../app/grpc/descriptors.ts'
import { selfContainedDescriptors } from '../../app/grpc/fileDescriptors.ts'

type Message = descriptor.IDescriptorProto

function files(): descriptor.IFileDescriptorProto[] {
  const pkg = selfContainedDescriptors(loadDescriptors())
  const byName = new Map<string, descriptor.IFileDescriptorProto>()
  for (const def of Object.values(pkg))
    for (const bin of (def as { fileDescriptorProtos?: Buffer[] }).fileDescriptorProtos ?? []) {
      const f = descriptor.FileDescriptorProto.decode(bin) as unknown as descriptor.IFileDescriptorProto
      byName.set(f.name!, f)
    }
  return [...byName.values()]
}

test('every type name is fully qualified and declared in its file or a file it imports', () => {
  const all = files()
  const declared = new Map<string, string>()
  const index = (scope: string, messages: Message[] | undefined, file: string) => {
    for (const m of messages ?? []) {
      declared.set(`${scope}.${m.name}`, file)
      for (const e of m.enumType ?? []) declared.set(`${scope}.${m.name}.${e.name}`, file)
      index(`${scope}.${m.name}`, m.nestedType, file)
    }
  }
  for (const f of all) {
    index(`.${f.package}`, f.messageType, f.name!)
    for (const e of f.enumType ?? []) declared.set(`.${f.package}.${e.name}`, f.name!)
  }
  const names: [string, string][] = []
  const collect = (messages: Message[] | undefined, file: string) => {
    for (const m of messages ?? []) {
      for (const field of m.field ?? []) if (field.typeName) names.push([field.typeName, file])
      collect(m.nestedType, file)
    }
  }
  for (const f of all) {
    collect(f.messageType, f.name!)
    for (const s of f.service ?? []) for (const m of s.method ?? []) names.push([m.inputType!, f.name!], [m.outputType!, f.name!])
  }
  assert.ok(names.length > 100)
  const imports = new Map(all.map((f) => [f.name!, new Set<string>([f.name!, ...((f.dependency as string[]) ?? [])])]))
  for (const [name, file] of names) {
    assert.ok(name.startsWith('.'), `${name} in ${file} is relative`)
    const home = declared.get(name)
    assert.ok(home, `${name} is declared nowhere`)
    assert.ok(imports.get(file)!.has(home), `${file} uses ${name} from ${home} without importing it`)
  }
})

test('map entries are named <Field>Entry, as protoc names them', () => {
  const health = files().find((f) => f.package === 'grpc.health.v1')!
  const list = health.messageType!.find((m) => m.name === 'HealthListResponse')!
  assert.deepEqual(
    list.nestedType!.map((n) => n.name),
    ['StatusesEntry'],
  )
  assert.equal(list.field![0]!.typeName, '.grpc.health.v1.HealthListResponse.StatusesEntry')
})
