/**
 * Port of Airflow's example_assets: producer DAGs update assets through their
 * tasks' outlets; consumer DAGs are scheduled on one asset, on all of a list,
 * or on conditions (Airflow's `&` and `|` are AssetAll / AssetAny, or
 * `.and()` / `.or()`). The tasks sleep 1 s instead of Airflow's 5.
 */
import { Asset, AssetAll, BashOperator, DAG } from '@updraft/sdk';

const dag1_asset = new Asset({ uri: 's3://dag1/output_1.txt', extra: { hi: 'bye' } });
const dag2_asset = new Asset({ uri: 's3://dag2/output_1.txt', extra: { hi: 'bye' } });
const dag3_asset = new Asset({ uri: 's3://dag3/output_3.txt', extra: { hi: 'bye' } });
const common = { catchup: false, start_date: '2021-01-01' };

new DAG({ dag_id: 'asset_produces_1', ...common, schedule: '@daily', tags: ['produces', 'asset-scheduled'] }, () => {
  new BashOperator({ outlets: [dag1_asset], task_id: 'producing_task_1', bash_command: 'sleep 1' });
});

new DAG({ dag_id: 'asset_produces_2', ...common, schedule: null, tags: ['produces', 'asset-scheduled'] }, () => {
  new BashOperator({ outlets: [dag2_asset], task_id: 'producing_task_2', bash_command: 'sleep 1' });
});

new DAG({ dag_id: 'asset_consumes_1', ...common, schedule: [dag1_asset], tags: ['consumes', 'asset-scheduled'] }, () => {
  new BashOperator({ outlets: [new Asset('s3://consuming_1_task/asset_other.txt')], task_id: 'consuming_1', bash_command: 'sleep 1' });
});

new DAG({ dag_id: 'asset_consumes_1_and_2', ...common, schedule: [dag1_asset, dag2_asset], tags: ['consumes', 'asset-scheduled'] }, () => {
  new BashOperator({ outlets: [new Asset('s3://consuming_2_task/asset_other_unknown.txt')], task_id: 'consuming_2', bash_command: 'sleep 1' });
});

new DAG(
  { dag_id: 'asset_consumes_1_never_scheduled', ...common, schedule: [dag1_asset, new Asset('s3://unrelated/this-asset-doesnt-get-triggered')], tags: ['consumes', 'asset-scheduled'] },
  () => {
    new BashOperator({ task_id: 'consuming_3', bash_command: 'sleep 1' });
  },
);

new DAG(
  { dag_id: 'asset_consumes_unknown_never_scheduled', ...common, schedule: [new Asset('s3://unrelated/asset3.txt'), new Asset('s3://unrelated/asset_other_unknown.txt')], tags: ['asset-scheduled'] },
  () => {
    new BashOperator({ task_id: 'unscheduled_asset_task', bash_command: 'sleep 1' });
  },
);

new DAG({ dag_id: 'consume_1_and_2_with_asset_expressions', start_date: '2021-01-01', schedule: dag1_asset.and(dag2_asset) }, () => {
  new BashOperator({ outlets: [new Asset('s3://consuming_2_task/asset_other_unknown.txt')], task_id: 'consume_1_and_2_with_asset_expressions', bash_command: 'sleep 1' });
});

new DAG({ dag_id: 'consume_1_or_2_with_asset_expressions', start_date: '2021-01-01', schedule: dag1_asset.or(dag2_asset) }, () => {
  new BashOperator({ outlets: [new Asset('s3://consuming_2_task/asset_other_unknown.txt')], task_id: 'consume_1_or_2_with_asset_expressions', bash_command: 'sleep 1' });
});

new DAG({ dag_id: 'consume_1_or_both_2_and_3_with_asset_expressions', start_date: '2021-01-01', schedule: dag1_asset.or(new AssetAll(dag2_asset, dag3_asset)) }, () => {
  new BashOperator({ outlets: [new Asset('s3://consuming_2_task/asset_other_unknown.txt')], task_id: 'consume_1_or_both_2_and_3_with_asset_expressions', bash_command: 'sleep 1' });
});
