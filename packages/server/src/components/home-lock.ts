/**
 * One standalone per $UPDRAFT_HOME: a pid file, created exclusively. A lock
 * left by a process that no longer exists (kill -9) is taken over.
 */
import fs from 'node:fs';
import path from 'node:path';
import { isAlive } from '../util/process-alive.ts';

export interface HomeLock {
  release(): void;
}


export function acquireHomeLock(home: string): HomeLock {
  fs.mkdirSync(home, { recursive: true });
  const file = path.join(home, 'standalone.pid');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, String(process.pid), { flag: 'wx' });
      let released = false;
      return {
        release() {
          if (released) return;
          released = true;
          fs.rmSync(file, { force: true });
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number(fs.readFileSync(file, 'utf8').trim());
      if (pid && pid !== process.pid && isAlive(pid)) {
        throw new Error(`Another Updraft standalone (pid ${pid}) is already running on ${home}: stop it first, or set UPDRAFT_HOME to another folder`, { cause: err });
      }
      fs.rmSync(file, { force: true });
    }
  }
  throw new Error(`Could not lock ${file}`);
}
