// Types for install-ezkl.mjs, which stays plain JavaScript because it is part of the npm postinstall hook.

/** The one place the EZKL Python package is pinned, e.g. "21.0.0" (equal to @ezkljs/engine's version). */
export declare const EZKL_VERSION: string
/** Oldest Python accepted, as [major, minor]. */
export declare const MIN_PYTHON: [number, number]
/** <project>: the folder above scripts/. */
export declare const PROJECT_ROOT: string
/** <project>/.venv */
export declare const VENV_DIR: string
/** <project>/.venv/bin/python (may not exist yet). */
export declare const VENV_PYTHON: string
/** The ezkl version installed in the venv, or undefined when the venv or the package is missing. */
export declare function installedEzklVersion(): string | undefined
/** Ensures the pinned package is installed; resolves to the exit code to use. */
export declare function installEzkl(opts: { strict: boolean }): Promise<number>
