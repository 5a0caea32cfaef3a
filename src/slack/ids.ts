/** Every action, callback and block id the bot uses: one place, so views and listeners agree. */
export const ACTION = {
  issue: 'vpn_issue',
  issueWithCsr: 'vpn_issue_csr',
  revokeOwn: 'vpn_revoke_own',
  revokeCertificate: 'vpn_revoke_certificate',
  revokeConfirm: 'vpn_revoke_confirm',
  revokeCancel: 'vpn_revoke_cancel',
  publishCrl: 'vpn_publish_crl',
  homePage: 'vpn_home_page',
  listPage: 'vpn_list_page',
  approve: 'vpn_login_approve',
  notMe: 'vpn_login_not_me',
  reenable: 'vpn_reenable_certificate',
  renew: 'vpn_renew_certificate',
  requestAccess: 'vpn_request_access',
  approveRequest: 'vpn_request_approve',
  denyRequest: 'vpn_request_deny',
  requestHours: 'vpn_request_hours',
  /** How long the Home's Issue is for (a select beside the button; its value rides along with the click). */
  issueDuration: 'vpn_issue_duration',
  extend: 'vpn_extend_access',
} as const;

export const VIEW = {
  csr: 'vpn_csr_submit',
  accessRequest: 'vpn_access_request_submit',
} as const;

export const BLOCK = {
  csrInput: 'csr',
  csrAction: 'csr_value',
  deviceInput: 'device',
  deviceAction: 'device_value',
  durationInput: 'duration',
  durationAction: 'duration_value',
  reasonInput: 'reason',
  reasonAction: 'reason_value',
  requestHours: 'request_hours',
  /** The Home's Issue buttons and duration select: the click reads the select's state under this id. */
  issueActions: 'issue',
} as const;

/** What a revoke confirmation button carries (JSON in the button `value`, ≤ 2000 chars). */
export interface RevokeRequestValue {
  /** Revoke every certificate of this member… */
  slackId?: string;
  /** …or just this one. */
  serial?: string;
  reason: string;
}
