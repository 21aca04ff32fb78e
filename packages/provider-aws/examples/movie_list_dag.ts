/**
 * movie-list-dag — port of "Introducing Amazon Managed Workflows for Apache
 * Airflow (MWAA)" (movie_list_dag.py): wait for the files/ folder in S3,
 * download the MovieLens zip into it, create three Athena tables over the CSV
 * files, join them, clean the join's CSV and load it into Redshift through
 * the Redshift Data API (creating the table if missing).
 *
 * The post's constants (bucket, Redshift cluster, download URL …) are
 * Variables here (airflow_variables/movie_list_variables.json holds the
 * post's values), so the same file runs anywhere. As in the post, the
 * Redshift statements are submitted without waiting for them.
 */
import { inflateRawSync } from 'node:zlib';
import { DAG, PythonOperator, Variable, type Context } from '@updraft/sdk';
import { AWSAthenaOperator, RedshiftDataOperator, S3Hook, S3KeySensor } from '@updraft/provider-aws';

const s3_key = 'files/';
const athena_results = 'athena-results/';

function createTableQuery(table: string, columns: string, file: string): string {
  return `
CREATE EXTERNAL TABLE IF NOT EXISTS Demo_Athena_DB.${table} (
${columns}
)
ROW FORMAT SERDE 'org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe'
WITH SERDEPROPERTIES (
  'serialization.format' = ',',
  'field.delim' = ','
) LOCATION 's3://{{ var.value.s3_bucket_name }}/files/ml-latest-small/${file}/ml-latest-small/'
TBLPROPERTIES (
  'has_encrypted_data'='false',
  'skip.header.line.count'='1'
);
`;
}

const create_athena_movie_table_query = createTableQuery('ML_Latest_Small_Movies', '  `movieId` int,\n  `title` string,\n  `genres` string', 'movies.csv');
const create_athena_ratings_table_query = createTableQuery('ML_Latest_Small_Ratings', '  `userId` int,\n  `movieId` int,\n  `rating` int,\n  `timestamp` bigint', 'ratings.csv');
const create_athena_tags_table_query = createTableQuery('ML_Latest_Small_Tags', '  `userId` int,\n  `movieId` int,\n  `tag` int,\n  `timestamp` bigint', 'tags.csv');

const join_tables_athena_query = `
SELECT REPLACE ( m.title , '"' , '' ) as title, r.rating
FROM demo_athena_db.ML_Latest_Small_Movies m
INNER JOIN (SELECT rating, movieId FROM demo_athena_db.ML_Latest_Small_Ratings WHERE rating > 4) r on m.movieId = r.movieId
`;

/** The entries of a zip archive (stored or deflated), as Python's zipfile gives them. */
function unzip(archive: Buffer): { name: string; data: Buffer }[] {
  const end = archive.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (end === -1) throw new Error('not a zip archive');
  const count = archive.readUInt16LE(end + 10);
  let at = archive.readUInt32LE(end + 16);
  const entries: { name: string; data: Buffer }[] = [];
  for (let i = 0; i < count; i++) {
    const method = archive.readUInt16LE(at + 10);
    const size = archive.readUInt32LE(at + 20);
    const nameLength = archive.readUInt16LE(at + 28);
    const skip = nameLength + archive.readUInt16LE(at + 30) + archive.readUInt16LE(at + 32);
    const name = archive.toString('utf8', at + 46, at + 46 + nameLength);
    const local = archive.readUInt32LE(at + 42);
    const start = local + 30 + archive.readUInt16LE(local + 26) + archive.readUInt16LE(local + 28);
    const raw = archive.subarray(start, start + size);
    if (!name.endsWith('/')) entries.push({ name, data: method === 8 ? inflateRawSync(raw) : Buffer.from(raw) });
    at += 46 + skip;
  }
  return entries;
}

async function download_zip(context: Context): Promise<void> {
  const [s3_bucket_name, download_http] = await Promise.all([Variable.get('s3_bucket_name'), Variable.get('download_http')]);
  const s3c = new S3Hook();
  const indata = await fetch(download_http);
  if (!indata.ok) throw new Error(`GET ${download_http} answered ${indata.status}`);
  const zList = unzip(Buffer.from(await indata.arrayBuffer()));
  context.log.info(JSON.stringify(zList.map((z) => z.name)));
  for (const { name, data } of zList) {
    context.log.info(name);
    await s3c.load_bytes(data, s3_key + name + '/' + name, s3_bucket_name, true);
  }
}

