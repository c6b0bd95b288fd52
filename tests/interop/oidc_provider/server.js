// An independent, certified OpenID provider (panva/oidc-provider) serving Keycloak's paths under
// /realms/<realm>, for QCP's interoperability tests. Loopback only. Configuration comes from the
// QCP_INTEROP_CONFIG environment variable (JSON):
//   {"realm": "qcp", "audience": "urn:qcp-api",
//    "clients": [{"client_id": "...", "client_secret": "...", "roles": ["hospital_system"],
//                 "province": "330000", "hospital_id": 1}]}
// Prints one JSON line {"issuer": ..., "port": ...} on stdout once it listens.
import crypto from 'node:crypto';
import http from 'node:http';

import Provider from 'oidc-provider';

const config = JSON.parse(process.env.QCP_INTEROP_CONFIG || '{}');
const realm = config.realm || 'qcp';
// Resource indicators must be absolute URIs, or client-credentials tokens come out opaque.
const audience = config.audience || 'urn:qcp-api';
const clients = config.clients || [];
const byId = Object.fromEntries(clients.map((c) => [c.client_id, c]));
const prefix = `/realms/${realm}`;
const oidcPath = '/protocol/openid-connect';

const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: crypto.randomUUID(), use: 'sig', alg: 'RS256' };

const server = http.createServer();
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = `http://127.0.0.1:${port}${prefix}`;
  const provider = new Provider(issuer, {
    clients: clients.map((c) => ({
      client_id: c.client_id,
      client_secret: c.client_secret,
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_post',
    })),
    jwks: { keys: [signingKey] },
    scopes: ['openid', 'api'],
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: async () => audience,
        useGrantedResource: async () => true,
        getResourceServerInfo: async () => ({
          scope: 'api',
          audience,
          accessTokenFormat: 'jwt',
          accessTokenTTL: 300,
          jwt: { sign: { alg: 'RS256' } },
        }),
      },
    },
    // Keycloak's claim shapes, as a hospital system's service account would carry them.
    extraTokenClaims: async (ctx, token) => {
      const client = byId[token.clientId];
      if (!client) return undefined;
      // No azp: oidc-provider names the client in client_id, which the API must understand too.
      const claims = { realm_access: { roles: client.roles || [] } };
      if (client.province) claims.province = client.province;
      if (client.hospital_id) claims.hospital_id = client.hospital_id;
      claims.preferred_username = `service-account-${client.client_id}`;
      return claims;
    },
    routes: {
      authorization: `${oidcPath}/auth`,
      token: `${oidcPath}/token`,
      jwks: `${oidcPath}/certs`,
      userinfo: `${oidcPath}/userinfo`,
      end_session: `${oidcPath}/logout`,
      introspection: `${oidcPath}/token/introspect`,
      revocation: `${oidcPath}/revoke`,
    },
  });
  provider.proxy = false;
  const callback = provider.callback();
  server.on('request', (req, res) => {
    if (req.url === prefix || !req.url.startsWith(`${prefix}/`)) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end('{"error":"Realm does not exist"}');
      return;
    }
    req.originalUrl = req.url; // oidc-provider derives its mount path from originalUrl vs url
    req.url = req.url.slice(prefix.length);
    callback(req, res);
  });
  process.stdout.write(`${JSON.stringify({ issuer, port })}\n`);
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
