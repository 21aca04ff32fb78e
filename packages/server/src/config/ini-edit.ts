/**
 * Sets one `key = value` in an INI text and leaves every other line alone
 * (comments, order, blank lines), so a file a person wrote stays theirs.
 */
export function setIniValue(text: string, section: string, key: string, value: string): string {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const lines = text === '' ? [] : text.split(/\r?\n/);
  const isHeader = (line: string) => /^\s*\[[^\]]+\]\s*$/.test(line);
  const start = lines.findIndex((l) => l.trim().toLowerCase() === `[${section.toLowerCase()}]`);
  const entry = `${key} = ${value}`;

  if (start === -1) {
    while (lines.length && lines[lines.length - 1].trim() === '') lines.pop();
    if (lines.length) lines.push('');
    lines.push(`[${section}]`, entry, '');
    return lines.join(eol);
  }

  let end = lines.length;
  for (let i = start + 1; i < lines.length; i++) {
    if (isHeader(lines[i])) {
      end = i;
      break;
    }
  }
  const keyPattern = new RegExp(`^\\s*${key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*[=:]`, 'i');
  const existing = lines.slice(start + 1, end).findIndex((l) => keyPattern.test(l));
  if (existing !== -1) {
    lines[start + 1 + existing] = entry;
  } else {
    // after the section's last non-blank line, keeping the blank line before the next section
    let at = end;
    while (at > start + 1 && lines[at - 1].trim() === '') at--;
    lines.splice(at, 0, entry);
  }
  let out = lines.join(eol);
  if (!out.endsWith(eol)) out += eol;
  return out;
}
