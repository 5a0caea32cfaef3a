#!/bin/sh
# OpenVPN's --tls-crypt-v2-verify hook: runs after the client key unwrapped (so the server key made it) and
# before any TLS. Usage: --tls-crypt-v2-verify "tls-crypt-v2-verify.sh <refusal list>", with --script-security 2.
# The refusal list is one certificate serial a line, written atomically beside crl.pem each time the CRL is
# (src/adapters/openvpn/endpoint.ts), so it says exactly what the CRL says. A grep over that file is one exec
# per handshake; asking `openssl crl` instead would parse the whole CRL on every packet a flood sends.
# Exit 0 admits the client to TLS; anything else drops it. Fails closed: no list, odd metadata -> refused.
refused="$1"
if [ "$metadata_type" != 0 ]; then
  echo "tls-crypt-v2-verify: refused: metadata type ${metadata_type:-none}, not a key issued by vpn-chatops" >&2
  exit 1
fi
metadata=
read -r metadata <"$metadata_file" || [ -n "$metadata" ] || exit 1
serial="${metadata#serial:}"
case "$metadata" in
serial:*) ;;
*) serial= ;;
esac
case "$serial" in
"" | *[!0-9A-F]*)
  echo "tls-crypt-v2-verify: refused: unknown client key (metadata is not a vpn-chatops certificate serial)" >&2
  exit 1
  ;;
esac
if [ ! -r "$refused" ]; then
  echo "tls-crypt-v2-verify: refused serial $serial: cannot read the refusal list $refused" >&2
  exit 1
fi
if grep -qxF "$serial" "$refused"; then
  echo "tls-crypt-v2-verify: refused serial $serial: revoked" >&2
  exit 1
fi
exit 0
