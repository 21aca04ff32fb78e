/**
 * What moto_server lacks for EMR, in front of it on its own port:
 *
 * - notebook executions (StartNotebookExecution, DescribeNotebookExecution,
 *   StopNotebookExecution) are not implemented by moto: this answers them
 *   itself, moving each execution START_PENDING → RUNNING → FINISHED one
 *   state per describe (FAILED, with a reason, for editor ids told to fail);
 * - moto never moves a step out of RUNNING: DescribeStep answers are moto's,
 *   with the state moved to COMPLETED once the step was described
 *   `describesPerStep` times (FAILED with FailureDetails for step names told
 *   to fail), like moto's own state manager does for Glue and Athena.
 *
 * Every other call is forwarded to moto unchanged, and every EMR request is
 * recorded so tests can assert what the operators sent. The AWS SDK talks real
 * HTTP to this, exactly as to moto or to AWS.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

interface Notebook {
  id: string;
  editor: string;
  cluster: string;
  relativePath: string;
  params: string | null;
  status: string;
  reason: string | null;
}

export interface EmrEmulator {
  endpoint: string;
  /** EMR requests seen (X-Amz-Target without the service prefix, and the JSON body) */
  requests: { operation: string; body: Record<string, any> }[];
  failSteps: Map<string, { Reason: string; Message: string; LogFile: string }>;
  failNotebooks: Map<string, string>;
  describesPerStep: number;
  close(): Promise<void>;
}

const NOTEBOOK_FLOW = ['START_PENDING', 'STARTING', 'RUNNING', 'FINISHING', 'FINISHED'];

export async function startEmrEmulator(motoEndpoint: string): Promise<EmrEmulator> {
  const notebooks = new Map<string, Notebook>();
  const stepDescribes = new Map<string, number>();
  const emulator: EmrEmulator = { endpoint: '', requests: [], failSteps: new Map(), failNotebooks: new Map(), describesPerStep: 1, close: async () => undefined };

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
        const operation = target.startsWith('ElasticMapReduce.') ? target.slice('ElasticMapReduce.'.length) : null;
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
          if (nb.status === 'RUNNING' && failure) [nb.status, nb.reason] = ['FAILED', failure];
          else if (NOTEBOOK_FLOW.includes(nb.status) && nb.status !== 'FINISHED') nb.status = NOTEBOOK_FLOW[NOTEBOOK_FLOW.indexOf(nb.status) + 1];
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
  emulator.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return emulator;
}
