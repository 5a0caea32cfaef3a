import { writeFileSync } from 'node:fs';
import { AddressInfo, createServer } from 'node:net';
import { join } from 'node:path';
import { ManagementLink } from '../../src/agent/management-link';
import { Repeater } from '../../src/agent/repeater';
import { freeTcpPort } from '../../src/adapters/dynamodb/local-server';
import { sweepLocally } from '../../src/services/agent/session-sweep';
import type { CertificateStore } from '../../src/ports';
import { eventually } from '../helpers/eventually';
import { MemoryAuditLog } from '../helpers/memory-stores';
import { certificateRecord } from '../helpers/records';
import { FakeOpenVpnEndpoint, RecordingLog, TestClock } from '../helpers/agent-runtime-fakes';
import { tempDir } from '../helpers/tools';

const BANNER = ">INFO:OpenVPN Management Interface Version 5 -- type 'help' for more info\r\n";

describe('the agent says what is wrong once, and when it is right again', () => {
  it('a refused management port: one line however many retries, then connected once the server listens', async () => {
    const port = await freeTcpPort();
    const log = new RecordingLog();
    const link = new ManagementLink({
      endpoint: 'openvpn:office',
      address: `127.0.0.1:${port}`,
      log,
      up: () => undefined,
      down: () => undefined,
      backoffMs: [5],
    });
    link.start();
    const server = createServer((socket) => socket.write(BANNER));
    try {
      await eventually(() => log.lines.length > 0 || undefined, 'the first refusal');
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(log.at('error')).toEqual([
        'openvpn:office: cannot connect to the management interface (logins are not answered until it is back); retrying, at most every 0.005 s',
      ]);
      expect(log.lines[0].error).toBe(
        `OpenVPN management interface at 127.0.0.1:${port} refused the connection: is the server running with --management 127.0.0.1 ${port}?`,
      );
      await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
      await eventually(() => link.client, 'the connection');
      expect(log.at('info')).toEqual([
        `openvpn:office: connected to the management interface at 127.0.0.1:${port}; answering logins`,
      ]);
    } finally {
      await link.stop();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('a wrong management password: one line naming the password file', async () => {
    const dir = tempDir('agent-wrong-password');
    const passwordFile = join(dir.path, 'management.pw');
    writeFileSync(passwordFile, 'not the password\n');
    // OpenVPN asks again after a wrong password.
    const server = createServer((socket) => {
      socket.write('ENTER PASSWORD:');
      socket.on('data', () => socket.write('ENTER PASSWORD:'));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    const log = new RecordingLog();
    const link = new ManagementLink({
      endpoint: 'openvpn:office',
      address,
      passwordFile,
      log,
      up: () => undefined,
      down: () => undefined,
      backoffMs: [5],
    });
    link.start();
    try {
      await eventually(() => log.lines[0], 'the refusal');
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(log.lines).toHaveLength(1);
      expect(log.lines[0].error).toContain(`did not accept the password in ${passwordFile}`);
      expect(link.client).toBeUndefined();
    } finally {
      await link.stop();
      await new Promise((resolve) => server.close(resolve));
      dir.remove();
    }
  });

  it('a loop whose table is down: one error line, and one line when it works again', async () => {
    const log = new RecordingLog();
    let failures = 3;
    const ran: number[] = [];
    const repeater = new Repeater(
      'the heartbeat',
      1,
      async () => {
        ran.push(failures);
        if (failures-- > 0) throw new Error('connect ECONNREFUSED 127.0.0.1:8000');
      },
      log,
    );
    repeater.start();
    await eventually(() => ran.length >= 5 || undefined, 'five rounds');
    await repeater.stop();
    expect(log.lines).toEqual([
      {
        level: 'error',
        message: 'the heartbeat failed; retrying every 0.001 s',
        error: 'connect ECONNREFUSED 127.0.0.1:8000',
      },
      { level: 'info', message: 'the heartbeat: working again' },
    ]);
  });
});

describe('sweepLocally', () => {
  it('ends sessions whose certificate is not active, and logs what it did', async () => {
    const alice = certificateRecord({ cn: 'alice.laptop-U0ALICE.vpn.test' });
    const certificates = {
      byActiveCn: async (cn: string) => (cn === alice.cn ? alice : undefined),
    } as unknown as CertificateStore;
    const endpoint = new FakeOpenVpnEndpoint();
    endpoint.sessions = [
      { connectionId: '1', commonName: alice.cn },
      { connectionId: '2', commonName: 'mallory.laptop-U0MAL.vpn.test' },
    ];
    const log = new RecordingLog();
    const audit = new MemoryAuditLog();
    const steps = await sweepLocally(
      { certificates, audit, clock: new TestClock(new Date()), actor: 'agent:vpn1', log },
      [endpoint],
    );
    expect(steps).toEqual([{ endpoint: endpoint.key, terminated: 1 }]);
    expect(endpoint.sessions.map((session) => session.connectionId)).toEqual(['1']);
    expect(audit.entries[0]).toMatchObject({ actor: 'agent:vpn1', action: 'sessions.terminate' });
    expect(log.at('info')).toEqual([
      'openvpn:office: the session sweep ended 1 session(s) without an active certificate',
    ]);
  });
});
