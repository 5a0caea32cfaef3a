import type { ListenerDeps } from '../../context';
import { ACTION, BLOCK } from '../../ids';
import { chosenHours } from '../../views/duration-select';
import { jobButton } from './button';

/** The Home's Issue, for as long as its duration select says (the worker checks it against MAX_ACCESS_HOURS). */
export const issue = (deps: ListenerDeps) =>
  jobButton(
    deps,
    (body) => {
      const validHours = chosenHours(
        body.view?.state?.values?.[BLOCK.issueActions]?.[ACTION.issueDuration]?.selected_option?.value,
      );
      return {
        type: 'issue',
        userId: body.user.id,
        teamId: body.team?.id,
        responseUrl: body.response_url,
        ...(validHours !== undefined && { validHours }),
      };
    },
    { once: true },
  );
