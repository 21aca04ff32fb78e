/** One DAG: header with its switch and Trigger, tabs, and the task instance panel beside Grid and Graph. */
import { lazy, Suspense, useEffect, useState } from 'react';
import { Icon } from '../components/icons.tsx';
import { api, enc } from '../api.ts';
import { ErrorBox, Loading, Switch } from '../components/common.tsx';
import { ImportErrorsBanner } from '../components/ImportErrorsBanner.tsx';
import { TriggerDialog } from '../components/TriggerDialog.tsx';
import { Grid, type GridData } from '../components/Grid.tsx';
import { Gantt } from '../components/Gantt.tsx';
import { CodeView } from '../components/CodeView.tsx';
import { DagDetails } from '../components/DagDetails.tsx';
import { RunsTable } from '../components/RunsTable.tsx';
import { prefetchLayout, startLayoutWorker } from '../components/graph-layout.ts';
import { DagTree } from '../dag-tree.ts';
import { TaskPanel } from '../components/TaskPanel.tsx';
import { RunPanel } from '../components/RunPanel.tsx';
import { useApi } from '../hooks.ts';
import { Link, navigate, withQuery } from '../router.tsx';
import { ACTIVE_STATES } from '../states.ts';
import type { Dag } from './DagList.tsx';
import { Schedule } from './DagList.tsx';

// React Flow and the layout worker load only when the Graph is opened
const Graph = lazy(() => import('../components/Graph.tsx'));

const TABS = [
  ['grid', 'Grid'],
  ['graph', 'Graph'],
  ['gantt', 'Gantt'],
  ['code', 'Code'],
  ['details', 'Details'],
  ['runs', 'Runs'],
];

