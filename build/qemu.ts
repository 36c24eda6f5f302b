// How this x64 machine runs an arm64 program: qemu-aarch64-static (Debian: qemu-user-static)
// with the arm64 dynamic loader, libc and libstdc++ that the arm64 node binary links against.
// Debian multiarch (libc6:arm64, libstdc++6:arm64, what the bootstrap installs) puts them where
// an arm64 system has them, so qemu needs no option; a cross toolchain's sysroot
// (/usr/aarch64-linux-gnu, from libc6-arm64-cross) works too, given with -L.
import { constants } from "node:fs";
import { access } from "node:fs/promises";
import { delimiter, join } from "node:path";
import { BuildError } from "./errors.js";

const QEMU = "qemu-aarch64-static";
const LOADER = "lib/ld-linux-aarch64.so.1";
const LIBSTDCXX = "lib/aarch64-linux-gnu/libstdc++.so.6";
const CROSS_SYSROOT = "/usr/aarch64-linux-gnu";

const BOOTSTRAP_HINT =
  "run `npm run bootstrap` as root (it installs qemu-user-static, and libc6:arm64 and " +
  "libstdc++6:arm64 after `dpkg --add-architecture arm64`), or build with `npm run build -- --skip-arm64`";

async function exists(path: string, mode = constants.F_OK): Promise<boolean> {
  try {
    await access(path, mode);
    return true;
  } catch {
    return false;
  }
}

async function onPath(program: string): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    const candidate = join(dir, program);
    if (dir && (await exists(candidate, constants.X_OK))) return candidate;
  }
  return undefined;
}

/** The command line prefix that runs an arm64 program here, e.g. ["/usr/bin/qemu-aarch64-static"]. */
export async function arm64Runner(): Promise<string[]> {
  const qemu = await onPath(QEMU);
  if (!qemu) {
    throw new BuildError(
      "BUILD_QEMU_MISSING",
      `${QEMU} is not installed, so the arm64 executable cannot be prepared: ${BOOTSTRAP_HINT}.`,
    );
  }
  if ((await exists(`/${LOADER}`)) && (await exists(`/usr/${LIBSTDCXX}`))) return [qemu];
  if (
    (await exists(join(CROSS_SYSROOT, LOADER))) &&
    (await exists(join(CROSS_SYSROOT, "lib/libstdc++.so.6")))
  ) {
    return [qemu, "-L", CROSS_SYSROOT];
  }
  throw new BuildError(
    "BUILD_QEMU_MISSING",
    `the arm64 loader and C/C++ runtimes (/${LOADER}, /usr/${LIBSTDCXX}) are missing, so qemu cannot run ` +
      `the arm64 node binary: ${BOOTSTRAP_HINT}.`,
  );
}
