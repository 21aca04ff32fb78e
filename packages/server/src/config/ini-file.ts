/**
 * Reads updraft.cfg the way Python's configparser reads airflow.cfg, so an
 * airflow.cfg fragment means the same thing here: `key = value` or
 * `key: value` under `[section]`, whole-line comments starting with # or ;,
 * indented continuation lines, and no inline comments — a password or URL
 * containing # or ; is kept whole (the `ini` package would cut it there).
 */
export type IniData = Record<string, Record<string, string>>;

export class IniError extends Error {}

export function parseIni(text: string, file: string): { data: IniData; outside: string[] } {
  const data: IniData = {};
  const outside: string[] = [];
  let section: string | null = null;
  let lastKey: string | null = null;
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trimEnd();
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith(';')) {
      lastKey = null;
      return;
    }
    if (/^\s/.test(line) && section && lastKey) {
      data[section][lastKey] = `${data[section][lastKey]}\n${trimmed}`;
      return;
    }
    const header = /^\[([^\]]+)\]$/.exec(trimmed);
    if (header) {
      section = header[1].trim();
      data[section] ??= {};
      lastKey = null;
      return;
    }
    const pair = /^([^=:]+?)\s*[=:]\s*(.*)$/.exec(trimmed);
    if (!pair) throw new IniError(`${file}, line ${index + 1}: expected "key = value" or "[section]", got '${trimmed}'`);
    const key = pair[1].trim().toLowerCase();
    if (!section) {
      outside.push(key);
      return;
    }
    data[section][key] = pair[2];
    lastKey = key;
  });
  return { data, outside };
}
