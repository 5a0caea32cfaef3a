// Our own numbers and dates in words: nothing here comes from outside, so nothing needs escaping.

export const count = (n: number) => n.toLocaleString('en-US');

export const plural = (n: number, one: string, many = `${one}s`) => `${count(n)} ${n === 1 ? one : many}`;

export function formatTime(date: Date): string {
  if (Number.isNaN(date.getTime())) return 'an unknown time';
  const iso = date.toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}
