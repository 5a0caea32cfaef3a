import { AgentServedEndpoint } from '../../src/adapters/agent/endpoint';
import { ShippedConnectionLog } from '../../src/adapters/agent/connection-log';
import { OpenVpnEndpoint } from '../../src/adapters/openvpn/endpoint';
import { connectionLogsFor, endpointsFor } from '../../src/composition/endpoints';
import { loadConfig } from '../../src/config';
import {
  MemoryAgentRegistry,
  MemoryCrlDistribution,
  MemorySessionKillQueue,
  MemoryShippedLog,
} from '../helpers/agent-fakes';
import { testCa } from '../helpers/ca';

const config = loadConfig({
  VPN_ENDPOINTS: JSON.stringify([
    {
      type: 'openvpn',
      name: 'office',
      servedBy: 'agent',
      management: 'unix:/run/openvpn/mgmt.sock',
      crlFile: '/etc/openvpn/crl.pem',
      logFile: '/var/log/openvpn.log',
      remote: 'vpn.example.com 1194 udp',
    },
    {
      type: 'openvpn',
      name: 'lab',
      management: '127.0.0.1:7505',
      crlFile: '/etc/openvpn/lab-crl.pem',
      logFile: '/var/log/openvpn-lab.log',
      remote: 'lab.example.com 1194 udp',
    },
  ]),
});

const stores = () => ({
  crlDistribution: new MemoryCrlDistribution(),
  sessionKills: new MemorySessionKillQueue(),
  agents: new MemoryAgentRegistry(),
  shippedLog: new MemoryShippedLog(),
});

describe('wiring an agent-served endpoint', () => {
  it('reaches a "servedBy": "agent" endpoint through the table and the others directly', async () => {
    const [office, lab] = endpointsFor(config, await testCa(), { agent: stores() });
    expect(office).toBeInstanceOf(AgentServedEndpoint);
    expect(office.key).toBe('openvpn:office');
    expect(lab).toBeInstanceOf(OpenVpnEndpoint);
  });

  it('refuses, naming the endpoint and the way out, where the table is not wired in: its paths are on the VPN host', async () => {
    const ca = await testCa();
    expect(() => endpointsFor(config, ca)).toThrow(
      'openvpn:office is "servedBy": "agent" in VPN_ENDPOINTS, so it is reached only through the table (DynamoDB), and this runs without the table.',
    );
  });

  it("reads an agent-served endpoint's connection log from what the agent shipped, never from the file on its host", async () => {
    const [office, lab] = connectionLogsFor(config, stores());
    expect(office).toBeInstanceOf(ShippedConnectionLog);
    expect(office.endpoint).toBe('openvpn:office');
    expect(lab.endpoint).toBe('openvpn:lab');
    expect(lab).not.toBeInstanceOf(ShippedConnectionLog);

    const [unwired] = connectionLogsFor(config);
    await expect(unwired.read(new Date(0), new Date())).rejects.toThrow(
      'openvpn:office: no connection log is configured: it is "servedBy": "agent"',
    );
  });
});
