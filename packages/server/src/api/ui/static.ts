/**
 * Serves the built web UI at `/`. Paths that are not files of the build get
 * index.html, so deep links (/dags/x/grid?run_id=…) load the app, which then
 * routes in the browser. API prefixes keep their JSON 404.
 */
import fs from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import type { Logger } from '../../util/logger.ts';
import { ensureUiBuild, UI_ROOT, type UiBuild } from './build.ts';

const API_PREFIXES = /^\/(api|auth|execution|ui|aws_mwaa)(\/|$)/;

export function serveUi(app: FastifyInstance, log: Logger) {
  // started now, awaited by the first page request: the api-server listens without waiting for Vite
  let building: Promise<UiBuild> | null = null;
  const build = () => {
    building ??= ensureUiBuild().then(
      (b) => {
        if (b.built) log.info(`Built the web UI in ${(b.ms / 1000).toFixed(1)} s into ${path.relative(process.cwd(), b.dir) || b.dir}`);
        return b;
      },
      (err: Error) => {
        log.error(`Could not build the web UI: ${err.message}`);
        throw err;
      },
    );
    return building;
  };
  app.addHook('onReady', async () => {
    build().catch(() => undefined);
  });

  fs.mkdirSync(path.join(UI_ROOT, 'dist'), { recursive: true });
  app.register(fastifyStatic, { root: path.join(UI_ROOT, 'dist'), serve: false });

  app.get('/*', async (req, reply) => {
    const url = decodeURIComponent(req.url.split('?')[0]);
    if (API_PREFIXES.test(url)) return reply.code(404).send({ detail: `Not Found: ${req.method} ${url}` });
    let dir: string;
    try {
      dir = (await build()).dir;
    } catch (err) {
      return reply.code(503).type('text/plain').send(`The web UI could not be built: ${(err as Error).message}\nThe REST API is at /api/v2.`);
    }
    const file = url.replace(/^\/+/, '');
    if (file && !file.includes('..') && fs.statSync(path.join(dir, file), { throwIfNoEntry: false })?.isFile()) {
      // file names under assets/ carry a content hash: cache them for good
      const immutable = file.startsWith('assets/');
      return reply.header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache').sendFile(file, dir);
    }
    return reply.header('cache-control', 'no-cache').sendFile('index.html', dir);
  });
}
