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

/** The typed error `promise` rejects with; fails the test if it resolves or rejects with something untyped. */
export async function rejectionOf(promise: Promise<unknown>): Promise<VpnChatopsError> {
  const error = await promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (reason: unknown) => reason,
  );
  if (!(error instanceof VpnChatopsError))
    throw new Error(`expected a VpnChatopsError, got: ${String(error)}`, { cause: error });
  return error;
}
