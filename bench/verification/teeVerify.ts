/**
 * Verification time of a TEE result in ProcessProposal (issue 12 target: ≤ 0.2 ms per result),
 * measured on the node's own ResultVerification over a real registry (LevelDB): an in-process
 * app whose genesis pins a dev root, one TEE node registered with a simulated enclave's
 * attestation, and `--results` distinct results it signed, each checked against its request.
 *
 *   node --import tsx bench/verification/teeVerify.ts [--results 2000] [--rounds 5]
 */
import { parseArgs } from 'node:util'
import secp256k1 from 'secp256k1'
import { defaultAppGenesis } from '../../app/genesis.ts'
import { modelCid } from '../../app/modelHub/cid.ts'
import { encodeModelOutput } from '../../app/modules/inference/precompile/abiEncoder.ts'
import { inferenceRequest } from '../../app/modules/inference/types/request.ts'
import { resultOf } from '../../app/modules/inference/types/result.ts'
import { VerificationMode } from '../../app/modules/inference/types/verificationMode.ts'
import {
  createDevRootCa,
  DEV_ENCLAVE_IMAGE,
  imagePcrs,
  SimulatedEnclave,
} from '../../app/modules/inference/verification/simulatedEnclave.ts'
import { signTeeResult } from '../../app/modules/inference/verification/teeSignature.ts'
import { devEthWallet, signTx } from '../../test/support/cosmos.ts'
import { row } from '../../test/support/inference.ts'
import { GENESIS_TIME, openInProcessApp } from '../../test/support/inProcessApp.ts'
import { describeMachine, revision } from '../machine.ts'

const { values: flags } = parseArgs({ options: { results: { type: 'string', default: '2000' }, rounds: { type: 'string', default: '5' } } })
const RESULTS = Number(flags.results)
const ROUNDS = Number(flags.rounds)
const TEE = VerificationMode.VERIFICATION_MODE_TEE

const validity = {
  notBefore: new Date(Number(GENESIS_TIME.seconds - 86_400n) * 1000),
  notAfter: new Date(Number(GENESIS_TIME.seconds + 86_400n) * 1000),
}
const root = await createDevRootCa(validity)
const enclave = await SimulatedEnclave.start(root, { image: DEV_ENCLAVE_IMAGE, validity })
const a = await openInProcessApp({
  appGenesis: {
    ...defaultAppGenesis(),
    inference: {
      tee: {
        root_certificate: Buffer.from(root.der).toString('base64'),
        allowed_pcrs: [{ '0': Buffer.from(imagePcrs(DEV_ENCLAVE_IMAGE).get(0)!).toString('hex') }],
      },
    },
  },
})
try {
  const priv = new Uint8Array(32).fill(42)
  const nodeKey = secp256k1.publicKeyCreate(priv, true)
  const w0 = await devEthWallet(0)
  const { toBech32Address } = await import('../../app/modules/auth/address.ts')
  const { Address, hexToBytes } = await import('@ethereumjs/util')
  const { devKeys } = await import('../../test/support/inProcessApp.ts')
  const operator = toBech32Address(new Address(hexToBytes(devKeys[0]!.address as `0x${string}`)))
  const attestation = await enclave.attest({ publicKey: nodeKey, timestampMs: Number(GENESIS_TIME.seconds) * 1000 })
  await a.block([])
  const reg = await a.block([
    await signTx(
      w0,
      [{ typeUrl: '/pipe.inference.v1.MsgRegisterInferenceNode', value: { operator, nodeKey, modes: [TEE], teeAttestation: attestation } }],
      {
        accountNumber: 0n,
        sequence: 0,
      },
    ),
  ])
  if (reg.codes[0] !== 0) throw new Error(`registration failed: ${reg.logs.join('; ')}`)
  const cid = await modelCid(new TextEncoder().encode('bench model'))
  const pairs = Array.from({ length: RESULTS }, (_, i) => {
    const request = inferenceRequest(TEE, cid, { numbers: [row('x', [BigInt(i), 2n, 3n, 4n])], strings: [] })
    const output = encodeModelOutput({
      numbers: [{ name: 'y', values: [{ value: BigInt(i), decimals: 3n }], shape: [1, 1] }],
      strings: [],
      jsons: [],
      is_simulation_result: false,
    })
    const r = resultOf(request, output, 1000n)
    return { request, result: { ...r, artefact: signTeeResult(r, priv) } }
  })
  const perResult: number[] = []
  for (let round = 0; round <= ROUNDS; round++) {
    const t = performance.now()
    for (const { result, request } of pairs) {
      const problem = await a.app.inference.verification.check(result, request)
      if (problem) throw new Error(problem.message)
    }
    const ms = (performance.now() - t) / RESULTS
    if (round > 0) perResult.push(ms) // round 0 warms up
    console.error(`round ${round}${round === 0 ? ' (warm-up)' : ''}: ${(ms * 1000).toFixed(1)} µs per result`)
  }
  perResult.sort((x, y) => x - y)
  const median = perResult[perResult.length >> 1]!
  console.log(`${describeMachine()}; ${revision()}.`)
  console.log(`\n| measurement | result | target | met |\n|---|---:|---|---|`)
  console.log(
    `| TEE result check in ProcessProposal (ResultVerification.check: artefact decode, registry lookup, attestation age, secp256k1 verify), median of ${ROUNDS} rounds of ${RESULTS} results | **${(median * 1000).toFixed(1)} µs** | ≤ 200 µs | ${median <= 0.2 ? 'yes' : '**no**'} |`,
  )
} finally {
  await a.close()
}
