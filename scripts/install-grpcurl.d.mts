// Types for install-grpcurl.mjs, which stays plain JavaScript because it is part of the npm postinstall hook.

/** The one place the grpcurl version is pinned, e.g. "1.9.4". */
export declare const GRPCURL_VERSION: string
/** The Go module grpcurl is built from. */
export declare const GRPCURL_MODULE: string
/** <project>/.bin/grpcurl (may not exist yet). */
export declare const GRPCURL_BINARY: string
/** The module version the installed binary was built from, or undefined when it is missing. */
export declare function installedGrpcurlVersion(): string | undefined
/** Ensures the pinned binary is installed; resolves to the exit code to use. */
export declare function installGrpcurl(opts: { strict: boolean }): Promise<number>
