// Request parameters: rebuilding flattened form/query parameters (`CertIds.0`,
// `Tags.0.TagKey`) and checking every parameter against the SDK's own models, so the
// accepted shapes are exactly those the official SDK sends.
import { ServiceError, type ErrorCode } from '../domain/errors.js';
import { models as generated, type FieldType } from './models.generated.js';
import { models as spec } from './models.spec.js';
import { tagModels } from './models.tag.generated.js';

type Models = Record<string, Record<string, FieldType>>;
const models: Models = { ...spec, ...generated }; // the SDK's models first, then the spec's
/** Each service's models: a Tag `Tag` is not an ssl `Tags`. */
const byService: Record<'ssl' | 'tag', Models> = { ssl: models, tag: tagModels };

/** The model of a request (`<Action>Request`) or of a data type, or undefined. */
export function modelOf(type: string, of: Models = models): Readonly<Record<string, FieldType>> | undefined {
  return Object.hasOwn(of, type) ? of[type] : undefined;
}

const invalid = (message: string) => new ServiceError('InvalidParameter', message);

/** An invalid value of one field: InvalidParameterValue unless the action's spec names another code. */
class ValueError extends ServiceError {
  constructor(readonly field: string, message: string) {
    super('InvalidParameterValue', message);
  }
}
const invalidValue = (message: string, field = '') => new ValueError(field, message);

// Where an action's spec has its own code for a bad value, the checks here answer it too.
const VALUE_CODE_BY_ACTION: Readonly<Record<string, ErrorCode>> = {
  CreateCSR: 'FailedOperation.InvalidParam',
  ModifyCSR: 'InvalidParameter.WithDetailReason',
};
const VALUE_CODE_BY_FIELD: Readonly<Record<string, ErrorCode>> = {
  CSRId: 'InvalidParameter.InvalidCSRId',
  CSRIds: 'InvalidParameter.InvalidCSRId',
};

/**
 * Bounds on what one request may carry (issue 22): containers nested at most MAX_DEPTH deep
 * (the deepest model, `ResourceTypesRegions.0.Regions.0`, needs 4), lists of at most
 * MAX_ARRAY elements, and tighter lists where the spec's product has a smaller limit.
 */
export const PARAM_LIMITS = { maxDepth: 8, maxArray: 1000, perField: { DnsNames: 100 } as Readonly<Record<string, number>> };

/**
 * Text fields that carry PEM or Base64 and so keep line breaks and tabs; in every other text
 * field any control character is refused.
 */
const MULTILINE = new Set(['CertificatePublicKey', 'CertificatePrivateKey', 'Csr', 'CsrContent', 'RenewCsr', 'ConfirmLetter', 'CertificateChain']);
// C0 controls, DEL and C1 controls; lone UTF-16 surrogates (not text: they become U+FFFD or fail in the drivers).
const CONTROL = /[\u0000-\u001f\u007f-\u009f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const CONTROL_MULTILINE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Refuses a control character (or a lone surrogate) in a text parameter, naming it and where. */
export function checkText(value: string, path: string, multiline = false): string {
  const m = (multiline ? CONTROL_MULTILINE : CONTROL).exec(value);
  if (m) {
    const c = m[0].codePointAt(0)!;
    const what = c >= 0xd800 && c <= 0xdfff ? 'an unpaired UTF-16 surrogate' : `the control character U+${c.toString(16).toUpperCase().padStart(4, '0')}`;
    throw invalidValue(`The parameter \`${path}\` contains ${what} at position ${m.index}; control characters are not allowed${multiline ? ' (line breaks and tabs are)' : ''}.`, path.replace(/\.\d+$/, '').split('.').pop());
  }
  return value;
}

/** Rebuilds nested objects and arrays from `Name.N` / `Tags.0.TagKey` keys. */
export function unflatten(pairs: [string, string][]): Record<string, unknown> {
  // Null-prototype nodes: a name such as `__proto__.x` or `constructor.prototype.x` is an own
  // key here, never a path into Object.prototype.
  const root: Record<string, unknown> = Object.create(null);
  for (const [key, value] of pairs) {
    const parts = key.split('.', PARAM_LIMITS.maxDepth + 1);
    if (parts.length > PARAM_LIMITS.maxDepth) {
      throw invalid(`The parameter name \`${key.slice(0, 64)}${key.length > 64 ? '…' : ''}\` is nested deeper than ${PARAM_LIMITS.maxDepth} levels.`);
    }
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
        if (existing === undefined) node[part] = Object.create(null);
        else if (typeof existing !== 'object') throw invalid(`The parameter \`${parts.slice(0, i + 1).join('.')}\` is given both as a value and as a list.`);
        node = node[part] as Record<string, unknown>;
      }
    }
  }
  return arrayify(root, '') as Record<string, unknown>;
}

// Objects whose keys are all integers become arrays in index order (`.0` or `.1` based).
// Depth is bounded by unflatten, so the recursion is too.
function arrayify(v: unknown, path: string): unknown {
  if (v === null || typeof v !== 'object') return v;
  const obj = v as Record<string, unknown>;
  const keys = Object.keys(obj);
  for (const k of keys) obj[k] = arrayify(obj[k], path === '' ? k : `${path}.${k}`);
  if (keys.length > 0 && keys.every((k) => /^\d{1,4}$/.test(k))) {
    if (keys.length > PARAM_LIMITS.maxArray) throw invalidValue(`The list \`${path}\` has ${keys.length} elements; at most ${PARAM_LIMITS.maxArray} are allowed.`);
    return keys.sort((a, b) => Number(a) - Number(b)).map((k) => obj[k]);
  }
  return obj;
}

