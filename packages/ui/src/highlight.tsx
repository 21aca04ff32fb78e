/** A small TypeScript/JavaScript/Python highlighter for the Code tab: comments, strings, keywords, numbers. */
import type { ReactNode } from 'react';

const KEYWORDS = new Set(
  'import export from default const let var function return if else for while do switch case break continue new class extends await async try catch finally throw typeof instanceof in of as interface type enum true false null undefined this def lambda with pass yield None True False and or not is elif except raise global nonlocal'.split(' '),
);
const TOKEN = /(\/\/[^\n]*|#[^\n]*|\/\*[\s\S]*?\*\/)|(`(?:\\[\s\S]|[^`\\])*`|'(?:\\.|[^'\\\n])*'|"(?:\\.|[^"\\\n])*")|(\b\d+(?:\.\d+)?\b)|([A-Za-z_$][\w$]*)/g;

export function highlight(code: string, python = false): ReactNode[] {
  const out: ReactNode[] = [];
  let last = 0;
  let key = 0;
  for (const m of code.matchAll(TOKEN)) {
    const [text, comment, str, num, word] = m;
    // '#' starts a comment only in Python; in TypeScript it is a private name
    if (comment?.startsWith('#') && !python) {
      continue;
    }
    if (m.index! > last) out.push(code.slice(last, m.index));
    if (comment) out.push(<span key={key++} className="tok-comment">{text}</span>);
    else if (str) out.push(<span key={key++} className="tok-string">{text}</span>);
    else if (num) out.push(<span key={key++} className="tok-number">{text}</span>);
    else if (word && KEYWORDS.has(word)) out.push(<span key={key++} className="tok-keyword">{text}</span>);
    else out.push(text);
    last = m.index! + text.length;
  }
  out.push(code.slice(last));
  return out;
}

export function CodeBlock({ code, python = false, label }: { code: string; python?: boolean; label: string }) {
  const lines = code.split('\n').length;
  return (
    <div className="code-block" aria-label={label}>
      <pre className="code-gutter" aria-hidden="true">
        {Array.from({ length: lines }, (_, i) => i + 1).join('\n')}
      </pre>
      <pre className="code-text">
        <code>{highlight(code, python)}</code>
      </pre>
    </div>
  );
}
