import { appendLogKeys } from '../log';
import type { ApprovalStore } from '../ports';

/**
 * The approval store, tagging the invocation's log lines with the approval it opens (the connect
 * function) or decides (the Slack function), so one login can be followed across both.
 */
export function approvalsInLogs(approvals: ApprovalStore): ApprovalStore {
  const tagged: Pick<ApprovalStore, 'create' | 'decide' | 'decideByMessage'> = {
    create: (approval) => {
      appendLogKeys({ approval_id: approval.id });
      return approvals.create(approval);
    },
    decide: (id, status, by, at) => {
      appendLogKeys({ approval_id: id });
      return approvals.decide(id, status, by, at);
    },
    decideByMessage: async (channel, ts, owner, status, at) => {
      const decided = await approvals.decideByMessage(channel, ts, owner, status, at);
      if (typeof decided === 'object') appendLogKeys({ approval_id: decided.id });
      return decided;
    },
  };
  // Every other method is the store's own, called on the store, whatever the store keeps inside.
  return new Proxy(approvals, {
    get(store, name) {
      if (typeof name === 'string' && name in tagged) return tagged[name as keyof typeof tagged];
      const value: unknown = Reflect.get(store, name, store);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(store) : value;
    },
  });
}
