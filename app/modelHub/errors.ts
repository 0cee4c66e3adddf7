import { register } from '../errors.ts'

/**
 * Errors of the model hub (store, REST API, upload validation, artefacts): codespace `modelhub`. Each
 * refusal of a model has its own code so clients can tell them apart without parsing messages;
 * the REST server maps them to HTTP statuses in one table (modelHubServer.ts). The chain meets
 * one of them: ErrInvalidCid, for a model CID in a registration or a request that is not one.
 */
const CODESPACE = 'modelhub'

export const ErrModelEmpty = register(CODESPACE, 1, 'model is empty')
export const ErrModelTooLarge = register(CODESPACE, 2, 'model is too large')
export const ErrNotOnnx = register(CODESPACE, 3, 'not an ONNX model')
export const ErrUnsupportedOpset = register(CODESPACE, 4, 'unsupported ONNX opset')
export const ErrUnsupportedIrVersion = register(CODESPACE, 5, 'unsupported ONNX IR version')
export const ErrNotATensor = register(CODESPACE, 6, 'model input or output is not a tensor')
export const ErrUnsupportedElementType = register(CODESPACE, 7, 'unsupported tensor element type')
export const ErrUnnamedValue = register(CODESPACE, 8, 'model input or output has no name')
export const ErrNoOutputs = register(CODESPACE, 9, 'model has no outputs')
export const ErrModelLoad = register(CODESPACE, 10, 'onnxruntime cannot load the model')
export const ErrProbeFailed = register(CODESPACE, 11, 'probe inference failed')
export const ErrProbeTimeout = register(CODESPACE, 12, 'probe inference timed out')
export const ErrInvalidCid = register(CODESPACE, 13, 'invalid model CID')
export const ErrModelNotFound = register(CODESPACE, 14, 'model not found')
export const ErrDuplicateName = register(CODESPACE, 15, 'duplicate input or output name')
export const ErrArtefactEmpty = register(CODESPACE, 16, 'artefact is empty')
export const ErrArtefactTooLarge = register(CODESPACE, 17, 'artefact is too large')
export const ErrArtefactNotFound = register(CODESPACE, 18, 'artefact not found')
export const ErrRouteNotFound = register(CODESPACE, 20, 'no such route')
export const ErrMethodNotAllowed = register(CODESPACE, 21, 'method not allowed')
