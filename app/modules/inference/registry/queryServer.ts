import {
  type PageRequest,
  QueryInferenceNodeRequest,
  QueryInferenceNodeResponse,
  QueryInferenceNodesRequest,
  QueryInferenceNodesResponse,
  QueryModelRequest,
  QueryModelResponse,
  QueryModelsRequest,
  QueryModelsResponse,
} from '../../../proto/pipe/inference/v1/query.ts'
import { type QueryMethod, queryMethod } from '../../../queryContext.ts'
import { asInvalidArgument, invalidArgument, notFound } from '../../../queryError.ts'
import { chainModelCid } from '../types/modelCid.ts'
import type { RegistryKeeper } from './keeper.ts'
import { checkNodeKey } from './rules.ts'

const DEFAULT_LIMIT = 100
const MAX_LIMIT = 1000

/**
 * The inference module's queries (`/pipe.inference.v1.Query/…`): registered models and
 * inference nodes. A registration made after the queried height is not there yet.
 */
export function registryQueries(registry: RegistryKeeper): QueryMethod[] {
  return [
    queryMethod('/pipe.inference.v1.Query/Model', QueryModelRequest, QueryModelResponse, async (req, ctx) => {
      const cid = asInvalidArgument(() => chainModelCid(req.cid))
      const model = await registry.committedModel(cid)
      if (!model || model.registeredHeight > ctx.height) throw notFound(`model ${cid} is not registered`)
      return { model }
    }),
    queryMethod('/pipe.inference.v1.Query/Models', QueryModelsRequest, QueryModelsResponse, async (req, ctx) => {
      const page = await registry.models(pageKey(req.pagination), limit(req.pagination))
      return {
        models: page.items.filter((m) => m.registeredHeight <= ctx.height),
        pagination: { nextKey: page.nextKey ?? new Uint8Array(0) },
      }
    }),
    queryMethod('/pipe.inference.v1.Query/InferenceNode', QueryInferenceNodeRequest, QueryInferenceNodeResponse, async (req, ctx) => {
      asInvalidArgument(() => checkNodeKey(req.nodeKey))
      const node = await registry.committedNode(req.nodeKey)
      if (!node || node.registeredHeight > ctx.height)
        throw notFound(`inference node ${Buffer.from(req.nodeKey).toString('hex')} is not registered`)
      return { node }
    }),
    queryMethod('/pipe.inference.v1.Query/InferenceNodes', QueryInferenceNodesRequest, QueryInferenceNodesResponse, async (req, ctx) => {
      const page = await registry.nodes(pageKey(req.pagination), limit(req.pagination))
      return {
        nodes: page.items.filter((n) => n.registeredHeight <= ctx.height),
        pagination: { nextKey: page.nextKey ?? new Uint8Array(0) },
      }
    }),
  ]
}

function pageKey(p: PageRequest | undefined): Uint8Array | undefined {
  return p && p.key.length > 0 ? p.key : undefined
}

function limit(p: PageRequest | undefined): number {
  const n = Number(p?.limit ?? 0n)
  if (n === 0) return DEFAULT_LIMIT
  if (n > MAX_LIMIT) throw invalidArgument(`limit ${n} is above the maximum, ${MAX_LIMIT}`)
  return n
}
