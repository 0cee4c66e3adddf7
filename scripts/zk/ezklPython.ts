/**
 * The project venv's Python with EZKL, as TypeScript sees it. The version constant itself lives
 * in install-ezkl.mjs (the postinstall hook cannot depend on tsx), and is re-exported here.
 */
import { existsSync } from 'node:fs'
import { EZKL_VERSION as PINNED_VERSION, VENV_PYTHON } from '../install-ezkl.mjs'
import { ZkSetupError } from './zkSetupError.ts'

/** The EZKL version the ZK setup runs, e.g. "21.0.0" (the same as @ezkljs/engine's). */
export const EZKL_VERSION: string = PINNED_VERSION

/**
 * Absolute path of `<project>/.venv/bin/python`.
 * @throws ZkSetupError (`ezklMissing`) when the venv is missing, with the command that makes it.
 */
export function ezklPython(): string {
  if (!existsSync(VENV_PYTHON)) {
    throw new ZkSetupError(
      'ezklMissing',
      `EZKL ${EZKL_VERSION} is not installed (expected the venv interpreter ${VENV_PYTHON}). ` +
        'Run `npm install` (or `node scripts/install-ezkl.mjs --strict`); it needs python3 >= 3.8 with venv.',
    )
  }
  return VENV_PYTHON
}
