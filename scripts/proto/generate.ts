/**
 * Regenerates the TypeScript codecs of PIPE's own .proto files (proto/pipe/ → app/proto/pipe/)
 * with ts-proto. The other files under proto/ are not generated: proto/cosmos/ and
 * proto/tendermint/ are descriptors the gRPC server serves by reflection (the app encodes those
 * messages with cosmjs-types), and proto/onnx/ is read at run time with protobufjs.
 * Only needed after editing a .proto file; the output is committed. Needs protoc, which
 * `pip install grpcio-tools` provides as `python3 -m grpc_tools.protoc` (or set PROTOC).
 *
 *   node --import tsx scripts/proto/generate.ts
 */
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'

const root = path.resolve(import.meta.dirname, '../..')
const protoDir = path.join(root, 'proto')
const outDir = path.join(root, 'app/proto')
const plugin = path.join(root, 'node_modules/.bin/protoc-gen-ts_proto')

const files = fs
  .readdirSync(protoDir, { recursive: true, encoding: 'utf8' })
  .filter((f) => f.startsWith('pipe/') && f.endsWith('.proto'))
  .sort()
const options = [
  'esModuleInterop=true',
  'forceLong=bigint',
  'importSuffix=.ts',
  'outputServices=false',
  'outputClientImpl=false',
  'useDate=false',
  'env=browser',
  'useOptionals=none',
].join(',')

fs.rmSync(outDir, { recursive: true, force: true })
fs.mkdirSync(outDir, { recursive: true })
const [cmd, ...pre] = process.env.PROTOC ? [process.env.PROTOC] : ['python3', '-m', 'grpc_tools.protoc']
execFileSync(
  cmd,
  [...pre, `--plugin=protoc-gen-ts_proto=${plugin}`, `--ts_proto_out=${outDir}`, `--ts_proto_opt=${options}`, `-I${protoDir}`, ...files],
  {
    cwd: protoDir,
    stdio: 'inherit',
  },
)
console.log(`generated ${files.length} files into ${path.relative(root, outDir)}/`)
