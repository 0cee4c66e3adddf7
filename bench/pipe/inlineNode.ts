import { runNodeProcess } from '../../app/node.ts'
import { InlineInferenceModule } from './inlineInference.ts'

/** A pipe node running the inline baseline (bench/pipe/inlineInference.ts); flags as app/main.ts's. */
await runNodeProcess(process.argv.slice(2), { inferenceModule: InlineInferenceModule })
