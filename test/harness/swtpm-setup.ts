// swtpm_setup with a private configuration: nothing under /etc, /var or $HOME is read or
// written. Its EK certificates come from a throwaway swtpm-localca CA (created by
// swtpm_localca in the run directory on first use); manufacture.ts replaces them with the
// certs it wants. The localca is still worth running: swtpm_setup then defines the cert NV
// indices itself, exactly as on any swtpm.
//
// Never --allow-signing (a signing EK is not the TCG template, so its key and the cert would
// not match what the profile computes) and never --lock-nvram (the harness writes NV with
// platform authorization afterwards).
import { existsSync } from "node:fs";
import { mkdir, rename, writeFile } from "node:fs/promises";
import { delimiter, join } from "node:path";
import { run } from "./exec.js";
import { runDir } from "./run-dir.js";

let configPromise: Promise<string> | undefined;

/** swtpm_setup's config wants an absolute path to the cert tool. */
function findInPath(program: string): string {
  for (const dir of (process.env["PATH"] ?? "").split(delimiter)) {
    const candidate = join(dir, program);
    if (dir && existsSync(candidate)) return candidate;
  }
  throw new Error(`${program} not found in PATH (apt-get install swtpm-tools)`);
}

/** Write `content` to `file` so that a concurrent reader (another worker) never sees half of it. */
async function writeAtomic(file: string, content: string): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, content);
  await rename(tmp, file);
}

/** The swtpm_setup config of this run, shared by all workers (swtpm_localca flock()s its dir). */
export function swtpmSetupConfig(): Promise<string> {
  configPromise ??= (async () => {
    const dir = join(runDir(), "swtpm-setup");
    const localca = join(dir, "localca");
    await mkdir(localca, { recursive: true });
    const conf = join(dir, "swtpm_setup.conf");
    const caConf = join(dir, "swtpm-localca.conf");
    const caOpts = join(dir, "swtpm-localca.options");
    await writeAtomic(
      caConf,
      [
        `statedir = ${localca}`,
        `signingkey = ${join(localca, "signkey.pem")}`,
        `issuercert = ${join(localca, "issuercert.pem")}`,
        `certserial = ${join(localca, "certserial")}`,
        "",
      ].join("\n"),
    );
    await writeAtomic(
      caOpts,
      "--platform-manufacturer Harness\n--platform-version 2.1\n--platform-model Sim\n",
    );
    await writeAtomic(
      conf,
      [
        `create_certs_tool = ${findInPath("swtpm_localca")}`,
        `create_certs_tool_config = ${caConf}`,
        `create_certs_tool_options = ${caOpts}`,
        "active_pcr_banks = sha256",
        "",
      ].join("\n"),
    );
    return conf;
  })();
  return configPromise;
}

/**
 * Manufacture a TPM 2.0 state in `stateDir` (created; must not hold a state yet): RSA-2048
 * EK persisted at 0x81010001 with its cert at NV 0x01C00002, ECC P-384 EK at 0x81010016 with
 * its cert at 0x01C00016. Takes about 0.6 s.
 */
export async function swtpmSetup(stateDir: string, logFile: string): Promise<void> {
  const config = await swtpmSetupConfig();
  await mkdir(stateDir, { recursive: true });
  await run(
    "swtpm_setup",
    ["--tpm2", "--create-ek-cert", "--tpmstate", stateDir, "--config", config, "--logfile", logFile],
    { timeoutMs: 60_000 },
  ).catch((e: Error) => {
    throw new Error(`swtpm_setup failed for ${stateDir} (log: ${logFile}): ${e.message}`);
  });
}
