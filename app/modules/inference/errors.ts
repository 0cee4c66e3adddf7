import { register } from '../../errors.ts'

/**
 * The inference module's errors, codespace `inference`: the precompile, the inference mempool
 * and block processing (50 and up), the registry (70 and up). The model hub (`modelhub`) and
 * the executor (`executor`) have codespaces of their own.
 */
const CODESPACE = 'inference'

/** A model CID in a request or a registration that is not one (the hub's ErrInvalidCid, in the chain's codespace). */
export const ErrInvalidModelCid = register(CODESPACE, 13, 'invalid model CID')

export const ErrInvalidRequest = register(CODESPACE, 50, 'invalid inference request')
export const ErrInvalidInput = register(CODESPACE, 51, 'invalid model input')
export const ErrInvalidOutput = register(CODESPACE, 52, 'model output cannot be returned')
export const ErrUnknownModel = register(CODESPACE, 53, 'unknown model CID')
export const ErrModeUnavailable = register(CODESPACE, 54, 'verification mode not available')
export const ErrResultMissing = register(CODESPACE, 55, 'no inference result recorded in this block')
export const ErrTooManyRequests = register(CODESPACE, 56, 'too many inference requests in one transaction')
export const ErrRequestsUnstable = register(CODESPACE, 57, 'inference requests did not settle')
export const ErrInferenceFailed = register(CODESPACE, 58, 'inference failed')
export const ErrMempoolFull = register(CODESPACE, 59, 'too many transactions waiting for inference')
export const ErrResultsTx = register(CODESPACE, 60, 'invalid inference results transaction')
export const ErrInjectedTx = register(CODESPACE, 61, 'inference results are injected by the block proposer only')

/** Registry errors (MsgRegisterModel, MsgRegisterInferenceNode): 70 and up. */
export const ErrModelNotInHub = register(CODESPACE, 70, 'model is not in the model hub')
export const ErrModelRegistered = register(CODESPACE, 71, 'model is already registered')
export const ErrInvalidModes = register(CODESPACE, 72, 'invalid verification modes')
export const ErrInvalidVerifyingKey = register(CODESPACE, 73, 'invalid ZK verifying key hash')
export const ErrInvalidArtefact = register(CODESPACE, 74, 'invalid artefact')
export const ErrNodeRegistered = register(CODESPACE, 75, 'inference node is already registered')
export const ErrInvalidNodeKey = register(CODESPACE, 76, 'malformed inference node key')
export const ErrInvalidAttestation = register(CODESPACE, 77, 'invalid TEE attestation')

/** Verification errors (ZKML proofs, and the verification layer's checks): 80 and up. */
export const ErrZkProof = register(CODESPACE, 80, 'invalid ZK proof')
export const ErrZkSetup = register(CODESPACE, 81, 'model has no usable ZK circuit')
export const ErrProvingFailed = register(CODESPACE, 82, 'proving failed')

/** TEE attestation documents (verification/nitroAttestation.ts): 90 and up; a malformed one is ErrInvalidAttestation. */
export const ErrAttestationSignature = register(CODESPACE, 90, 'attestation signature does not verify')
export const ErrAttestationRoot = register(CODESPACE, 91, 'attestation does not chain to the pinned root certificate')
export const ErrAttestationExpired = register(CODESPACE, 92, 'attestation not valid at this block time')
export const ErrAttestationPcrs = register(CODESPACE, 93, 'attestation PCRs are not allowed')
export const ErrAttestationDebug = register(CODESPACE, 94, 'debug-mode attestation refused')
export const ErrAttestationKeyMismatch = register(CODESPACE, 95, 'attestation public key is not the node key')
/** A TEE result whose signature is malformed, forged, or by a node that may not sign it. */
export const ErrTeeResult = register(CODESPACE, 96, 'invalid TEE result')
/** A VANILLA result whose output differs from this validator's own computation of the same request. */
export const ErrVanillaMismatch = register(CODESPACE, 97, "VANILLA output differs from this validator's")
