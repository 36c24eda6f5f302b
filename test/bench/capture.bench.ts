// Factory capture benchmark (issue 4): the time to capture one TPM (read every EK cert and the
// chain range, make each EK from its template, check it against its cert and the CA store, run
// a credential activation round trip, sign and write the manifest), as `capture-batch` does it
// per board, on one harness swtpm (Infineon layout: RSA L-1 + ECC L-2).
//
// Baseline, measured in the same run on the same TPM: capture-tools.sh, the same TPM reads with
// tpm2-tools (getcap properties-fixed, nvreadpublic + nvread of each EK cert index, createek
// per EK type, createak + makecredential -T none + activatecredential, flushing transients).
// It checks nothing, so ours may cost more; target ≤ 1.5×: the checks are CPU work in one
// process (DER parsing, a few signature verifications, one Ed25519 signature) against the
// baseline's ~20 process starts, and the TPM's own work (key generation from the templates)
// is the same for both and dominates on swtpm.
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { captureBoard, prepareCapture } from "../../factory/cli/commands/capture.js";
import { writeKeyPair } from "../../shared/formats/keys.js";
import { createTestPki, manufactureTpm, runToExit, type SimTpm } from "../harness/index.js";
import type { BenchContext, BenchMeasurement, Benchmark } from "./types.js";

const HERE = dirname(fileURLToPath(import.meta.url));
/** Timed captures of each kind at scale 1 (after one untimed warm-up of each). */
const REPETITIONS = 5;
const TARGET_RATIO = 1.5;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export const benchmark: Benchmark = {
  name: "factory-capture",
  async run(ctx: BenchContext): Promise<BenchMeasurement[]> {
    const reps = Math.max(1, Math.round(REPETITIONS * ctx.scale));
    const dir = await mkdtemp(join(tmpdir(), "bench-capture-"));
    let tpm: SimTpm | undefined;
    try {
      ctx.log("manufacturing a harness TPM (infineon layout, vendor A)");
      const pki = await createTestPki(join(dir, "pki"));
      tpm = await manufactureTpm(pki, { layout: "infineon", vendor: "A" }, join(dir, "tpms"));
      await mkdir(join(dir, "keys"));
      const key = await writeKeyPair(join(dir, "keys"), "bench", "ed25519");
      const at = new Date(Date.now() + 3_600_000);
      const quiet = { out: () => {}, err: (t: string) => ctx.log(t.trimEnd()) };

      const ours = async (i: number): Promise<number> => {
        const t0 = performance.now();
        const setup = await prepareCapture(
          {
            keyPath: key.keyPath,
            station: "bench",
            caDir: pki.trustedCaDir,
            outDir: join(dir, `ours-${i}`),
            at,
            allowNoCert: false,
          },
          quiet,
          "bench",
        );
        if (!setup) throw new Error("capture setup failed");
        const result = await captureBoard(setup, {
          tcti: tpm!.tcti,
          serial: `SN-${i}`,
          hwUuid: null,
          model: null,
        });
        if (result.status !== "captured")
          throw new Error(`capture failed: ${"message" in result ? result.message : ""}`);
        return (performance.now() - t0) / 1000;
      };
      const tools = async (i: number): Promise<number> => {
        const work = await mkdtemp(join(dir, `tools-${i}-`));
        const t0 = performance.now();
        const r = await runToExit("bash", [join(HERE, "capture-tools.sh"), tpm!.tcti, work], {
          timeoutMs: 60_000,
        });
        const seconds = (performance.now() - t0) / 1000;
        if (r.exitCode !== 0) throw new Error(`capture-tools.sh failed (${r.exitCode}): ${r.stderr}`);
        return seconds;
      };

      await ours(-1);
      await tools(-1);
      const oursTimes: number[] = [];
      const toolsTimes: number[] = [];
      for (let i = 0; i < reps; i++) {
        // Interleaved, so a slow moment of the machine hits both alike.
        oursTimes.push(await ours(i));
        toolsTimes.push(await tools(i));
        ctx.progress("capturing", i + 1, reps);
      }
      return [
        {
          metric: "factory capture, s per TPM (median, RSA+ECC EKs)",
          value: Number(median(oursTimes).toFixed(3)),
          unit: "s",
          higherIsBetter: false,
          baseline: Number(median(toolsTimes).toFixed(3)),
          baselineLabel: "tpm2-tools script, same TPM reads (capture-tools.sh)",
          target: { kind: "maxCostRatio", value: TARGET_RATIO },
        },
      ];
    } finally {
      await tpm?.stop();
      await rm(dir, { recursive: true, force: true });
    }
  },
};
