#!/usr/bin/env bash
# Makes throw-away key material for the secure sample in ./keys (ignored by git): a local CA,
# a certificate for localhost signed by it, the server key store (PKCS#12) and a trust store
# for clients (the CA as PEM and as PKCS#12). For trying things out only, never for production.
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p keys && cd keys
password="${KEY_STORE_PASSWORD:-duet-sample}"
openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=Duet Sample CA" -keyout ca.key -out ca.crt 2>/dev/null
openssl req -new -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout server.key -out server.csr 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\nextendedKeyUsage=serverAuth\n' > server.ext
openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 30 -extfile server.ext -out server.crt 2>/dev/null
openssl pkcs12 -export -in server.crt -inkey server.key -certfile ca.crt -out keystore.p12 -passout "pass:${password}"
openssl pkcs12 -export -nokeys -in ca.crt -out truststore.p12 -passout "pass:${password}" 2>/dev/null \
  || openssl pkcs12 -export -nokeys -in ca.crt -out truststore.p12 -passout "pass:${password}" -jdktrust anyExtendedKeyUsage
rm -f server.csr server.ext ca.srl
echo "keys written to $(pwd)"
