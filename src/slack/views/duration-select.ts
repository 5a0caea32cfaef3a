import { formatDuration } from '../../domain/duration';
import { DAY_MS } from '../../domain/time';
import { plain } from './blocks';
import { SLACK_LIMITS } from './limits';

/** What the Home's Issue offers beside the default: the common lengths of time-boxed access, in hours. */
export const OFFERED_HOURS: readonly number[] = [8, 24, 72, 168, 336, 720];

/** The select's value for a regular certificate of CERT_DAYS. */
export const DEFAULT_DURATION = 'default';

const WORDS: Record<string, string> = { '1d': '1 day', '1w': '1 week', '2w': '2 weeks' };
const label = (hours: number) => {
  const short = formatDuration({ hours });
  return WORDS[short] ?? `${short.slice(0, -1)} ${{ h: 'hours', d: 'days', w: 'weeks' }[short.slice(-1)]}`;
};

/**
 * How long an Issue is for: "until <date>" (CERT_DAYS, the default), then only the lengths within
 * MAX_ACCESS_HOURS, so nobody is offered what the worker would refuse.
 */
export function durationSelect(
  actionId: string,
  input: { now: Date; certDays: number; maxHours: number },
): Record<string, unknown> {
  const until = new Date(input.now.getTime() + input.certDays * DAY_MS).toISOString().slice(0, 10);
  const standard = { text: plain(`Until ${until}`, SLACK_LIMITS.optionText), value: DEFAULT_DURATION };
  const timeBoxed = OFFERED_HOURS.filter((hours) => hours <= input.maxHours).map((hours) => ({
    text: plain(`For ${label(hours)}`, SLACK_LIMITS.optionText),
    value: String(hours),
  }));
  return {
    type: 'static_select',
    action_id: actionId,
    placeholder: plain('How long', SLACK_LIMITS.placeholder),
    options: [standard, ...timeBoxed],
    initial_option: standard,
  };
}

/** The select's value back as validHours: undefined for the default; anything else but a number of hours is ignored. */
export function chosenHours(value: string | undefined): number | undefined {
  return value !== undefined && /^[1-9]\d{0,4}$/.test(value) ? Number(value) : undefined;
}
