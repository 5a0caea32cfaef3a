import { VpnChatopsError } from '../../domain/errors';
import type { CertificateStore } from '../../ports';
import type { PagePlace } from '../views/certificate-pager';
import type { CertificatePageRows } from '../views/types';

/**
 * The page of every certificate a click asked for, with the totals by status. A cursor the store does not
 * recognise (a page that no longer exists, or a value that was not ours) shows the first page instead.
 */
export async function certificatePage(
  certificates: Pick<CertificateStore, 'page' | 'counts'>,
  limit: number,
  place: PagePlace,
  now: Date,
): Promise<CertificatePageRows> {
  const first = async () => ({ ...(await certificates.page({ limit, now })), page: 0 });
  const [rows, counts] = await Promise.all([
    place.cursor === undefined
      ? first()
      : certificates
          .page({ limit, cursor: place.cursor, now })
          .then((page) => ({ ...page, page: place.page }))
          .catch((error: unknown) => {
            if (error instanceof VpnChatopsError && error.code === 'NOT_FOUND') return first();
            throw error;
          }),
    certificates.counts(now),
  ]);
  return { ...rows, counts };
}
