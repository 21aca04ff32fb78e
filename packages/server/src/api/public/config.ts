/**
 * /api/v2/config and /config/section/{section}/option/{option}: the effective
 * configuration, only when [api] expose_config is on (403 otherwise, as in
 * Airflow). Secret values (keys, passwords, connection URLs) are never shown.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config, ConfigEntry } from '../../config/config.ts';
import { forbidden, HttpError, notFound } from '../errors.ts';

const HIDDEN = '< hidden >';

interface Section {
  name: string;
  options: { key: string; value: string }[];
}

function sections(entries: ConfigEntry[]): Section[] {
  const bySection = new Map<string, Section>();
  for (const e of entries) {
    const s = bySection.get(e.section) ?? { name: e.section, options: [] };
    s.options.push({ key: e.key, value: e.secret ? HIDDEN : String(e.value) });
    bySection.set(e.section, s);
  }
  return [...bySection.values()];
}

/** text/plain when asked for, as the INI file would read; JSON otherwise. */
function send(req: FastifyRequest, reply: FastifyReply, body: { sections: Section[] }) {
  const accept = String(req.headers.accept ?? '*/*');
  if (accept.includes('text/plain')) {
    const ini = body.sections.map((s) => `[${s.name}]\n${s.options.map((o) => `${o.key} = ${o.value}`).join('\n')}\n`).join('\n');
    return reply.type('text/plain; charset=utf-8').send(ini);
  }
  if (!accept.includes('application/json') && !accept.includes('*/*')) throw new HttpError(406, 'Only application/json or text/plain is supported');
  return body;
}

export function registerConfigRoutes(app: FastifyInstance, config: Config) {
  const exposed = () => {
    if (!config.bool('api', 'expose_config')) {
      throw forbidden('Your Updraft administrator chose not to expose the configuration, most likely for security reasons. Set [api] expose_config = True to allow it.');
    }
  };

  app.get('/api/v2/config', async (req, reply) => {
    exposed();
    const wanted = (req.query as { section?: string }).section;
    const entries = config.list().filter((e) => wanted === undefined || e.section === wanted);
    if (wanted !== undefined && !entries.length) throw notFound(`Section ${wanted} not found.`);
    return send(req, reply, { sections: sections(entries) });
  });

  app.get('/api/v2/config/section/:section/option/:option', async (req, reply) => {
    exposed();
    const { section, option } = req.params as { section: string; option: string };
    const entry = config.get(section, option);
    if (!entry) throw notFound(`Option [${section}/${option}] not found.`);
    return send(req, reply, { sections: sections([entry]) });
  });
}