export function DagPage({ dagId, tab, query }: { dagId: string; tab: string; query: URLSearchParams }) {
  const dag = useApi<Dag>(`/api/v2/dags/${enc(dagId)}`, { pollMs: 15_000 });
  const [gridActive, setGridActive] = useState(true);
  const runCount = [25, 50, 100, 365].includes(Number(query.get('runs'))) ? Number(query.get('runs')) : 25;
  // every tab needs the runs (run selectors, panels); only the Grid needs every task's states
  const grid = useApi<GridData>(`/ui/dags/${enc(dagId)}/grid?limit=${runCount}${tab === 'grid' ? '' : '&include_states=false'}`, { pollMs: gridActive ? 2000 : 15_000, keep: true });
  // the same DAG's runs stay in view while another tab's lighter answer arrives; the Grid waits for its states
  const sameDag = grid.data?.dag_id === dagId;
  const active = !!grid.data?.runs.some((r) => ACTIVE_STATES.has(r.state));
  if (active !== gridActive && grid.data) setGridActive(active);
  // the Graph's layout worker loads ELK in the background while the page fetches its data,
  // then lays out the DAG the Grid shows, so the Graph tab opens without waiting for it
  useEffect(() => void startLayoutWorker(), []);
  const gridTasks = sameDag ? grid.data?.tasks : undefined;
  const gridGroups = sameDag ? grid.data?.task_groups : undefined;
  useEffect(() => {
    if (tab !== 'graph' && gridTasks) prefetchLayout(new DagTree(gridTasks, gridGroups));
  }, [tab, gridTasks, gridGroups]);
  const [triggering, setTriggering] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const runs = (sameDag && grid.data?.runs) || [];
  const runId = query.get('run_id') ?? runs[runs.length - 1]?.dag_run_id ?? null;
  const taskId = query.get('task_id');
  const withPanel = (tab === 'grid' || tab === 'graph') && !!taskId && !!query.get('run_id');
  const withRunPanel = tab === 'grid' && !taskId && !!query.get('run_id');

  const setPaused = async (paused: boolean) => {
    try {
      await api('PATCH', `/api/v2/dags/${enc(dagId)}`, { is_paused: paused });
      dag.reload();
    } catch (e) {
      setError((e as Error).message);
    }
  };

  if (dag.error && !dag.data) return <ErrorBox error={dag.error} />;
  const d = dag.data;
  return (
    <section className="page dag-page">
      <nav className="breadcrumbs" aria-label="Breadcrumbs">
        <Link to="/dags">DAGs</Link> / <span>{dagId}</span>
      </nav>
      {d && <ImportErrorsBanner filename={d.fileloc} />}
      <div className="page-head">
        <div className="dag-title">
          {d && <Switch checked={!d.is_paused} label={`${d.is_paused ? 'Unpause' : 'Pause'} ${dagId}`} onChange={(on) => setPaused(!on)} />}
          <h1>{dagId}</h1>
          {d?.tags.map((t) => (
            <Link key={t.name} className="tag" to={`/dags?tag=${enc(t.name)}`}>
              {t.name}
            </Link>
          ))}
        </div>
        <div className="dag-meta">
          {d && <Schedule dag={d} />}
          {d && <span className="muted">Owner: {d.owners.join(', ')}</span>}
          <button type="button" className="primary" onClick={() => setTriggering(true)}>
            <Icon name="play" /> Trigger
          </button>
        </div>
      </div>
      {d?.description && <p className="muted">{d.description}</p>}
      <ErrorBox error={error} />
      <div className="tabs" role="tablist" aria-label="DAG views">
        {TABS.map(([slug, name]) => (
          <Link key={slug} role="tab" aria-selected={tab === slug} className={tab === slug ? 'tab active' : 'tab'} to={withQuery({}, `/dags/${enc(dagId)}/${slug}`)}>
            {name}
          </Link>
        ))}
      </div>
      <div className={withPanel || withRunPanel ? 'dag-body with-panel' : 'dag-body'}>
        <div className="dag-main" role="tabpanel">
          {tab === 'grid' && (
            <>
              <label className="run-count">
                Runs{' '}
                <select aria-label="Number of runs" value={runCount} onChange={(e) => navigate(withQuery({ runs: e.target.value === '25' ? null : e.target.value }))}>
                  {[25, 50, 100, 365].map((n) => (
                    <option key={n}>{n}</option>
                  ))}
                </select>
              </label>
              {grid.data && sameDag && grid.data.states_included ? <Grid data={grid.data} runId={query.get('run_id')} taskId={taskId} /> : <><ErrorBox error={grid.error} />{!grid.error && <Loading />}</>}
            </>
          )}
          {tab === 'graph' && (
            <Suspense fallback={<Loading />}>
              <Graph dagId={dagId} runs={runs} runId={runId} taskId={taskId} />
            </Suspense>
          )}
          {tab === 'gantt' && <Gantt dagId={dagId} runs={runs} runId={runId} />}
          {tab === 'code' && <CodeView dagId={dagId} />}
          {tab === 'details' && <DagDetails dagId={dagId} />}
          {tab === 'runs' && <RunsTable dagId={dagId} />}
        </div>
        {withRunPanel && <RunPanel key={query.get('run_id')} dagId={dagId} runId={query.get('run_id')!} onChanged={grid.reload} onClose={() => navigate(withQuery({ run_id: null }))} />}
        {withPanel && (
          <TaskPanel
            key={`${query.get('run_id')}/${taskId}`}
            dagId={dagId}
            runId={query.get('run_id')!}
            taskId={taskId!}
            grid={grid.data}
            query={query}
            onChanged={grid.reload}
            onClose={() => navigate(withQuery({ task_id: null, try: null, map_index: null, panel: null }))}
          />
        )}
      </div>
      {triggering && (
        <TriggerDialog
          dagId={dagId}
          onClose={() => setTriggering(false)}
          onTriggered={(id) => {
            setTriggering(false);
            grid.reload();
            navigate(withQuery({ run_id: id, task_id: null }));
          }}
        />
      )}
    </section>
  );
}
