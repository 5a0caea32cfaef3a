import type { CertificateStatus } from '../../domain/certificate';
import { actions, button } from './blocks';
import { count } from './format';
import type { Block, CertificatePageRows } from './types';

/** A page's place travels in a button value as `<page>:<cursor>`; the first page has no cursor. */
export interface PagePlace {
  page: number;
  cursor?: string;
}

const PLACE = /^(\d{1,6}):([A-Za-z0-9_-]{0,1000})$/;

export const placeValue = (place: PagePlace): string => `${place.page}:${place.cursor ?? ''}`;

/** Anything that is not a place this bot wrote reads as the first page. */
export function parsePlace(value: string): PagePlace {
  const match = PLACE.exec(value);
  if (!match || !match[2]) return { page: 0 };
  return { page: Number(match[1]), cursor: match[2] };
}

const STATUS_ORDER: CertificateStatus[] = ['active', 'suspended', 'expired', 'revoked'];

export const totalOf = (counts: Record<CertificateStatus, number>): number =>
  STATUS_ORDER.reduce((sum, status) => sum + counts[status], 0);

/** "40,000: 19,950 active, 50 suspended, 20,000 revoked" */
export function countsText(counts: Record<CertificateStatus, number>): string {
  const breakdown = STATUS_ORDER.filter((status) => counts[status] > 0)
    .map((status) => `${count(counts[status])} ${status}`)
    .join(', ');
  return `${count(totalOf(counts))}: ${breakdown}`;
}

/** "Page 3 of 2,000"; the counts may lag a page the table has since grown by. */
export function pageText(rows: CertificatePageRows, pageSize: number): string {
  const pages = Math.max(Math.ceil(totalOf(rows.counts) / pageSize), rows.page + (rows.next ? 2 : 1));
  return `Page ${count(rows.page + 1)} of ${count(pages)}`;
}

/** Next, and back to the first page; two actions blocks, since both buttons share one action_id. */
export function pagerBlocks(rows: CertificatePageRows, actionId: string): Block[] {
  return [
    rows.page > 0 && actions(button('⏮ First page', actionId, { value: placeValue({ page: 0 }) })),
    rows.next !== undefined &&
      actions(button('Next ▶', actionId, { value: placeValue({ page: rows.page + 1, cursor: rows.next }) })),
  ].filter((block): block is Block => block !== false);
}
