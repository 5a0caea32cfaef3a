import type { ConnectDecision, ConnectRequest } from '../../domain/approval';

/** Field values longer than this are not from a real client; they are cut, never trusted. */
const MAX_FIELD = 256;

const text = (event: Record<string, unknown>, name: string): string => {
  const value = event[name];
  return typeof value === 'string' ? value.slice(0, MAX_FIELD) : typeof value === 'number' ? String(value) : '';
};

/**
 * Client VPN's connect-handler request (schema v1/v2), read leniently: every field optional,
 * unknown fields ignored, wrong types treated as missing. Returns undefined when it is not an
 * object at all.
 */
export function parseConnectEvent(event: unknown): ConnectRequest | undefined {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) return undefined;
  const fields = event as Record<string, unknown>;
  return {
    connectionId: text(fields, 'connection-id'),
    endpointId: text(fields, 'endpoint-id'),
    commonName: text(fields, 'common-name'),
    publicIp: text(fields, 'public-ip'),
    platform: text(fields, 'platform'),
    platformVersion: text(fields, 'platform-version'),
    clientVersion: text(fields, 'client-openvpn-version'),
  };
}

/** The v2 response Client VPN expects. */
export function connectResponse(decision: ConnectDecision) {
  return {
    allow: decision.allow,
    'error-msg-on-denied-connection': decision.allow ? '' : decision.message,
    'posture-compliance-statuses': [] as string[],
    'schema-version': 'v2',
  };
}
