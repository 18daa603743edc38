// Request parameters: rebuilding flattened form/query parameters (`CertIds.0`,
// `Tags.0.TagKey`) and checking every parameter against the SDK's own models, so the
// accepted shapes are exactly those the official SDK sends.
import { ServiceError } from '../domain/errors.js';
import { models as generated, type FieldType } from './models.generated.js';
import { models as spec } from './models.spec.js';
import { tagModels } from './models.tag.generated.js';

type Models = Record<string, Record<string, FieldType>>;
const models: Models = { ...spec, ...generated }; // the SDK's models first, then the spec's
/** Each service's models: a Tag `Tag` is not an ssl `Tags`. */
const byService: Record<'ssl' | 'tag', Models> = { ssl: models, tag: tagModels };

const invalid = (message: string) => new ServiceError('InvalidParameter', message);

/** Rebuilds nested objects and arrays from `Name.N` / `Tags.0.TagKey` keys. */
export function unflatten(pairs: [string, string][]): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const [key, value] of pairs) {
    const parts = key.split('.');
    if (parts.some((p) => p === '')) throw invalid(`The parameter name \`${key}\` is malformed.`);
    let node: Record<string, unknown> = root;
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i]!;
      const last = i === parts.length - 1;
      const existing = node[part];
      if (last) {
        if (existing !== undefined) throw invalid(`The parameter \`${key}\` is given more than once.`);
        node[part] = value;
      } else {
        if (existing === undefined) node[part] = {};
        else if (typeof existing !== 'object') throw invalid(`The parameter \`${parts.slice(0, i + 1).join('.')}\` is given both as a value and as a list.`);
        node = node[part] as Record<string, unknown>;
      }
    }
  }
  return arrayify(root) as Record<string, unknown>;
}

// Objects whose keys are all integers become arrays in index order (`.0` or `.1` based).
function arrayify(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v;
  const obj = v as Record<string, unknown>;
  const keys = Object.keys(obj);
  for (const k of keys) obj[k] = arrayify(obj[k]);
  if (keys.length > 0 && keys.every((k) => /^\d{1,4}$/.test(k))) {
    return keys.sort((a, b) => Number(a) - Number(b)).map((k) => obj[k]);
  }
  return obj;
}

const NUMERIC = /^-?\d+(\.\d+)?$/;

function coerceScalar(value: unknown, type: string, path: string, models: Models): unknown {
  switch (type) {
    case 'string':
      if (typeof value === 'string') return value;
      if (typeof value === 'number' && Number.isFinite(value)) return String(value);
      throw invalid(`The parameter \`${path}\` must be a string.`);
    case 'number':
      if (typeof value === 'number' && Number.isFinite(value)) return value;
      if (typeof value === 'string' && NUMERIC.test(value.trim())) return Number(value.trim());
      throw invalid(`The parameter \`${path}\` must be a number.`);
    case 'boolean':
      if (typeof value === 'boolean') return value;
      if (typeof value === 'string') {
        // Python's SDK sends booleans in form parameters as `True` / `False`.
        const s = value.toLowerCase();
        if (s === 'true' || s === '1') return true;
        if (s === 'false' || s === '0') return false;
      }
      if (value === 1 || value === 0) return value === 1;
      throw invalid(`The parameter \`${path}\` must be a boolean.`);
    default: {
      const model = models[type];
      if (!model) throw new Error(`no model ${type}`);
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        throw invalid(`The parameter \`${path}\` must be an object (${type}).`);
      }
      return coerceObject(value as Record<string, unknown>, model, path + '.', models);
    }
  }
}

function coerceField(value: unknown, field: FieldType, path: string, models: Models): unknown {
  if (field.array) {
    if (!Array.isArray(value)) throw invalid(`The parameter \`${path}\` must be an array.`);
    return value.map((v, i) => coerceScalar(v, field.type, `${path}.${i}`, models));
  }
  return coerceScalar(value, field.type, path, models);
}

function coerceObject(input: Record<string, unknown>, model: Record<string, FieldType>, prefix: string, models: Models): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(input)) {
    const field = model[name];
    if (!field) throw new ServiceError('UnknownParameter', `The parameter \`${prefix}${name}\` is not recognized.`);
    if (value === null || value === undefined) continue;
    out[name] = coerceField(value, field, prefix + name, models);
  }
  for (const [name, field] of Object.entries(model)) {
    if (!field.optional && out[name] === undefined) {
      throw new ServiceError('MissingParameter', `The request is missing the required parameter \`${prefix}${name}\`.`);
    }
  }
  return out;
}

/** Checks and converts an action's parameters against `<Action>Request` from the SDK models. */
export function checkParams(action: string, input: unknown, service: 'ssl' | 'tag' = 'ssl'): Record<string, unknown> {
  const models = byService[service];
  const model = models[`${action}Request`];
  if (!model) throw new Error(`no request model for ${action}`);
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw invalid('The request body must be a JSON object.');
  }
  return coerceObject(input as Record<string, unknown>, model, '', models);
}
