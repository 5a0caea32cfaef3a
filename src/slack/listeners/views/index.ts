import type { App } from '@slack/bolt';
import type { ListenerDeps } from '../../context';
import { VIEW } from '../../ids';
import { accessRequestSubmit } from './access-request-submit';
import { csrSubmit } from './csr-submit';

export function registerViews(app: App, deps: ListenerDeps): void {
  app.view(VIEW.csr, csrSubmit(deps));
  app.view(VIEW.accessRequest, accessRequestSubmit(deps));
}
