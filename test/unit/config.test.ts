import { loadConfig } from '../../src/config';

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      CERT_DOMAIN: 'vpn.local',
      CERT_DAYS: 365,
      CRL_DAYS: 180,
      CRL_RENEW_BEFORE_DAYS: 30,
      CRL_PUBLISH_MODE: 'immediate',
      APPROVALS: 'on',
      APPROVAL_TIMEOUT_S: 25,
      REMEMBER_HOURS: 8,
      PROMPT_LIMIT: 3,
      PORT: 3000,
      STATE_DIR: '.vpn-chatops',
      VPN_ENDPOINTS: [],
      ADMIN_SLACK_IDS: [],
    });
  });

  describe('ISSUE_POLICY', () => {
    it('request needs ADMIN_CHANNEL_ID, where requests are posted', () => {
      expect(() => loadConfig({ ISSUE_POLICY: 'request' })).toThrow(
        expect.objectContaining({
          code: 'INVALID_CONFIG',
          message: expect.stringMatching(/ISSUE_POLICY=request needs ADMIN_CHANNEL_ID/),
        }),
      );
      expect(loadConfig({ ISSUE_POLICY: 'request', ADMIN_CHANNEL_ID: 'C0ADMINS' }).ISSUE_POLICY).toBe('request');
    });

    it('group and request without ISSUE_USERGROUP_ID are valid: grants alone (and approvals) let people in', () => {
      expect(loadConfig({ ISSUE_POLICY: 'group' }).ISSUE_POLICY).toBe('group');
      expect(loadConfig({ ISSUE_POLICY: 'request', ADMIN_CHANNEL_ID: 'C0ADMINS' }).ISSUE_USERGROUP_ID).toBeUndefined();
    });

    it('refuses an unknown policy and a malformed group id', () => {
      expect(() => loadConfig({ ISSUE_POLICY: 'closed' })).toThrow(/ISSUE_POLICY: must be open, group or request/);
      expect(() => loadConfig({ ISSUE_POLICY: 'group', ISSUE_USERGROUP_ID: 'vpn-users' })).toThrow(
        /ISSUE_USERGROUP_ID: a user group id looks like S0123ABCD/,
      );
    });
  });

  it('parses lists and endpoints', () => {
    const config = loadConfig({
      ADMIN_SLACK_IDS: 'U01, U02 ,',
      VPN_ENDPOINTS: JSON.stringify([
        { type: 'aws-client-vpn', id: 'cvpn-endpoint-0123456789abcdef0', region: 'eu-west-1' },
        {
          type: 'openvpn',
          name: 'local',
          management: '127.0.0.1:7505',
          crlFile: '/tmp/crl.pem',
          remote: '127.0.0.1 1194 udp',
        },
      ]),
    });
    expect(config.ADMIN_SLACK_IDS).toEqual(['U01', 'U02']);
    expect(config.VPN_ENDPOINTS).toHaveLength(2);
  });

  it('takes where each endpoint logs its connections', () => {
    const config = loadConfig({
      VPN_ENDPOINTS: JSON.stringify([
        {
          type: 'aws-client-vpn',
          id: 'cvpn-endpoint-0123456789abcdef0',
          region: 'eu-west-1',
          logGroup: '/aws/clientvpn/connections',
          logStream: 'cvpn',
        },
        {
          type: 'openvpn',
          name: 'local',
          management: '127.0.0.1:7505',
          crlFile: '/tmp/crl.pem',
          remote: '127.0.0.1 1194 udp',
          logFile: '/var/log/openvpn.log',
        },
      ]),
    });
    expect(config.VPN_ENDPOINTS).toMatchObject([
      { logGroup: '/aws/clientvpn/connections', logStream: 'cvpn' },
      { logFile: '/var/log/openvpn.log' },
    ]);
    expect(() =>
      loadConfig({
        VPN_ENDPOINTS: JSON.stringify([
          {
            type: 'aws-client-vpn',
            id: 'cvpn-endpoint-0123456789abcdef0',
            region: 'eu-west-1',
            logGroup: 'no spaces allowed',
          },
        ]),
      }),
    ).toThrow(/VPN_ENDPOINTS.0.logGroup: a log group name is 1 to 512 letters/);
  });

  describe('an OpenVPN management interface', () => {
    const openvpn = (settings: Record<string, unknown>) => ({
      VPN_ENDPOINTS: JSON.stringify([
        {
          type: 'openvpn',
          name: 'office',
          crlFile: '/etc/openvpn/crl.pem',
          remote: 'vpn.example.com 1194 udp',
          ...settings,
        },
      ]),
    });

    it.each(['127.0.0.1:7505', '127.0.0.53:7505', 'localhost:7505', '[::1]:7505', 'unix:/run/openvpn/mgmt.sock'])(
      'takes %s, on this host',
      (management) => {
        expect(
          loadConfig(openvpn({ management, managementPasswordFile: '/etc/openvpn/mgmt.pw' })).VPN_ENDPOINTS,
        ).toMatchObject([{ management, managementPasswordFile: '/etc/openvpn/mgmt.pw' }]);
      },
    );

    it.each([
      ['an address off the host', { management: '10.0.0.5:7505' }],
      ['every address', { management: '0.0.0.0:7505' }],
      [
        'an address off the host with a password but no explicit yes',
        { management: '10.0.0.5:7505', managementPasswordFile: '/etc/openvpn/mgmt.pw' },
      ],
      [
        'an address off the host with an explicit yes but no password',
        { management: '10.0.0.5:7505', allowRemoteManagement: true },
      ],
    ])('refuses %s at load, naming the setting and the way out', (_label, settings) => {
      expect(() => loadConfig(openvpn(settings))).toThrow(
        `VPN_ENDPOINTS.0.management: ${settings.management} is not on this host: whoever reaches it can approve any login and end any session. Use 127.0.0.1 or a unix: socket, or, if the network is trusted, set "allowRemoteManagement": true together with "managementPasswordFile"`,
      );
    });

    it('takes an address off the host only with "allowRemoteManagement": true and a password file', () => {
      const settings = {
        management: '10.0.0.5:7505',
        allowRemoteManagement: true,
        managementPasswordFile: '/etc/openvpn/mgmt.pw',
      };
      expect(loadConfig(openvpn(settings)).VPN_ENDPOINTS).toMatchObject([settings]);
      expect(() => loadConfig(openvpn({ ...settings, allowRemoteManagement: 'yes' }))).toThrow(
        'VPN_ENDPOINTS.0.allowRemoteManagement: allowRemoteManagement is true or absent',
      );
    });

    it('takes "servedBy": "agent" and nothing else there, keeping the checks on the rest', () => {
      expect(
        loadConfig(openvpn({ management: 'unix:/run/openvpn/mgmt.sock', servedBy: 'agent' })).VPN_ENDPOINTS,
      ).toMatchObject([{ name: 'office', servedBy: 'agent' }]);
      expect(loadConfig(openvpn({ management: '127.0.0.1:7505' })).VPN_ENDPOINTS[0]).not.toHaveProperty('servedBy');
      expect(() => loadConfig(openvpn({ management: '127.0.0.1:7505', servedBy: 'bot' }))).toThrow(
        'VPN_ENDPOINTS.0.servedBy: servedBy is "agent" (served by `vpnctl agent` on the VPN host) or absent (served by the bot itself)',
      );
      expect(() => loadConfig(openvpn({ management: '10.0.0.5:7505', servedBy: 'agent' }))).toThrow(
        'VPN_ENDPOINTS.0.management: 10.0.0.5:7505 is not on this host',
      );
    });

    it('says what an address looks like', () => {
      expect(() => loadConfig(openvpn({ management: 'unix:relative.sock' }))).toThrow(
        'VPN_ENDPOINTS.0.management: management is host:port (e.g. 127.0.0.1:7505) or unix:/absolute/path (e.g. unix:/run/openvpn/mgmt.sock)',
      );
    });
  });

  it("caps APPROVAL_TIMEOUT_S at 25, so a login is answered by 28 s of Client VPN's 30 (the answer is due 3 s after the owner's time)", () => {
    expect(loadConfig({ APPROVAL_TIMEOUT_S: '25' }).APPROVAL_TIMEOUT_S).toBe(25);
    expect(() => loadConfig({ APPROVAL_TIMEOUT_S: '26' })).toThrow(
      /APPROVAL_TIMEOUT_S: must be a whole number from 1 to 25/,
    );
  });

  it.each([
    ['CERT_DAYS', 'soon'],
    ['CERT_DOMAIN', 'Example.COM'],
    ['APPROVAL_TIMEOUT_S', '30'],
    ['CRL_PUBLISH_MODE', 'sometimes'],
    ['APPROVALS', 'false'],
    ['APPROVALS', 'OFF'],
    ['CRL_WINDOW', 'Sunday night'],
    ['VPN_ENDPOINTS', '[{"type":"aws-client-vpn","id":"vpn-1","region":"eu-west-1"}]'],
    ['VPN_ENDPOINTS', 'not json'],
  ])('names the bad setting %s', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(`${name}.*\\n?.*See .env.example`, 's'));
  });

  it('turns approvals off only when told exactly "off"', () => {
    expect(loadConfig({ APPROVALS: 'off' }).APPROVALS).toBe('off');
    expect(() => loadConfig({ APPROVALS: 'no' })).toThrow(
      'APPROVALS: must be "on" (ask in Slack) or "off" (certificate check only, for emergencies)',
    );
  });

  it('says what a number setting expects', () => {
    expect(() => loadConfig({ CERT_DAYS: 'soon' })).toThrow(
      'CERT_DAYS: must be a whole number from 1 to 3650 (default 365)',
    );
    expect(() => loadConfig({ PROMPT_LIMIT: '2.5' })).toThrow(
      'PROMPT_LIMIT: must be a whole number from 1 to 100 (default 3)',
    );
  });

  it('refuses a CRL_WINDOW that ends before it starts when the configuration loads, not when the first command needs it', () => {
    expect(() => loadConfig({ CRL_WINDOW: 'Sun 05:00-03:00 UTC' })).toThrow(
      'CRL_WINDOW "Sun 05:00-03:00 UTC" must end after it starts, on the same day.',
    );
    expect(loadConfig({ CRL_WINDOW: 'Daily 02:00-03:00 UTC' }).CRL_WINDOW).toBe('Daily 02:00-03:00 UTC');
  });

  it('refuses a renewal lead time as long as the CRL lifetime', () => {
    expect(() => loadConfig({ CRL_DAYS: '30', CRL_RENEW_BEFORE_DAYS: '30' })).toThrow(
      /CRL_RENEW_BEFORE_DAYS \(30\) must be less than CRL_DAYS \(30\)/,
    );
  });
});
