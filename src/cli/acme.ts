// `certport acme …`: External Account Bindings for certport's ACME server.
import type { Core } from '../main.js';

export const ACME_USAGE = `
  acme eab create --account UIN [--json]  an External Account Binding for ACME clients: {"kid","hmacKey"} (used once)`;

export async function acmeCommand(core: Core, sub: string | undefined, rest: string[], f: Record<string, string | true>, json: boolean): Promise<number> {
  if (sub !== 'eab' || rest[0] !== 'create') {
    console.error(`usage:${ACME_USAGE}`);
    return 2;
  }
  if (!core.acmeServer) throw new Error('the ACME server is off (CERTPORT_ACME_SERVER=0)');
  if (typeof f.account !== 'string') throw new Error('--account is required');
  const { kid, hmacKey } = await core.acmeServer.createEab(f.account);
  console.log(json ? JSON.stringify({ kid, hmacKey }) : `kid ${kid}\nhmacKey ${hmacKey}`);
  return 0;
}
