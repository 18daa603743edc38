// The deployer kinds certport knows. A new kind is one file plus one line here.
import { localKind } from './local.js';
import { sshKind } from './ssh.js';
import { DeployConfigError, type DeployerKind } from './types.js';
import { webhookKind } from './webhook.js';

export type DeployerRegistry = ReadonlyMap<string, DeployerKind<any, any>>;

export function defaultDeployers(extra: DeployerKind<any, any>[] = []): DeployerRegistry {
  return new Map([localKind, sshKind, webhookKind, ...extra].map((k) => [k.type, k]));
}

export function kindOf(registry: DeployerRegistry, type: string): DeployerKind<any, any> {
  const k = registry.get(type);
  if (!k) throw new DeployConfigError(`unknown deployer ${JSON.stringify(type)} (known: ${[...registry.keys()].join(', ')}).`);
  return k;
}
