import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { SCHEDULED_TASKS, schedulerHandler } from '../../src/adapters/aws-lambda/scheduler';
import { scheduleExpirySweep } from '../../src/local/expiry-sweep';
import type { ExpirySweepReport } from '../../src/services/expiry-sweep';
import type { VpnAdmin } from '../../src/services/vpn-admin';
import { buildApp } from '../../infra/bin/app';
import { eventually } from '../helpers/eventually';
import { tempDir } from '../helpers/tools';

const report = (overrides: Partial<ExpirySweepReport> = {}): ExpirySweepReport => ({
  expired: 0,
  sessions: [],
  warned: [],
  problems: [],
  ...overrides,
});

describe('the five-minute expiry sweep', () => {
  it('runs on the scheduler function as {"task": "expiry"}, logging what it left, and never the daily job', async () => {
    const logged: string[] = [];
    const actors: string[] = [];
    let daily = 0;
    const admin = {
      sweepExpiry: async (actor: string) => {
        actors.push(actor);
        return report({ expired: 3, problems: ['openvpn:office: the management interface did not answer'] });
      },
      daily: async () => {
        daily++;
        throw new Error('not the daily job');
      },
    } as unknown as VpnAdmin;
    const handler = schedulerHandler(
      async () => admin,
      () => undefined,
      (line) => logged.push(line),
    );
    expect(SCHEDULED_TASKS).toContain('expiry');
    expect(await handler({ task: 'expiry' })).toEqual({
      task: 'expiry',
      expired: 3,
      sessions: [],
      warned: [],
      problems: ['openvpn:office: the management interface did not answer'],
    });
    expect(actors).toEqual(['system:scheduler:expiry']);
    expect(logged).toEqual(['expiry sweep: openvpn:office: the management interface did not answer']);
    expect(daily).toBe(0);
  });

  it('runs in npm start at once and then every interval, keeps going after a failure, and stops cleanly', async () => {
    const reports: string[] = [];
    let calls = 0;
    let inFlight: (() => void) | undefined;
    const admin = {
      sweepExpiry: async (actor: string) => {
        expect(actor).toBe('system:npm-start');
        calls++;
        if (calls === 2) throw new Error('DynamoDB is unreachable');
        if (calls === 3) return report({ problems: ['warning for 0A not sent'] });
        if (calls === 4) await new Promise<void>((resolve) => (inFlight = resolve));
        return report();
      },
    };
    const schedule = scheduleExpirySweep(admin, (message) => reports.push(message), { firstMs: 0, everyMs: 10 });
    await eventually(() => inFlight, 'the fourth run in flight');
    const stopped = schedule.stop();
    let done = false;
    void stopped.then(() => (done = true));
    await new Promise((resolve) => setTimeout(resolve, 30));
    // stop() waits for the run in progress, and no run follows it.
    expect(done).toBe(false);
    inFlight!();
    await stopped;
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(calls).toBe(4);
    expect(reports).toEqual([
      'expiry sweep failed: DynamoDB is unreachable; the next round tries again in 5 minutes',
      'expiry sweep: warning for 0A not sent',
    ]);
  });

  describe('on AWS', () => {
    const outdirs = tempDir('synth-expiry');
    afterAll(() => outdirs.remove());
    const app = new App({
      outdir: join(outdirs.path, 'out'),
      context: {
        region: 'eu-west-1',
        domain: 'vpn.example.com',
        endpoint: 'none',
        adminChannelId: 'C0123456789',
        'aws:cdk:bundling-stacks': [],
      },
    });
    const template = Template.fromStack(buildApp(app));

    it('invokes the scheduler function with {"task": "expiry"} every 5 minutes, through the daily schedule\'s role, without retries', () => {
      const schedules = Object.values(template.findResources('AWS::Scheduler::Schedule')).map(
        (schedule) =>
          schedule.Properties as {
            ScheduleExpression: string;
            Target: { Input: string; RoleArn: unknown; Arn: unknown };
          },
      );
      const sweep = schedules.find((schedule) => schedule.Target.Input === '{"task":"expiry"}')!;
      const daily = schedules.find((schedule) => schedule.Target.Input === '{"task":"daily"}')!;
      expect(sweep.ScheduleExpression).toBe('rate(5 minutes)');
      expect(sweep.Target.Arn).toEqual(daily.Target.Arn);
      expect(sweep.Target.RoleArn).toEqual(daily.Target.RoleArn);
      template.hasResourceProperties('AWS::Scheduler::Schedule', {
        Name: 'vpn-chatops-expiry-sweep',
        Target: Match.objectLike({ RetryPolicy: Match.objectLike({ MaximumRetryAttempts: 0 }) }),
      });
    });

    it('lets a deployed team set MAX_ACCESS_HOURS for the functions that issue and sweep', () => {
      const capped = new App({
        outdir: join(outdirs.path, 'capped'),
        context: {
          region: 'eu-west-1',
          domain: 'vpn.example.com',
          endpoint: 'none',
          adminChannelId: 'C0123456789',
          botSettings: { MAX_ACCESS_HOURS: '72' },
          'aws:cdk:bundling-stacks': [],
        },
      });
      const functions = Template.fromStack(buildApp(capped)).findResources('AWS::Lambda::Function');
      const capOf = (name: string) =>
        Object.values(functions).find((resource) =>
          String((resource.Properties as { FunctionName?: string }).FunctionName).endsWith(name),
        )?.Properties.Environment.Variables.MAX_ACCESS_HOURS as string | undefined;
      expect([capOf('-worker'), capOf('-scheduler')]).toEqual(['72', '72']);
    });

    it('leaves cdk-nag (AwsSolutions) nothing to report', () => {
      const nag = new AwsSolutionsChecks().validateScope(app);
      expect(nag.violations.map((violation) => `${violation.ruleName}: ${violation.description}`)).toEqual([]);
    });
  });
});
