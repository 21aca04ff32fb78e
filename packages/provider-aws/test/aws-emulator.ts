/**
 * What moto_server lacks, in front of it on its own port:
 *
 * - notebook executions (StartNotebookExecution, DescribeNotebookExecution,
 *   StopNotebookExecution) are not implemented by moto: this answers them
 *   itself, moving each execution START_PENDING → RUNNING → FINISHED one
 *   state per describe, or straight to the end when describesPerStep is 0
 *   (FAILED, with a reason, for editor ids told to fail);
 * - moto never moves a step out of RUNNING: DescribeStep answers are moto's,
 *   with the state moved to COMPLETED once the step was described
 *   `describesPerStep` times (FAILED with FailureDetails for step names told
 *   to fail), like moto's own state manager does for Glue and Athena;
 * - moto's Step Functions executions stay RUNNING (its state-machine
 *   interpreter fails from the second execution on in server mode): after
 *   `describesPerStep` describes, DescribeExecution reports SUCCEEDED with
 *   the input as output (a Pass state), or what was registered for the
 *   state machine's name (FAILED with error and cause, or another output);
 * - moto's Redshift Data API answers timestamps as text where the AWS SDK v3
 *   expects epoch seconds (the SDK refuses the answer): converted;
 * - Athena in moto always succeeds and writes no result file: queries
 *   matching a registered pattern end FAILED with its reason, and queries
 *   with registered results get `<OutputLocation>/<QueryExecutionId>.csv`
 *   written to moto's S3, as Athena does.
 *
 * Every other call is forwarded to moto unchanged, and every EMR request is
 * recorded so tests can assert what the operators sent. The AWS SDK talks real
 * HTTP to this, exactly as to moto or to AWS.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';

interface Notebook {
  id: string;
  editor: string;
  cluster: string;
  relativePath: string;
  params: string | null;
  status: string;
  reason: string | null;
}

export interface AwsEmulator {
  endpoint: string;
  /** EMR and Athena requests seen (X-Amz-Target without the service prefix, and the JSON body) */
  requests: { operation: string; body: Record<string, any> }[];
  /** Athena queries whose text matches: the result CSV written to the output location */
  athenaResults: { match: RegExp; csv: string }[];
  /** Step Functions outcome by state machine name (default: SUCCEEDED, output = input) */
  sfnOutcomes: Map<string, { status: 'SUCCEEDED'; output: unknown } | { status: 'FAILED'; error: string; cause: string }>;
  /** Athena queries whose text matches end FAILED with this reason */
  athenaFailures: { match: RegExp; reason: string }[];
  failSteps: Map<string, { Reason: string; Message: string; LogFile: string }>;
  failNotebooks: Map<string, string>;
  describesPerStep: number;
  close(): Promise<void>;
}

const NOTEBOOK_FLOW = ['START_PENDING', 'STARTING', 'RUNNING', 'FINISHING', 'FINISHED'];

