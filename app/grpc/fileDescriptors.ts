import type { PackageDefinition } from '@grpc/proto-loader'
import descriptor from 'protobufjs/ext/descriptor/index.js'

type File = descriptor.IFileDescriptorProto
type Message = descriptor.IDescriptorProto

/**
 * proto-loader's file descriptors made self-contained for reflection clients. proto-loader
 * (protobufjs) writes one file per package with type names relative to it
 * (`base.abci.v1beta1.GasInfo`) and no imports; @grpc/reflection sends the files a symbol
 * needs, but a client that builds descriptors the way protoc does (grpcurl, Go's protodesc)
 * resolves a name only within a file and its imports, and fails on the first cross-package
 * type (grpc-node issue 2595). Here every type name becomes fully qualified
 * (`.cosmos.base.abci.v1beta1.GasInfo`), every file imports the files whose types it uses, and
 * map entries get the names protoc gives them (`StatusesEntry`; protobufjs writes `Statuses`,
 * which Go refuses).
 * @returns the same package definition, each type's `fileDescriptorProtos` replaced
 */
export function selfContainedDescriptors(pkg: PackageDefinition): PackageDefinition {
  const files = new Map<string, File>()
  for (const def of Object.values(pkg))
    for (const bin of (def as { fileDescriptorProtos?: Buffer[] }).fileDescriptorProtos ?? []) {
      const file = descriptor.FileDescriptorProto.decode(bin) as unknown as File
      if (file.name && !files.has(file.name)) files.set(file.name, file)
    }
  for (const f of files.values()) nameMapEntries(f.messageType)
  // Every message and enum by full name (no leading dot) → the file that declares it.
  const symbols = new Map<string, string>()
  const indexMessages = (scope: string, messages: Message[] | undefined, file: string): void => {
    for (const m of messages ?? []) {
      const name = `${scope}${m.name}`
      symbols.set(name, file)
      for (const e of m.enumType ?? []) symbols.set(`${name}.${e.name}`, file)
      indexMessages(`${name}.`, m.nestedType, file)
    }
  }
  for (const [name, f] of files) {
    const scope = f.package ? `${f.package}.` : ''
    indexMessages(scope, f.messageType, name)
    for (const e of f.enumType ?? []) symbols.set(`${scope}${e.name}`, name)
  }
  /** Resolves `ref` as protoc does: from the innermost scope outwards. */
  const resolve = (ref: string, scope: string, file: string, deps: Set<string>): string => {
    if (ref.startsWith('.')) return ref
    const parts = scope.split('.').filter(Boolean)
    for (let i = parts.length; i >= 0; i--) {
      const name = [...parts.slice(0, i), ref].join('.')
      const declaredIn = symbols.get(name)
      if (declaredIn === undefined) continue
      if (declaredIn !== file) deps.add(declaredIn)
      return `.${name}`
    }
    throw new Error(`proto: ${ref} (used in ${scope || 'the root'} of ${file}) is declared in no loaded file`)
  }
  const fixed: Uint8Array[] = []
  for (const [name, f] of files) {
    const deps = new Set<string>()
    const pkgScope = f.package ?? ''
    const fixMessages = (scope: string, messages: Message[] | undefined): void => {
      for (const m of messages ?? []) {
        const inner = scope ? `${scope}.${m.name}` : (m.name ?? '')
        for (const field of m.field ?? []) if (field.typeName) field.typeName = resolve(field.typeName, inner, name, deps)
        fixMessages(inner, m.nestedType)
      }
    }
    fixMessages(pkgScope, f.messageType)
    for (const s of f.service ?? [])
      for (const m of s.method ?? []) {
        if (m.inputType) m.inputType = resolve(m.inputType, pkgScope, name, deps)
        if (m.outputType) m.outputType = resolve(m.outputType, pkgScope, name, deps)
      }
    f.dependency = [...deps].sort()
    fixed.push(descriptor.FileDescriptorProto.encode(f as never).finish())
  }
  const buffers = fixed.map((b) => Buffer.from(b))
  return Object.fromEntries(
    Object.entries(pkg).map(([k, def]) => [k, 'fileDescriptorProtos' in def ? { ...def, fileDescriptorProtos: buffers } : def]),
  ) as PackageDefinition
}

/** Renames each map field's entry type as protoc names it: the field's name in CamelCase + `Entry`. */
function nameMapEntries(messages: Message[] | undefined): void {
  for (const m of messages ?? []) {
    for (const entry of m.nestedType ?? []) {
      if (!entry.options?.mapEntry) continue
      const field = m.field?.find((f) => f.typeName?.split('.').pop() === entry.name)
      if (!field?.name) continue
      const name = `${field.name.replace(/(^|_)([a-z])/g, (_, _s, c: string) => c.toUpperCase())}Entry`
      field.typeName = `${field.typeName!.slice(0, field.typeName!.length - entry.name!.length)}${name}`
      entry.name = name
    }
    nameMapEntries(m.nestedType)
  }
}
