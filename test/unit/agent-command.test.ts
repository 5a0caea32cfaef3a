import { buildProgram } from '../../src/cli/main';
import type { CliWiring } from '../../src/composition/cli';
import { defaultAgentId, planAgent } from '../../src/composition/agent';
import { loadConfig } from '../../src/config';
import { testCa } from '../helpers/ca';
import { tempDir } from '../helpers/tools';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const openvpn = (name: string) => ({
  type: 'openvpn',
  name,
  management: 'unix:/run/openvpn/mgmt.sock',
  crlFile: `/etc/openvpn/${name}/crl.pem`,
  remote: 'vpn.example.com 1194 udp',
});

describe('vpnctl agent: what it serves, checked before anything is opened', () => {
  const dir = tempDir('agent-command');
  afterAll(() => dir.remove());

  const config = (env: Record<string, string> = {}) =>
    loadConfig({
      VPN_ENDPOINTS: JSON.stringify([
        openvpn('office'),
        openvpn('lab'),
        { type: 'aws-client-vpn', id: 'cvpn-endpoint-0123456789abcdef0', region: 'eu-west-1' },
      ]),
      ...env,
    });

  it('serves every openvpn endpoint, or those named, verified against CA_CERT_FILE', async () => {
    const caFile = join(dir.path, 'ca.crt');
    writeFileSync(caFile, (await testCa()).certPem);
    const all = planAgent(config({ CA_CERT_FILE: caFile }));
    expect(all.endpoints.map((endpoint) => endpoint.name)).toEqual(['office', 'lab']);
    expect(all.ca.x509.ca).toBe(true);
    expect(planAgent(config({ CA_CERT_FILE: caFile }), ['lab']).endpoints.map((endpoint) => endpoint.name)).toEqual([
      'lab',
    ]);
    expect(defaultAgentId(all.endpoints)).toMatch(/^.+:lab\+office$/);
  });

  it.each([
    [['nope'], {}, /--endpoint nope: not an "openvpn" endpoint in VPN_ENDPOINTS \(there: office, lab\)/],
    [[], {}, /CA_CERT_FILE is not set: point it at the CA certificate/],
    [[], { CA_CERT_FILE: '/nonexistent/ca.crt' }, /Cannot read CA_CERT_FILE \/nonexistent\/ca\.crt/],
  ])('refuses --endpoint %j with %j at once: %s', async (names, env, message) => {
    const program = buildProgram(() => ({ config: config(env) }) as CliWiring);
    await expect(
      program.parseAsync(['agent', ...names.flatMap((name) => ['--endpoint', name]), '--once'], { from: 'user' }),
    ).rejects.toThrow(message);
  });

  it('says so when there is no openvpn endpoint to serve', () => {
    expect(() => planAgent(loadConfig({}))).toThrow(/VPN_ENDPOINTS has no "openvpn" endpoint for the agent to serve/);
  });
});
