/** Header with navigation, time zone selector, theme switch and the signed-in user. */
import { useEffect, type ReactNode } from 'react';
import type { UiConfig } from '../App.tsx';
import { session } from '../api.ts';
import { useStored } from '../hooks.ts';
import { Link } from '../router.tsx';
import { browserZone, useTime } from '../time.tsx';

const BROWSE = [
  ['dag-runs', 'DAG Runs'],
  ['task-instances', 'Task Instances'],
  ['audit-log', 'Audit Log'],
  ['import-errors', 'Import Errors'],
];
const ADMIN = [
  ['variables', 'Variables'],
  ['connections', 'Connections'],
  ['pools', 'Pools'],
  ['config', 'Config'],
  ['users', 'Users'],
];

function Menu({ label, base, items, active }: { label: string; base: string; items: string[][]; active: boolean }) {
  return (
    <details className={active ? 'menu active' : 'menu'}>
      <summary>{label}</summary>
      <ul role="menu">
        {items.map(([slug, name]) => (
          <li key={slug} role="none">
            <Link role="menuitem" to={`/${base}/${slug}`} onClick={(e) => (e.currentTarget.closest('details') as HTMLDetailsElement).removeAttribute('open')}>
              {name}
            </Link>
          </li>
        ))}
      </ul>
    </details>
  );
}

const ZONES: string[] = (() => {
  try {
    return (Intl as unknown as { supportedValuesOf(k: string): string[] }).supportedValuesOf('timeZone');
  } catch {
    return ['America/New_York', 'Europe/London', 'Europe/Paris', 'Asia/Tokyo'];
  }
})();

export function TimezoneSelect() {
  const { setting, setSetting } = useTime();
  const options = ['UTC', 'system', ...ZONES.filter((z) => z !== 'UTC')];
  if (!options.includes(setting)) options.splice(2, 0, setting);
  return (
    <label className="tz-select">
      <span className="sr-only">Time zone</span>
      <select aria-label="Time zone" value={setting} onChange={(e) => setSetting(e.target.value)}>
        {options.map((z) => (
          <option key={z} value={z}>
            {z === 'system' ? `Browser (${browserZone()})` : z}
          </option>
        ))}
      </select>
    </label>
  );
}

export function useTheme(): [string, (t: string) => void] {
  // until the user picks one, the system's preference
  const [theme, setTheme] = useStored('updraft.theme', matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light');
  useEffect(() => {
    document.documentElement.dataset.theme = theme;
  }, [theme]);
  return [theme, setTheme];
}

/** Open menus close on a click elsewhere and on Escape. */
function useMenusClose() {
  useEffect(() => {
    const close = (except: EventTarget | null) =>
      document.querySelectorAll<HTMLDetailsElement>('details.menu[open]').forEach((d) => {
        if (!(except instanceof Node) || !d.contains(except)) d.removeAttribute('open');
      });
    const onClick = (e: MouseEvent) => close(e.target);
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && close(null);
    document.addEventListener('click', onClick);
    document.addEventListener('keydown', onKey);
    return () => {
      document.removeEventListener('click', onClick);
      document.removeEventListener('keydown', onKey);
    };
  }, []);
}

export function Layout({ config, path, children }: { config: UiConfig | null; path: string; children: ReactNode }) {
  const [theme, setTheme] = useTheme();
  useMenusClose();
  return (
    <div className="app">
      <header className="topbar">
        <Link to="/dags" className="brand">
          <span className="brand-mark" aria-hidden="true">▲</span> Updraft
        </Link>
        <nav aria-label="Main">
          <Link to="/dags" className={path === '/' || path.startsWith('/dags') ? 'nav-link active' : 'nav-link'}>
            DAGs
          </Link>
          <Menu label="Browse" base="browse" items={BROWSE} active={path.startsWith('/browse')} />
          <Menu label="Admin" base="admin" items={ADMIN} active={path.startsWith('/admin')} />
        </nav>
        <div className="topbar-right">
          <TimezoneSelect />
          <button type="button" className="icon-button" aria-label={theme === 'dark' ? 'Switch to light theme' : 'Switch to dark theme'} title="Light / dark" onClick={() => setTheme(theme === 'dark' ? 'light' : 'dark')}>
            {theme === 'dark' ? '☀' : '☾'}
          </button>
          <span className="user" title={config?.role ?? ''}>
            {config?.username ?? ''}
          </span>
          <button type="button" className="link-button" onClick={() => session.end('You have logged out.')}>
            Log out
          </button>
        </div>
      </header>
      <main className="content">{children}</main>
    </div>
  );
}
