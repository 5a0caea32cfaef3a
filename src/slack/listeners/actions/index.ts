import type { App } from '@slack/bolt';
import type { ListenerDeps } from '../../context';
import { ACTION } from '../../ids';
import { decideRequest } from './decide-request';
import { extend } from './extend';
import { issue } from './issue';
import { issueDuration } from './issue-duration';
import { issueWithCsr } from './issue-with-csr';
import { homePage } from './home-page';
import { approveLogin, notMe } from './login-answer';
import { publishCrl } from './publish-crl';
import { reenable } from './reenable';
import { renew } from './renew';
import { requestAccess } from './request-access';
import { requestHours } from './request-hours';
import { revokeCancel } from './revoke-cancel';
import { revokeCertificate, revokeOwn } from './revoke-certificate';
import { revokeConfirm } from './revoke-confirm';

export function registerActions(app: App, deps: ListenerDeps): void {
  app.action(ACTION.revokeConfirm, revokeConfirm(deps));
  app.action(ACTION.revokeOwn, revokeOwn(deps));
  app.action(ACTION.revokeCertificate, revokeCertificate(deps));
  app.action(ACTION.publishCrl, publishCrl(deps));
  app.action(ACTION.issue, issue(deps));
  app.action(ACTION.renew, renew(deps));
  app.action(ACTION.extend, extend(deps));
  app.action(ACTION.homePage, homePage(deps));
  app.action(ACTION.approve, approveLogin(deps));
  app.action(ACTION.notMe, notMe(deps));
  app.action(ACTION.reenable, reenable(deps));
  app.action(ACTION.revokeCancel, revokeCancel);
  app.action(ACTION.issueWithCsr, issueWithCsr);
  app.action(ACTION.requestAccess, requestAccess(deps));
  app.action(ACTION.requestHours, requestHours);
  app.action(ACTION.approveRequest, decideRequest(deps, true));
  app.action(ACTION.denyRequest, decideRequest(deps, false));
  app.action(ACTION.issueDuration, issueDuration);
}
