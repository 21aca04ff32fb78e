/** Component logs: pino, JSON by default, one readable line per event on a terminal. */
import pino from 'pino';

export type Logger = pino.Logger;

export function createLogger(component: string, level = 'info'): Logger {
  const pretty = process.stderr.isTTY && !process.env.UPDRAFT_LOG_JSON;
  return pino(
    { name: component, level: level.toLowerCase() === 'warning' ? 'warn' : level.toLowerCase() === 'critical' ? 'fatal' : level.toLowerCase() },
    pretty ? prettyStream() : pino.destination(2),
  );
}

/** A tiny formatter so a person can read the terminal without an extra package. */
function prettyStream() {
  const levels: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
  return {
    write(line: string) {
      const { level, time, name, msg, pid: _p, hostname: _h, err, ...rest } = JSON.parse(line);
      const extra = Object.keys(rest).length ? ` ${Object.entries(rest).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' ')}` : '';
      const error = err ? `\n${err.stack ?? err.message}` : '';
      process.stderr.write(`${new Date(time).toISOString()} ${levels[level] ?? level} [${name}] ${msg}${extra}${error}\n`);
    },
  };
}