export async function startAwsEmulator(motoEndpoint: string): Promise<AwsEmulator> {
  const notebooks = new Map<string, Notebook>();
  const stepDescribes = new Map<string, number>();
  const queries = new Map<string, string>();
  const s3 = new S3Client({ endpoint: motoEndpoint, forcePathStyle: true, region: 'us-east-1', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
  const emulator: AwsEmulator = { endpoint: '', requests: [], athenaResults: [], athenaFailures: [], sfnOutcomes: new Map(), failSteps: new Map(), failNotebooks: new Map(), describesPerStep: 1, close: async () => undefined };

  const reply = (res: http.ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
    res.end(JSON.stringify(body));
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const raw = Buffer.concat(chunks);
        const target = String(req.headers['x-amz-target'] ?? '');
        const operation = /^(ElasticMapReduce|AmazonAthena|AWSStepFunctions)\./.test(target) ? target.slice(target.indexOf('.') + 1) : null;
        const body = operation && raw.length ? JSON.parse(raw.toString('utf8')) : {};
        if (operation) emulator.requests.push({ operation, body });

        if (operation === 'StartNotebookExecution') {
          const nb: Notebook = {
            id: `ex-${randomBytes(12).toString('hex').toUpperCase()}`,
            editor: body.EditorId, cluster: body.ExecutionEngine?.Id, relativePath: body.RelativePath, params: body.NotebookParams ?? null,
            status: 'START_PENDING', reason: null,
          };
          notebooks.set(nb.id, nb);
          return reply(res, 200, { NotebookExecutionId: nb.id });
        }
        if (operation === 'DescribeNotebookExecution' || operation === 'StopNotebookExecution') {
          const nb = notebooks.get(body.NotebookExecutionId);
          if (!nb) return reply(res, 400, { __type: 'InvalidRequestException', Message: `Notebook execution ${body.NotebookExecutionId} does not exist` });
          if (operation === 'StopNotebookExecution') {
            nb.status = 'STOPPED';
            return reply(res, 200, {});
          }
          const answer = { NotebookExecution: { NotebookExecutionId: nb.id, EditorId: nb.editor, ExecutionEngine: { Id: nb.cluster, Type: 'EMR' }, RelativePath: nb.relativePath, NotebookParams: nb.params, Status: nb.status, LastStateChangeReason: nb.reason } };
          const failure = emulator.failNotebooks.get(nb.editor);
          const advance = () => {
            if (nb.status === 'RUNNING' && failure) [nb.status, nb.reason] = ['FAILED', failure];
            else if (NOTEBOOK_FLOW.includes(nb.status) && nb.status !== 'FINISHED') nb.status = NOTEBOOK_FLOW[NOTEBOOK_FLOW.indexOf(nb.status) + 1];
          };
          if (emulator.describesPerStep === 0) {
            // no describe sees it pending: it is already over
            while (nb.status !== 'FINISHED' && nb.status !== 'FAILED') advance();
            Object.assign(answer.NotebookExecution, { Status: nb.status, LastStateChangeReason: nb.reason });
          } else advance();
          return reply(res, 200, answer);
        }

        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(req.headers)) if (k !== 'host' && k !== 'content-length' && typeof v === 'string') headers[k] = v;
        const upstream = await fetch(`${motoEndpoint}${req.url}`, { method: req.method, headers, body: raw.length ? raw : undefined });
        let text = Buffer.from(await upstream.arrayBuffer());
        if (operation === 'DescribeStep' && upstream.ok) {
          const answer = JSON.parse(text.toString('utf8'));
          const step = answer.Step;
          const seen = (stepDescribes.get(step.Id) ?? 0) + 1;
          stepDescribes.set(step.Id, seen);
          if (seen > emulator.describesPerStep) {
            const failure = emulator.failSteps.get(step.Name);
            step.Status.State = failure ? 'FAILED' : 'COMPLETED';
            if (failure) step.Status.FailureDetails = failure;
          }
          text = Buffer.from(JSON.stringify(answer));
        }
        if (operation === 'StartQueryExecution' && upstream.ok) {
          const id = JSON.parse(text.toString('utf8')).QueryExecutionId as string;
          queries.set(id, body.QueryString);
          const result = emulator.athenaResults.find((r) => r.match.test(body.QueryString));
          const output = body.ResultConfiguration?.OutputLocation as string | undefined;
          if (result && output) {
            const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(output)!;
            const key = `${m[2].replace(/\/?$/, '/')}${id}.csv`.replace(/^\//, '');
            await s3.send(new PutObjectCommand({ Bucket: m[1], Key: key, Body: result.csv }));
          }
        }
        if (target.startsWith('RedshiftData.') && upstream.ok) {
          const answer = JSON.parse(text.toString('utf8'));
          for (const field of ['CreatedAt', 'UpdatedAt']) {
            if (typeof answer[field] === 'string') answer[field] = Date.parse(answer[field].replace(' ', 'T')) / 1000;
          }
          text = Buffer.from(JSON.stringify(answer));
        }
        if (operation === 'DescribeExecution' && upstream.ok) {
          const answer = JSON.parse(text.toString('utf8'));
          const seen = (stepDescribes.get(answer.executionArn) ?? 0) + 1;
          stepDescribes.set(answer.executionArn, seen);
          if (answer.status === 'RUNNING' && seen > emulator.describesPerStep) {
            const machine = String(answer.stateMachineArn).split(':').pop()!;
            const outcome = emulator.sfnOutcomes.get(machine) ?? { status: 'SUCCEEDED' as const, output: JSON.parse(answer.input ?? '{}') };
            if (outcome.status === 'SUCCEEDED') Object.assign(answer, { status: 'SUCCEEDED', output: JSON.stringify(outcome.output), stopDate: Date.now() / 1000 });
            else Object.assign(answer, { status: 'FAILED', error: outcome.error, cause: outcome.cause, stopDate: Date.now() / 1000 });
          }
          text = Buffer.from(JSON.stringify(answer));
        }
        if (operation === 'GetQueryExecution' && upstream.ok) {
          const answer = JSON.parse(text.toString('utf8'));
          const failure = emulator.athenaFailures.find((f) => f.match.test(queries.get(body.QueryExecutionId) ?? ''));
          if (failure) {
            answer.QueryExecution.Status = { ...answer.QueryExecution.Status, State: 'FAILED', StateChangeReason: failure.reason, AthenaError: { ErrorCategory: 2, ErrorType: 1301, Retryable: false, ErrorMessage: failure.reason } };
            text = Buffer.from(JSON.stringify(answer));
          }
        }
        const out: Record<string, string> = {};
        upstream.headers.forEach((v, k) => {
          if (k !== 'content-length' && k !== 'transfer-encoding' && k !== 'content-encoding') out[k] = v;
        });
        res.writeHead(upstream.status, out);
        res.end(text);
      })().catch((error: Error) => reply(res, 500, { __type: 'EmulatorError', Message: error.message }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  emulator.endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  emulator.close = () =>
    new Promise<void>((resolve) => {
      s3.destroy();
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return emulator;
}
