import { formatDuration } from '../../domain/duration';
import { message, section } from './blocks';
import { formatTime } from './format';
import { code, userText } from './markup';
import type { MessageView } from './types';

export function issuedDmMessage(input: {
  cn: string;
  serial: string;
  notAfter: Date;
  endpointKind: 'aws-client-vpn' | 'openvpn';
  fileName: string;
  csr: boolean;
  /** Time-boxed access: how many hours it was asked for, so the DM says when it ends and what happens then. */
  accessHours?: number;
}): MessageView {
  const file = code(input.fileName);
  const keyFile = code(`${input.cn}.key`);
  const secrecy = input.csr
    ? `🔑 Your private key never left your computer: save it as ${keyFile} next to ${file}. The AWS VPN Client and OpenVPN Connect import a single file, so for them replace the line ${code(`key ${input.cn}.key`)} in the profile with your key between ${code('<key>')} and ${code('</key>')} lines.`
    : `🔐 *${file} contains your private key.* Do not share or forward it: anyone who has it can connect as you. If it leaks, revoke it on the Home tab (or \`/vpn revoke\`) and issue a new one.`;
  const aws = '*AWS VPN Client*: File → Manage Profiles → Add Profile, choose the file, then Connect.';
  const openvpn = '*OpenVPN Connect*: Import Profile → File, choose the file, then connect.';
  const clients = input.endpointKind === 'aws-client-vpn' ? [aws, openvpn] : [openvpn, aws];
  const phones = mobileSteps(input.endpointKind, input.csr);
  const expires = formatTime(input.notAfter);
  const ends =
    input.accessHours === undefined
      ? `It expires *${expires}*; \`/vpn status\` shows how long is left.`
      : `⏱️ Your access ends *${expires}* (${formatDuration({ hours: input.accessHours })}): then the VPN disconnects you. I DM you 15 minutes before, with an Extend button.`;
  const summary = input.accessHours === undefined ? `It expires ${expires}.` : `Your access ends ${expires}.`;
  return message(`Your VPN profile ${userText(input.fileName)} is attached. ${summary}`, [
    section(
      `*Your VPN profile is ready:* ${file}\nCertificate ${code(input.cn)} · serial ${code(input.serial, 64)}\n${ends}`,
    ),
    section(secrecy),
    section(
      [
        '*Set it up*',
        `1. ${clients[0]}`,
        `2. ${clients[1]}`,
        `3. *Linux*: \`sudo openvpn --config ${userText(input.fileName)}\``,
      ].join('\n'),
    ),
    section(phones),
  ]);
}

/**
 * OpenVPN Connect on iOS and Android imports one self-contained file, which every profile we hand out is
 * (pki/portable-profile.ts), except a CSR profile: it names the key file, which a phone cannot open.
 */
function mobileSteps(endpointKind: 'aws-client-vpn' | 'openvpn', csr: boolean): string {
  const lines = [
    '*On a phone* (OpenVPN Connect, from the App Store or Google Play)',
    '• *iPhone/iPad*: save the file to Files, open it (or share it) with OpenVPN Connect, tap Add, then connect.',
    '• *Android*: open the file with OpenVPN Connect, or in the app Import Profile → Upload file, then connect.',
  ];
  if (endpointKind === 'aws-client-vpn')
    lines.push(
      'The AWS VPN Client is desktop-only (Windows, macOS, Ubuntu); on phones AWS supports OpenVPN Connect for certificate-authenticated endpoints like this one.',
    );
  if (csr)
    lines.push(
      '📵 As sent, this profile will not import on a phone: it names your key file, and the app imports one file. Put the key inline first (above).',
    );
  return lines.join('\n');
}
