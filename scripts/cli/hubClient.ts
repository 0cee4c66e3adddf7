import { modelCid } from '../../app/modelHub/cid.ts'
import type { HubErrorBody } from '../../app/modelHub/modelHubServer.ts'
import type { ModelMetadata } from '../../app/modelHub/modelMetadata.ts'
import { describeFetchError } from '../../app/modelHub/modelPeerFetch.ts'

/** The node could not be reached at all (nothing listening, DNS, timeout). */
export class HubUnreachableError extends Error {
  constructor(
    readonly url: string,
    reason: string,
  ) {
    super(`cannot reach the PIPE node at ${url} (${reason}); is it running? Pick another node with --node <url>`)
  }
}

/** The node answered with an error: its code and message, as the REST API sent them. */
export class HubRequestError extends Error {
  constructor(
    readonly status: number,
    readonly code: number | undefined,
    readonly codespace: string | undefined,
    message: string,
  ) {
    super(message)
  }
}

/**
 * A client of the model hub REST API (`/v1/models` and `/v1/artefacts` on a node's REST port,
 * 1317 by default).
 * @example const { metadata } = await new HubClient('http://127.0.0.1:1317').upload(bytes)
 */
export class HubClient {
  readonly baseUrl: string

  constructor(baseUrl: string) {
    this.baseUrl = baseUrl.replace(/\/+$/u, '')
  }

  /** Uploads a model; `created` is false when the node already had it. */
  async upload(bytes: Uint8Array): Promise<{ metadata: ModelMetadata; created: boolean }> {
    const res = await this.request('PUT', '/v1/models', bytes)
    return { metadata: (await this.json(res)) as ModelMetadata, created: res.status === 201 }
  }

  async info(cid: string): Promise<ModelMetadata> {
    return (await this.json(await this.request('GET', `/v1/models/${encodeURIComponent(cid)}`))) as ModelMetadata
  }

  async list(): Promise<ModelMetadata[]> {
    return ((await this.json(await this.request('GET', '/v1/models'))) as { models: ModelMetadata[] }).models
  }

  /** A model's .onnx bytes (`GET /v1/models/{cid}/raw`), checked against its CID. */
  async modelBytes(cid: string): Promise<Uint8Array> {
    return this.verifiedBytes(cid, await this.request('GET', `/v1/models/${encodeURIComponent(cid)}/raw`), 'model')
  }

  /** Uploads an artefact (any bytes); `created` is false when the node already had it. */
  async putArtefact(bytes: Uint8Array): Promise<{ cid: string; size: number; created: boolean }> {
    const res = await this.request('PUT', '/v1/artefacts', bytes)
    const { cid, size } = (await this.json(res)) as { cid: string; size: number }
    return { cid, size, created: res.status === 201 }
  }

  /** An artefact's bytes (`GET /v1/artefacts/{cid}`), checked against its CID. */
  async artefact(cid: string): Promise<Uint8Array> {
    return this.verifiedBytes(cid, await this.request('GET', `/v1/artefacts/${encodeURIComponent(cid)}`), 'artefact')
  }

  /** The body of a 200 answer, which must hash to `cid` (a node is not trusted with content-addressed bytes). */
  private async verifiedBytes(cid: string, res: Response, what: string): Promise<Uint8Array> {
    if (!res.ok) await this.json(res) // throws the node's error
    const bytes = new Uint8Array(await res.arrayBuffer())
    const actual = await modelCid(bytes)
    if (actual !== cid) {
      throw new HubRequestError(
        res.status,
        undefined,
        undefined,
        `${this.baseUrl} served ${bytes.length} bytes for ${what} ${cid} that hash to ${actual}`,
      )
    }
    return bytes
  }

  private async request(method: string, path: string, body?: Uint8Array): Promise<Response> {
    try {
      return await fetch(`${this.baseUrl}${path}`, {
        method,
        body,
        headers: body ? { 'content-type': 'application/octet-stream' } : {},
      })
    } catch (err) {
      throw new HubUnreachableError(this.baseUrl, describeFetchError(err as Error))
    }
  }

  /** The JSON body of a 2xx answer; a HubRequestError for anything else. */
  private async json(res: Response): Promise<unknown> {
    const text = await res.text()
    let body: unknown
    try {
      body = JSON.parse(text)
    } catch {
      throw new HubRequestError(
        res.status,
        undefined,
        undefined,
        `${this.baseUrl} answered ${res.status} ${res.statusText} with a body that is not JSON; ` +
          'is it the REST address of a PIPE node (port 1317 + 10·i)?',
      )
    }
    if (res.ok) return body
    const error = (body as Partial<HubErrorBody>).error
    if (!error || typeof error.message !== 'string') {
      throw new HubRequestError(
        res.status,
        undefined,
        undefined,
        `${this.baseUrl} answered ${res.status} ${res.statusText}: ${text.slice(0, 200)}`,
      )
    }
    throw new HubRequestError(res.status, error.code, error.codespace, error.message)
  }
}
