import { VpnChatopsError } from '../../src/domain/errors';

/** The typed error `fn` throws; fails the test if it throws nothing or something untyped. */
export function errorOf(fn: () => unknown): VpnChatopsError {
  try {
    fn();
  } catch (error) {
    if (error instanceof VpnChatopsError) return error;
    throw new Error(`expected a VpnChatopsError, got: ${String(error)}`, { cause: error });
  }
  throw new Error('expected a VpnChatopsError, but nothing was thrown');
}
