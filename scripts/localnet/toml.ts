/**
 * Line-based editing of CometBFT's config.toml. CometBFT writes a commented template; a
 * parse-and-reserialise would drop every comment, so keys are replaced in place instead.
 * Handles what that template contains: `[section]` headers and one-line `key = value` pairs.
 */

export type TomlValue = string | number | boolean | string[]

/** A TOML literal for a value; strings are basic strings (JSON escaping is valid TOML). */
export function tomlLiteral(value: TomlValue): string {
  if (Array.isArray(value)) return `[${value.map((v) => JSON.stringify(v)).join(', ')}]`
  if (typeof value === 'string') return JSON.stringify(value)
  return String(value)
}

const HEADER = /^\s*\[\s*([A-Za-z0-9_.-]+)\s*\]\s*(#.*)?$/

interface SectionRange {
  /** Index of the first line after the header (0 for the root table). */
  start: number
  /** Index one past the last line of the section. */
  end: number
}

/** Where a section's lines are; `''` is the root table before the first header. */
function findSection(lines: string[], section: string): SectionRange | undefined {
  let current = ''
  let start = section === '' ? 0 : -1
  for (let i = 0; i < lines.length; i++) {
    const m = HEADER.exec(lines[i]!)
    if (!m) continue
    if (current === section && start >= 0) return { start, end: i }
    current = m[1]!
    if (current === section) start = i + 1
  }
  return start >= 0 ? { start, end: lines.length } : undefined
}

function keyPattern(key: string): RegExp {
  return new RegExp(`^(\\s*)${key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*=`)
}

/**
 * Sets `key = value` inside `[section]` (`''` = root table), replacing the existing line or,
 * when the key is absent, appending it at the end of the section. Other lines are untouched.
 * @throws when the section does not exist (a typo would otherwise silently add a new table).
 * @example setTomlKey(text, 'rpc', 'laddr', 'tcp://127.0.0.1:26657')
 */
export function setTomlKey(text: string, section: string, key: string, value: TomlValue): string {
  const lines = text.split('\n')
  const range = findSection(lines, section)
  if (!range) throw new Error(`config.toml has no [${section}] section (setting ${key})`)
  const pattern = keyPattern(key)
  const line = `${key} = ${tomlLiteral(value)}`
  for (let i = range.start; i < range.end; i++) {
    const m = pattern.exec(lines[i]!)
    if (m) {
      lines[i] = m[1] + line
      return lines.join('\n')
    }
  }
  // Absent: insert after the section's last non-blank line so the blank line before the next header stays.
  let at = range.end
  while (at > range.start && lines[at - 1]!.trim() === '') at--
  lines.splice(at, 0, line)
  return lines.join('\n')
}

/**
 * The raw (unparsed) value text of `key` in `[section]`, or undefined when absent.
 * @example getTomlKey('[rpc]\nladdr = "x"', 'rpc', 'laddr') // '"x"'
 */
export function getTomlKey(text: string, section: string, key: string): string | undefined {
  const lines = text.split('\n')
  const range = findSection(lines, section)
  if (!range) return undefined
  const pattern = keyPattern(key)
  for (let i = range.start; i < range.end; i++) {
    const m = pattern.exec(lines[i]!)
    if (m)
      return lines[i]!.slice(m[0].length)
        .replace(/\s+#.*$/, '')
        .trim()
  }
  return undefined
}
