import type { Approval } from '../../src/domain/approval';
import type { ApprovalStore } from '../../src/ports';

type LogModule = typeof import('../../src/log');
type Line = Record<string, unknown>;

/** src/log.ts as loaded with `env` set (it picks its output once, when loaded), and every line it writes. */
async function loadLog(env: Record<string, string | undefined>) {
  const saved = Object.fromEntries(Object.keys(env).map((name) => [name, process.env[name]]));
  const set = (name: string, value: string | undefined) =>
    value === undefined ? delete process.env[name] : (process.env[name] = value);
  for (const [name, value] of Object.entries(env)) set(name, value);
  let log!: LogModule;
  let inLogs!: typeof import('../../src/composition/approvals-in-logs');
  // The error class of the same module registry, so `instanceof` in src/log.ts holds.
  let errors!: typeof import('../../src/domain/errors');
  try {
    await jest.isolateModulesAsync(async () => {
      [log, inLogs, errors] = await Promise.all([
        import('../../src/log'),
        import('../../src/composition/approvals-in-logs'),
        import('../../src/domain/errors'),
      ]);
    });
  } finally {
    for (const [name, value] of Object.entries(saved)) set(name, value);
  }
  const lines: Line[] = [];
  const record = (chunk: unknown) => {
    for (const text of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(text) as Line);
    return true;
  };
  jest.spyOn(process.stdout, 'write').mockImplementation(record);
  jest.spyOn(process.stderr, 'write').mockImplementation(record);
  for (const method of ['error', 'warn', 'info', 'log'] as const)
    jest.spyOn(console, method).mockImplementation((...args: unknown[]) => record(args[0]));
  return { log, approvalsInLogs: inLogs.approvalsInLogs, VpnChatopsError: errors.VpnChatopsError, lines };
}

const context = (requestId: string) => ({
  awsRequestId: requestId,
  functionName: 'vpn-chatops-connect',
  memoryLimitInMB: '256',
  invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:vpn-chatops-connect',
});

afterEach(() => jest.restoreAllMocks());

describe('log lines on Lambda (Powertools)', () => {
  const lambda = () =>
    loadLog({
      AWS_LAMBDA_FUNCTION_NAME: 'vpn-chatops-connect',
      AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
      POWERTOOLS_DEV: undefined,
      POWERTOOLS_LOG_LEVEL: undefined,
      AWS_LAMBDA_LOG_LEVEL: undefined,
    });

  it('carry the request id, the cold start and the correlation keys, with levels by error kind in lower case', async () => {
    const { log, VpnChatopsError, lines } = await lambda();
    log.startInvocationLog(context('req-1'), { slack_event_id: 'Ev0001', slack_trigger_id: undefined });
    log.logError('job issue failed', new VpnChatopsError('CONFLICT', 'You already have an active certificate'));
    log.logError('store down', new VpnChatopsError('STORE_UNAVAILABLE', 'DynamoDB is unreachable'));
    log.logWarning('Slack request refused with 401: the request is not signed');
    expect(lines).toEqual([
      expect.objectContaining({
        level: 'warn',
        message: 'job issue failed',
        code: 'CONFLICT',
        error: 'You already have an active certificate',
        function_request_id: 'req-1',
        cold_start: true,
        slack_event_id: 'Ev0001',
        service: 'vpn-chatops',
      }),
      expect.objectContaining({
        level: 'error',
        message: 'store down',
        code: 'STORE_UNAVAILABLE',
        function_request_id: 'req-1',
        slack_event_id: 'Ev0001',
      }),
      expect.objectContaining({
        level: 'warn',
        message: 'Slack request refused with 401: the request is not signed',
        function_request_id: 'req-1',
      }),
    ]);
    expect(lines[0]).not.toHaveProperty('slack_trigger_id');
  });

  it("drop the previous invocation's keys, and are no longer a cold start", async () => {
    const { log, lines } = await lambda();
    log.startInvocationLog(context('req-1'), { slack_event_id: 'Ev0001' });
    log.appendLogKeys({ approval_id: 'a-1' });
    log.logInvocation('login decided', { allow: true, reason: 'approved' });
    log.startInvocationLog(context('req-2'));
    log.logInvocation('login decided', { allow: false, reason: 'timeout' });
    expect(lines).toEqual([
      expect.objectContaining({
        level: 'info',
        message: 'login decided',
        allow: true,
        reason: 'approved',
        function_request_id: 'req-1',
        cold_start: true,
        slack_event_id: 'Ev0001',
        approval_id: 'a-1',
      }),
      expect.objectContaining({
        level: 'info',
        message: 'login decided',
        allow: false,
        reason: 'timeout',
        function_request_id: 'req-2',
        cold_start: false,
      }),
    ]);
    expect(lines[1]).not.toHaveProperty('approval_id');
    expect(lines[1]).not.toHaveProperty('slack_event_id');
  });

  it('name the approval a login opened or decided, whichever store call did it', async () => {
    const { log, approvalsInLogs, lines } = await lambda();
    const approval = { id: 'a-opened' } as Approval;
    const store = {
      created: [] as string[],
      async create(opened: Approval) {
        this.created.push(opened.id);
      },
      async decide() {
        return true;
      },
      async decideByMessage() {
        return { id: 'a-reacted' } as Approval;
      },
      async coolDown() {
        this.created.push('cool-down');
      },
    };
    const approvals = approvalsInLogs(store as unknown as ApprovalStore);
    const seen = async (call: () => Promise<unknown>) => {
      log.startInvocationLog(context('req'));
      await call();
      log.logInvocation('done');
      return lines.at(-1)?.approval_id;
    };
    expect(await seen(() => approvals.create(approval))).toBe('a-opened');
    expect(await seen(() => approvals.decide('a-clicked', 'APPROVED', 'U0ALICE', new Date()))).toBe('a-clicked');
    expect(await seen(() => approvals.decideByMessage('D0ALICE', '1.2', 'U0ALICE', 'APPROVED', new Date()))).toBe(
      'a-reacted',
    );
    expect(await seen(() => approvals.coolDown('5C4E', new Date()))).toBeUndefined();
    expect(store.created).toEqual(['a-opened', 'cool-down']);
  });

  it('leave every other store call to the store itself, private fields and all', async () => {
    const { approvalsInLogs } = await lambda();
    class Store {
      readonly #cooled: string[] = [];
      async coolDown(serial: string) {
        this.#cooled.push(serial);
      }
      cooled() {
        return this.#cooled;
      }
    }
    const store = new Store();
    const approvals = approvalsInLogs(store as unknown as ApprovalStore);
    await approvals.coolDown('5C4E', new Date());
    expect(store.cooled()).toEqual(['5C4E']);
  });
});

describe('log lines elsewhere (npm start, the CLI, tests)', () => {
  it('stay the plain JSON lines they were, and leave the invocation trail to Lambda', async () => {
    const { log, VpnChatopsError, lines } = await loadLog({ AWS_LAMBDA_FUNCTION_NAME: undefined });
    log.startInvocationLog(context('req-1'), { slack_event_id: 'Ev0001' });
    log.appendLogKeys({ approval_id: 'a-1' });
    log.logError('job issue failed', new VpnChatopsError('CONFLICT', 'You already have an active certificate'));
    log.logError('worker could not start', new Error('boom'));
    log.logWarning('skipped');
    log.logInvocation('login decided', { allow: true });
    expect(lines).toEqual([
      { level: 'warn', message: 'job issue failed', code: 'CONFLICT', error: 'You already have an active certificate' },
      { level: 'error', message: 'worker could not start', error: 'boom' },
      { level: 'warn', message: 'skipped' },
    ]);
  });
});
