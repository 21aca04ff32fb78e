/** The app shell: login gate, time zone and theme, and the routes. */
import { useCallback, useEffect, useState } from 'react';
import { session } from './api.ts';
import { useApi, useStored } from './hooks.ts';
import { Layout } from './components/Layout.tsx';
import { Loading } from './components/common.tsx';
import { Login } from './pages/Login.tsx';
import { DagList } from './pages/DagList.tsx';
import { DagPage } from './pages/DagPage.tsx';
import { AdminPage } from './pages/admin/AdminPage.tsx';
import { BrowsePage } from './pages/browse/BrowsePage.tsx';
import { useLocation } from './router.tsx';
import { TimeContext, TZ_KEY, useTimeApi } from './time.tsx';

export interface UiConfig {
  version: string;
  default_ui_timezone: string;
  username: string | null;
  role: string | null;
}

export function App() {
  const [token, setToken] = useState(session.token());
  const [message, setMessage] = useState<string | null>(null);
  useEffect(
    () =>
      session.subscribe((msg) => {
        setToken(session.token());
        setMessage(msg);
      }),
    [],
  );
  // the token's own expiry: back to the login page when it passes, even without a request
  useEffect(() => {
    const left = session.secondsLeft();
    if (!token || left === null) return;
    const timer = setTimeout(() => session.end('Your session has expired. Please log in again.'), Math.max(0, left * 1000));
    return () => clearTimeout(timer);
  }, [token]);

  if (!token) return <Login message={message} />;
  return <SignedIn />;
}

function SignedIn() {
  const config = useApi<UiConfig>('/ui/config');
  const [stored, setStored] = useStored(TZ_KEY, '');
  const setting = stored || config.data?.default_ui_timezone || 'UTC';
  const setSetting = useCallback((v: string) => setStored(v), [setStored]);
  const time = useTimeApi(setting, setSetting);
  const loc = useLocation();
  const parts = loc.path.split('/').filter(Boolean).map(decodeURIComponent);

  let page;
  // Airflow 2's Tree view is the Grid here: old links keep working
  if (parts[0] === 'dags' && parts[1]) page = <DagPage dagId={parts[1]} tab={!parts[2] || parts[2] === 'tree' ? 'grid' : parts[2]} query={loc.query} />;
  else if (parts[0] === 'admin') page = <AdminPage section={parts[1] ?? 'variables'} config={config.data} />;
  else if (parts[0] === 'browse') page = <BrowsePage section={parts[1] ?? 'dag-runs'} query={loc.query} />;
  else page = <DagList query={loc.query} />;

  // the time zone comes with the settings: wait for them rather than show UTC times for a moment
  if (!config.data && !config.error) return <Loading />;
  return (
    <TimeContext.Provider value={time}>
      <Layout config={config.data} path={loc.path}>
        {page}
      </Layout>
    </TimeContext.Provider>
  );
}
