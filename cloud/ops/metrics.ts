// Prometheus metrics of the registrar (`GET /metrics`, text exposition format 0.0.4): counters
// and histograms, each with a fixed set of label names declared up front, so that a typo in a
// label is a type error and the exposition never grows unbounded label values from input.

type Labels<K extends string> = Record<K, string>;

const escapeLabel = (v: string) => v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');

function labelText(names: readonly string[], values: readonly string[], extra = ""): string {
  const parts = names.map((n, i) => `${n}="${escapeLabel(values[i] ?? "")}"`);
  if (extra) parts.push(extra);
  return parts.length ? `{${parts.join(",")}}` : "";
}

interface Metric {
  expose(): string;
}

export class Counter<K extends string = never> implements Metric {
  readonly #values = new Map<string, { labels: string[]; value: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly K[] = [],
  ) {}

  inc(labels: Labels<K> = {} as Labels<K>, by = 1): void {
    const values = this.labelNames.map((n) => labels[n]);
    const key = values.join("\u0000");
    const slot = this.#values.get(key);
    if (slot) slot.value += by;
    else this.#values.set(key, { labels: values, value: by });
  }

  /** Current value for these labels (tests, /healthz). */
  get(labels: Labels<K> = {} as Labels<K>): number {
    return this.#values.get(this.labelNames.map((n) => labels[n]).join("\u0000"))?.value ?? 0;
  }

  expose(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    for (const { labels, value } of this.#values.values())
      lines.push(`${this.name}${labelText(this.labelNames, labels)} ${value}`);
    return lines.join("\n");
  }
}

export class Histogram<K extends string = never> implements Metric {
  readonly #series = new Map<string, { labels: string[]; counts: number[]; sum: number; count: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly K[] = [],
    /** Upper bounds, in seconds, ascending. */
    readonly buckets: readonly number[] = [
      0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
    ],
  ) {}

  observe(seconds: number, labels: Labels<K> = {} as Labels<K>): void {
    const values = this.labelNames.map((n) => labels[n]);
    const key = values.join("\u0000");
    let s = this.#series.get(key);
    if (!s) {
      s = { labels: values, counts: this.buckets.map(() => 0), sum: 0, count: 0 };
      this.#series.set(key, s);
    }
    for (let i = 0; i < this.buckets.length; i++) if (seconds <= this.buckets[i]!) s.counts[i]!++;
    s.sum += seconds;
    s.count++;
  }

  expose(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const s of this.#series.values()) {
      for (let i = 0; i < this.buckets.length; i++)
        lines.push(
          `${this.name}_bucket${labelText(this.labelNames, s.labels, `le="${this.buckets[i]}"`)} ${s.counts[i]}`,
        );
      lines.push(`${this.name}_bucket${labelText(this.labelNames, s.labels, 'le="+Inf"')} ${s.count}`);
      lines.push(`${this.name}_sum${labelText(this.labelNames, s.labels)} ${s.sum}`);
      lines.push(`${this.name}_count${labelText(this.labelNames, s.labels)} ${s.count}`);
    }
    return lines.join("\n");
  }
}

/** Everything the registrar counts. */
export class RegistrarMetrics {
  readonly imports = new Counter("registrar_imports_total", "Bundle and manifest imports, by outcome", [
    "kind",
    "outcome",
  ] as const);
  readonly importedDevices = new Counter(
    "registrar_imported_devices_total",
    "Devices pre-registered by imports",
  );
  readonly registrations = new Counter(
    "registrar_registrations_total",
    "Agent registrations (POST) and activations (PUT), by step and outcome",
    ["step", "outcome"] as const,
  );
  readonly challengeFailures = new Counter(
    "registrar_challenge_failures_total",
    "Credential activation challenges that failed, by reason",
    ["reason"] as const,
  );
  readonly rateLimited = new Counter("registrar_rate_limited_total", "Requests answered 429, by limit", [
    "limit",
  ] as const);
  readonly latency = new Histogram(
    "registrar_request_duration_seconds",
    "Request latency by route and status",
    ["route", "status"] as const,
  );

  expose(): string {
    return `${[
      this.imports,
      this.importedDevices,
      this.registrations,
      this.challengeFailures,
      this.rateLimited,
      this.latency,
    ]
      .map((m) => m.expose())
      .join("\n")}\n`;
  }
}
