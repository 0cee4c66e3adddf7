/**
 * onnxruntime prefixes messages with its source location and C++ signature
 * (`/onnxruntime_src/…/graph.cc:1555 void onnxruntime::Graph::…() This is an invalid model…`);
 * users need only the sentence after it.
 * @example cleanOrtMessage('/onnxruntime_src/a.cc:9 void f(int) Bad model.') // 'Bad model.'
 */
export function cleanOrtMessage(message: string): string {
  let out = ''
  let i = 0
  for (;;) {
    const at = message.indexOf('/onnxruntime_src/', i)
    if (at < 0) break
    out += message.slice(i, at)
    // Skip "path:line <signature>(<balanced args>) ".
    const open = message.indexOf('(', at)
    if (open < 0) {
      i = at
      break
    }
    let depth = 0
    let j = open
    for (; j < message.length; j++) {
      if (message[j] === '(') depth++
      else if (message[j] === ')' && --depth === 0) break
    }
    if (j >= message.length) {
      i = at // unbalanced: not a signature after all, keep the text
      break
    }
    i = j + 1
    while (message[i] === ' ') i++
  }
  return (out + message.slice(i)).replace(/\s+$/u, '')
}
