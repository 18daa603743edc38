// Test support: parses a Prometheus text exposition with the Prometheus project's own parser
// (client_python's prometheus_client.parser, Debian package python3-prometheus-client, which
// .ci/run installs). The npm parsers are unmaintained and drop the labels of histograms.
import { execFileSync } from 'node:child_process';

export interface Sample { name: string; labels: Record<string, string>; value: number }
export interface Family { name: string; type: string; help: string; samples: Sample[] }

const PARSE = `
import json, math, sys
from prometheus_client.parser import text_string_to_metric_families
def num(v):
    return v if math.isfinite(v) else ('NaN' if math.isnan(v) else ('+Inf' if v > 0 else '-Inf'))
out = []
for f in text_string_to_metric_families(sys.stdin.read()):
    out.append({'name': f.name, 'type': f.type, 'help': f.documentation,
                'samples': [{'name': s.name, 'labels': s.labels, 'value': num(s.value)} for s in f.samples]})
print(json.dumps(out))
`;

/** Parses `text`; throws if the parser rejects it. */
export function parsePrometheusText(text: string): Family[] {
  let out: string;
  try {
    out = execFileSync('/usr/bin/python3', ['-c', PARSE], { input: text, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    if (/No module named 'prometheus_client'/.test(err.stderr ?? '')) {
      throw new Error('the Prometheus parser is missing: apt-get install python3-prometheus-client (.ci/run does)');
    }
    throw new Error(`the Prometheus text-format parser rejected the exposition: ${err.stderr ?? err.message}`);
  }
  const families = JSON.parse(out) as (Omit<Family, 'samples'> & { samples: (Omit<Sample, 'value'> & { value: number | string })[] })[];
  return families.map((f) => ({
    ...f,
    samples: f.samples.map((s) => ({ ...s, value: typeof s.value === 'number' ? s.value : s.value === 'NaN' ? NaN : s.value === '+Inf' ? Infinity : -Infinity })),
  }));
}

/** The samples named `name` (a sample name: `x_total`, `x_bucket`…) whose labels include `labels`. */
export function samples(families: Family[], name: string, labels: Record<string, string> = {}): Sample[] {
  return families.flatMap((f) => f.samples).filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
}

/** The one value of `name` with `labels`; throws if there is not exactly one such sample. */
export function value(families: Family[], name: string, labels: Record<string, string> = {}): number {
  const found = samples(families, name, labels);
  if (found.length !== 1) throw new Error(`expected one sample ${name}${JSON.stringify(labels)}, found ${found.length}: ${JSON.stringify(found)}`);
  return found[0]!.value;
}