/**
 * Bounds a parsed request before it is read (JSON.parse itself is not recursive, the readers
 * after it may be): nesting depth and list lengths, walked without recursion.
 */
function checkShape(input: unknown): void {
  const stack: [unknown, number, string][] = [[input, 1, '']];
  while (stack.length) {
    const [v, depth, path] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth > PARAM_LIMITS.maxDepth) throw invalid(`The parameter \`${path}\` is nested deeper than ${PARAM_LIMITS.maxDepth} levels.`);
    if (Array.isArray(v)) {
      if (v.length > PARAM_LIMITS.maxArray) throw invalidValue(`The list \`${path}\` has ${v.length} elements; at most ${PARAM_LIMITS.maxArray} are allowed.`);
      v.forEach((x, i) => stack.push([x, depth + 1, `${path}.${i}`]));
    } else {
      for (const k of Object.keys(v)) stack.push([(v as Record<string, unknown>)[k], depth + 1, path === '' ? k : `${path}.${k}`]);
    }
  }
}

const INTEGER = /^-?\d{1,16}$/;

function coerceScalar(value: unknown, type: string, path: string, name: string, models: Models): unknown {
  switch (type) {
    case 'string': {
      if (typeof value === 'string') return checkText(value, path, MULTILINE.has(name));
      if (typeof value === 'number' && Number.isFinite(value)) return String(value);
      throw invalid(`The parameter \`${path}\` must be a string.`);
    }
    case 'number': {
      // Every number the spec takes is an Integer; beyond 2^53 a double cannot hold it exactly.
      let n: number;
      if (typeof value === 'number') n = value;
      else if (typeof value === 'string' && INTEGER.test(value.trim())) n = Number(value.trim());
      else throw invalid(`The parameter \`${path}\` must be a number.`);
      if (!Number.isSafeInteger(n)) throw invalidValue(`The parameter \`${path}\` must be an integer from ${Number.MIN_SAFE_INTEGER} to ${Number.MAX_SAFE_INTEGER}.`, name);
      return n;
    }
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
      const model = modelOf(type, models);
      if (!model) throw new Error(`no model ${type}`);
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        throw invalid(`The parameter \`${path}\` must be an object (${type}).`);
      }
      return coerceObject(value as Record<string, unknown>, model, path + '.', models);
    }
  }
}

function coerceField(value: unknown, field: FieldType, path: string, name: string, models: Models): unknown {
  if (field.array) {
    if (!Array.isArray(value)) throw invalid(`The parameter \`${path}\` must be an array.`);
    const max = Object.hasOwn(PARAM_LIMITS.perField, name) ? PARAM_LIMITS.perField[name]! : PARAM_LIMITS.maxArray;
    if (value.length > max) throw invalidValue(`The list \`${path}\` has ${value.length} elements; at most ${max} are allowed.`);
    return value.map((v, i) => coerceScalar(v, field.type, `${path}.${i}`, name, models));
  }
  return coerceScalar(value, field.type, path, name, models);
}

function coerceObject(input: Record<string, unknown>, model: Readonly<Record<string, FieldType>>, prefix: string, models: Models): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  // Own names only, on both sides: `toString` or `__proto__` is no field of any model.
  for (const name of Object.keys(input)) {
    const value = input[name];
    const field = Object.hasOwn(model, name) ? model[name] : undefined;
    if (!field) throw new ServiceError('UnknownParameter', `The parameter \`${prefix}${name}\` is not recognized.`);
    if (value === null || value === undefined) continue;
    out[name] = coerceField(value, field, prefix + name, name, models);
  }
  for (const name of requiredOf(model)) {
    if (out[name] === undefined) {
      throw new ServiceError('MissingParameter', `The request is missing the required parameter \`${prefix}${name}\`.`);
    }
  }
  return out;
}

/** A model's required field names, listed once per model (not Object.entries per request). */
const required = new WeakMap<object, string[]>();
function requiredOf(model: Readonly<Record<string, FieldType>>): string[] {
  let r = required.get(model);
  if (!r) required.set(model, r = Object.entries(model).filter(([, f]) => !f.optional).map(([n]) => n));
  return r;
}

/** Checks and converts an action's parameters against `<Action>Request` from the SDK models. */
export function checkParams(action: string, input: unknown, service: 'ssl' | 'tag' = 'ssl'): Record<string, unknown> {
  const models = byService[service];
  const model = modelOf(`${action}Request`, models);
  if (!model) throw new ServiceError('InvalidAction', `The action ${JSON.stringify(action)} does not exist.`);
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw invalid('The request body must be a JSON object.');
  }
  checkShape(input);
  try {
    return coerceObject(input as Record<string, unknown>, model, '', models);
  } catch (e) {
    if (!(e instanceof ValueError)) throw e;
    const code = (Object.hasOwn(VALUE_CODE_BY_FIELD, e.field) ? VALUE_CODE_BY_FIELD[e.field] : undefined)
      ?? (Object.hasOwn(VALUE_CODE_BY_ACTION, action) ? VALUE_CODE_BY_ACTION[action] : undefined);
    throw code ? new ServiceError(code, e.message) : e;
  }
}
