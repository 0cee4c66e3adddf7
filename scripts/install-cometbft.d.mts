// Types for install-cometbft.mjs, which stays plain JavaScript because it is the npm postinstall hook.

/** The one place the CometBFT version is pinned, e.g. "0.38.25". */
export declare const COMETBFT_VERSION: string
/** The Go package `go install` builds. */
export declare const COMETBFT_PACKAGE: string
/** Oldest Go accepted, as [major, minor]. */
export declare const MIN_GO: [number, number]
/** <project>: the folder above scripts/. */
export declare const PROJECT_ROOT: string
/** <project>/.bin */
export declare const COMETBFT_BIN_DIR: string
/** <project>/.bin/cometbft (may not exist yet). */
export declare const COMETBFT_BINARY: string
/** `go version` as [major, minor], undefined when go is not on PATH ([Infinity, 0] for an unparseable one). */
export declare function goVersion(): [number, number] | undefined
/** The version the installed binary reports, or undefined when it is missing or broken. */
export declare function installedCometbftVersion(): string | undefined
/** Ensures the pinned binary is installed; resolves to the exit code to use. */
export declare function installCometbft(opts: { strict: boolean }): Promise<number>
