/**
 * The SVG chart of docs/benchmarks.md's "PIPE vs inline inference": FinalizeBlock time against
 * model cost, both axes logarithmic, one line per strategy. Left: ms per block (mean, with the
 * largest block as a hollow marker); right: ms per tx. Plain SVG written by hand, no library.
 */

export interface ChartPoint {
  strategy: string
  /** Measured ms of one inference (x position). */
  costMs: number
  /** The cost label the model was built for (`200`, `2w512`, `0.1w16`). */
  label: string
  /** A run at another tensor width than the line's (the small-tx throughput run): a diamond, not on the line. */
  offLine: boolean
  width: number
  perBlockMean: number
  perBlockMax: number
  perTx: number
}

const COLORS: Record<string, string> = { pipe: '#1f77b4', inline: '#d62728' }
const NAMES: Record<string, string> = { pipe: 'PIPE (pre-executed)', inline: 'inline (model runs in FinalizeBlock)' }

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

function decades(values: number[]): [number, number] {
  const ok = values.filter((v) => Number.isFinite(v) && v > 0)
  if (ok.length === 0) return [0, 1]
  return [Math.floor(Math.log10(Math.min(...ok))), Math.ceil(Math.log10(Math.max(...ok)))]
}

function tickLabel(e: number): string {
  const v = 10 ** e
  return v >= 1 ? v.toLocaleString('en-US') : v.toFixed(-e)
}

function panel(
  points: ChartPoint[],
  x0: number,
  y0: number,
  w: number,
  h: number,
  title: string,
  yValue: (p: ChartPoint) => number,
  yExtra?: (p: ChartPoint) => number,
): string {
  const out: string[] = []
  const [xa, xb] = decades(points.map((p) => p.costMs))
  const [ya, yb] = decades([...points.map(yValue), ...(yExtra ? points.map(yExtra) : [])])
  const X = (v: number) => x0 + ((Math.log10(v) - xa) / Math.max(1, xb - xa)) * w
  const Y = (v: number) => y0 + h - ((Math.log10(v) - ya) / Math.max(1, yb - ya)) * h
  out.push(`<text x="${x0 + w / 2}" y="${y0 - 14}" text-anchor="middle" font-weight="bold">${esc(title)}</text>`)
  out.push(`<rect x="${x0}" y="${y0}" width="${w}" height="${h}" fill="none" stroke="#888"/>`)
  for (let e = xa; e <= xb; e++) {
    const x = X(10 ** e)
    out.push(`<line x1="${x}" y1="${y0}" x2="${x}" y2="${y0 + h}" stroke="#ddd"/>`)
    out.push(`<text x="${x}" y="${y0 + h + 16}" text-anchor="middle">${tickLabel(e)}</text>`)
  }
  for (let e = ya; e <= yb; e++) {
    const y = Y(10 ** e)
    out.push(`<line x1="${x0}" y1="${y}" x2="${x0 + w}" y2="${y}" stroke="#ddd"/>`)
    out.push(`<text x="${x0 - 6}" y="${y + 4}" text-anchor="end">${tickLabel(e)}</text>`)
  }
  out.push(`<text x="${x0 + w / 2}" y="${y0 + h + 36}" text-anchor="middle">model cost (ms per inference, measured; log scale)</text>`)
  for (const strategy of [...new Set(points.map((p) => p.strategy))]) {
    const color = COLORS[strategy] ?? '#333'
    for (const p of points.filter((q) => q.strategy === strategy && q.offLine && yValue(q) > 0)) {
      const x = X(p.costMs)
      const y = Y(yValue(p))
      out.push(
        `<path d="M${(x - 6).toFixed(1)},${y.toFixed(1)} L${x.toFixed(1)},${(y - 6).toFixed(1)} L${(x + 6).toFixed(1)},${y.toFixed(1)} L${x.toFixed(1)},${(y + 6).toFixed(1)} Z" fill="none" stroke="${color}" stroke-width="1.5"><title>${esc(`${strategy}, C = ${p.label} ms (${p.width} wide): ${yValue(p).toFixed(3)} ms`)}</title></path>`,
      )
    }
    const ps = points.filter((p) => p.strategy === strategy && !p.offLine && yValue(p) > 0).sort((a, b) => a.costMs - b.costMs)
    out.push(
      `<polyline fill="none" stroke="${color}" stroke-width="2" points="${ps.map((p) => `${X(p.costMs).toFixed(1)},${Y(yValue(p)).toFixed(1)}`).join(' ')}"/>`,
    )
    for (const p of ps) {
      const x = X(p.costMs)
      if (yExtra && yExtra(p) > 0) {
        out.push(
          `<line x1="${x.toFixed(1)}" y1="${Y(yValue(p)).toFixed(1)}" x2="${x.toFixed(1)}" y2="${Y(yExtra(p)).toFixed(1)}" stroke="${color}" stroke-dasharray="2,2"/>`,
        )
        out.push(
          `<circle cx="${x.toFixed(1)}" cy="${Y(yExtra(p)).toFixed(1)}" r="6" fill="white" stroke="${color}" stroke-width="1.5"><title>${esc(`${strategy}, C = ${p.label} ms: largest block ${yExtra(p).toFixed(1)} ms`)}</title></circle>`,
        )
      }
      out.push(
        `<circle cx="${x.toFixed(1)}" cy="${Y(yValue(p)).toFixed(1)}" r="4" fill="${color}"><title>${esc(`${strategy}, C = ${p.label} ms: ${yValue(p).toFixed(3)} ms`)}</title></circle>`,
      )
    }
  }
  return out.join('\n')
}

export function renderChart(points: ChartPoint[]): string {
  const W = 1000
  const H = 420
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    panel(
      points,
      70,
      50,
      370,
      280,
      'FinalizeBlock ms per block (mean ●, largest ○)',
      (p) => p.perBlockMean,
      (p) => p.perBlockMax,
    ),
    panel(points, 590, 50, 370, 280, 'FinalizeBlock ms per tx', (p) => p.perTx),
  ]
  const strategies = [...new Set(points.map((p) => p.strategy))]
  strategies.forEach((s, i) => {
    const x = 70 + i * 300
    parts.push(`<rect x="${x}" y="${H - 28}" width="14" height="14" fill="${COLORS[s] ?? '#333'}"/>`)
    parts.push(`<text x="${x + 20}" y="${H - 16}">${esc(NAMES[s] ?? s)}</text>`)
  })
  const off = points.find((p) => p.offLine)
  if (off) {
    const x = 70 + strategies.length * 300
    const y = H - 21
    parts.push(
      `<path d="M${x},${y} L${x + 6},${y - 6} L${x + 12},${y} L${x + 6},${y + 6} Z" fill="none" stroke="#333" stroke-width="1.5"/>`,
    )
    parts.push(
      `<text x="${x + 18}" y="${H - 16}">${esc(`off the line: ${off.label.replace(/w\d+$/, '')} ms model, ${off.width} wide`)}</text>`,
    )
  }
  parts.push('</svg>')
  return `${parts.join('\n')}\n`
}