async function clean_up_csv_fn(context: Context): Promise<void> {
  const ti = context.task_instance;
  const queryId = (await ti.xcom_pull({ key: 'return_value', task_ids: 'join_athena_tables' })) as string;
  context.log.info(queryId);
  const s3_bucket_name = await Variable.get('s3_bucket_name');
  const athenaKey = athena_results + 'join_athena_tables/' + queryId + '.csv';
  context.log.info(athenaKey);
  const cleanKey = athena_results + 'join_athena_tables/' + queryId + '_clean.csv';
  const s3c = new S3Hook();
  const infileStr = await s3c.read_key(athenaKey, s3_bucket_name);
  const outfileStr = infileStr.replaceAll('"e"', '');
  await s3c.load_string(outfileStr, cleanKey, s3_bucket_name, true);
}

const DEFAULT_ARGS = {
  owner: 'airflow',
  depends_on_past: false,
  email: ['airflow@example.com'],
  email_on_failure: false,
  email_on_retry: false,
};

/** Airflow's days_ago(2). */
const twoDaysAgo = new Date(new Date().setUTCHours(0, 0, 0, 0) - 2 * 86_400_000);

export default new DAG(
  {
    dag_id: 'movie-list-dag',
    default_args: DEFAULT_ARGS,
    dagrun_timeout: { hours: 2 },
    start_date: twoDaysAgo,
    schedule: '*/10 * * * *',
    tags: ['athena', 'redshift'],
  },
  () => {
    const check_s3_for_key = new S3KeySensor({
      task_id: 'check_s3_for_key',
      bucket_key: s3_key,
      wildcard_match: true,
      bucket_name: '{{ var.value.s3_bucket_name }}',
      s3_conn_id: 'aws_default',
      timeout: 20,
      poke_interval: 5,
    });
    const files_to_s3 = new PythonOperator({ task_id: 'files_to_s3', python_callable: download_zip });
    const athena = (task_id: string, query: string) =>
      new AWSAthenaOperator({
        task_id,
        query,
        database: '{{ var.value.athena_db }}',
        output_location: `s3://{{ var.value.s3_bucket_name }}/${athena_results}${task_id}`,
      });
    const create_athena_movie_table = athena('create_athena_movie_table', create_athena_movie_table_query);
    const create_athena_ratings_table = athena('create_athena_ratings_table', create_athena_ratings_table_query);
    const create_athena_tags_table = athena('create_athena_tags_table', create_athena_tags_table_query);
    const join_athena_tables = athena('join_athena_tables', join_tables_athena_query);
    const create_redshift_table_if_not_exists = new RedshiftDataOperator({
      task_id: 'create_redshift_table_if_not_exists',
      cluster_identifier: '{{ var.value.redshift_cluster }}',
      database: '{{ var.value.redshift_db }}',
      db_user: '{{ var.value.redshift_dbuser }}',
      sql: 'CREATE TABLE IF NOT EXISTS {{ var.value.redshift_table_name }} (title\tcharacter varying, rating\tint);',
      wait_for_completion: false,
    });
    const clean_up_csv = new PythonOperator({ task_id: 'clean_up_csv', python_callable: clean_up_csv_fn });
    const transfer_to_redshift = new RedshiftDataOperator({
      task_id: 'transfer_to_redshift',
      cluster_identifier: '{{ var.value.redshift_cluster }}',
      database: '{{ var.value.redshift_db }}',
      db_user: '{{ var.value.redshift_dbuser }}',
      sql:
        "copy {{ var.value.redshift_table_name }} from 's3://{{ var.value.s3_bucket_name }}/" +
        athena_results +
        "join_athena_tables/{{ task_instance.xcom_pull(task_ids='join_athena_tables', key='return_value') }}_clean.csv' " +
        "iam_role '{{ var.value.redshift_iam_role }}' CSV IGNOREHEADER 1;",
      wait_for_completion: false,
    });

    check_s3_for_key.then(files_to_s3).then(create_athena_movie_table).then(join_athena_tables).then(clean_up_csv).then(transfer_to_redshift);
    files_to_s3.then(create_athena_ratings_table).then(join_athena_tables);
    files_to_s3.then(create_athena_tags_table).then(join_athena_tables);
    files_to_s3.then(create_redshift_table_if_not_exists).then(transfer_to_redshift);
  },
);
