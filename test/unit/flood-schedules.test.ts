import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { SCHEDULED_TASKS, schedulerHandler } from '../../src/adapters/aws-lambda/scheduler';
import { scheduleFloodWatch } from '../../src/local/flood-watch';
import type { FloodWatchReport } from '../../src/services/flood-watch';
import type { VpnAdmin } from '../../src/services/vpn-admin';
import { buildApp } from '../../infra/bin/app';
import { eventually } from '../helpers/eventually';
import { tempDir } from '../helpers/tools';

const report = (overrides: Partial<FloodWatchReport> = {}): FloodWatchReport => ({
  watched: [],
  unwatched: [],
  alerted: [],
  problems: [],
  ...overrides,
});

describe('the 15-minute flood watch', () => {
  it('runs on the scheduler function as {"task": "floods"}, logging what it could not do, and never the daily job', async () => {
    const logged: string[] = [];
    let daily = 0;
    const admin = {
      watchFloods: async () =>
        report({
          watched: ['openvpn:office'],
          alerted: [{ endpoint: 'openvpn:office', kind: 'started' }],
          problems: ['aws-client-vpn:cvpn-endpoint-1: the log group is gone'],
        }),
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
    expect(SCHEDULED_TASKS).toContain('floods');
    expect(await handler({ task: 'floods' })).toEqual({
      task: 'floods',
      watched: ['openvpn:office'],
      unwatched: [],
      alerted: [{ endpoint: 'openvpn:office', kind: 'started' }],
      problems: ['aws-client-vpn:cvpn-endpoint-1: the log group is gone'],
    });
    expect(logged).toEqual(['flood watch: aws-client-vpn:cvpn-endpoint-1: the log group is gone']);
    expect(daily).toBe(0);
  });

  it('runs in npm start at once and then every interval, keeps going after a failure, and stops cleanly', async () => {
    const reports: string[] = [];
    let calls = 0;
    const admin = {
      watchFloods: async () => {
        calls++;
        if (calls === 2) throw new Error('DynamoDB is unreachable');
        if (calls === 3) return report({ problems: ['openvpn:office: the log is unreadable'] });
        return report();
      },
    };
    const schedule = scheduleFloodWatch(admin, (message) => reports.push(message), { firstMs: 0, everyMs: 10 });
    await eventually(() => calls >= 4 || undefined, 'four rounds');
    await schedule.stop();
    const after = calls;
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(calls).toBe(after);
    expect(reports.slice(0, 2)).toEqual([
      'flood watch failed: DynamoDB is unreachable; the next round tries again in 15 minutes',
      'flood watch: openvpn:office: the log is unreadable',
    ]);
  });

  describe('on AWS', () => {
    const outdirs = tempDir('synth-floods');
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

    it('invokes the scheduler function with {"task": "floods"} every 15 minutes, through the daily schedule\'s role, without retries', () => {
      const schedules = Object.values(template.findResources('AWS::Scheduler::Schedule')).map(
        (schedule) =>
          schedule.Properties as {
            ScheduleExpression: string;
            Target: { Input: string; RoleArn: unknown; Arn: unknown };
          },
      );
      const floods = schedules.find((schedule) => schedule.Target.Input === '{"task":"floods"}')!;
      const daily = schedules.find((schedule) => schedule.Target.Input === '{"task":"daily"}')!;
      expect(floods.ScheduleExpression).toBe('rate(15 minutes)');
      expect(floods.Target.Arn).toEqual(daily.Target.Arn);
      expect(floods.Target.RoleArn).toEqual(daily.Target.RoleArn);
      template.hasResourceProperties('AWS::Scheduler::Schedule', {
        Name: 'vpn-chatops-flood-watch',
        Target: Match.objectLike({ RetryPolicy: Match.objectLike({ MaximumRetryAttempts: 0 }) }),
      });
    });

    it('leaves cdk-nag (AwsSolutions) nothing to report', () => {
      const nag = new AwsSolutionsChecks().validateScope(app);
      expect(nag.violations.map((violation) => `${violation.ruleName}: ${violation.description}`)).toEqual([]);
    });
  });
});
