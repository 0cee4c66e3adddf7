/** Minimal leveled logger writing one line per entry to stderr (the localnet sends it to a file). */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error'

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 }

export interface Logger {
  debug(msg: string): void
  info(msg: string): void
  warn(msg: string): void
  error(msg: string): void
  child(module: string): Logger
}

/** @example const log = createLogger('info'); log.child('evm').info('block 5 committed') */
export function createLogger(level: LogLevel = 'info', module = 'pipe'): Logger {
  const min = ORDER[level]
  const emit = (lvl: LogLevel, msg: string): void => {
    if (ORDER[lvl] < min) return
    // The wall clock here only stamps log lines; it never reaches state.
    process.stderr.write(`${new Date().toISOString()} ${lvl.toUpperCase().padEnd(5)} [${module}] ${msg}\n`)
  }
  return {
    debug: (m) => emit('debug', m),
    info: (m) => emit('info', m),
    warn: (m) => emit('warn', m),
    error: (m) => emit('error', m),
    child: (name) => createLogger(level, name),
  }
}

/** A logger that drops everything (unit tests). */
export const silentLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  child: () => silentLogger,
}
