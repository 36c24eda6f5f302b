// Proves that a bundle loads nothing but Node's built-in modules, two ways:
// - esbuild's metafile lists every import it left external, whatever the minifier renamed
//   (a require() esbuild could not resolve inside a try block stays as a call to its renamed
//   `__require` shim, which no text scan can recognise);
// - the output file itself is parsed (not grepped, so a string that merely looks like an import
//   does not count) and every module specifier collected: `import … from`, `export … from`,
//   `import(…)` and `require(…)`. A specifier that is not a string literal cannot be proven
//   harmless, so it counts as foreign.
import { readFile } from "node:fs/promises";
import { isBuiltin } from "node:module";
import type { Metafile } from "esbuild";
import ts from "typescript";
import { BuildError } from "./errors.js";

export interface ModuleReference {
  /** The specifier as written, or the expression's text when it is not a string literal. */
  specifier: string;
  kind: "import" | "export" | "dynamic-import" | "require";
  literal: boolean;
}

const REQUIRE_NAMES = new Set(["require", "__require"]);

/** Every module the JavaScript source refers to, in source order. */
export function moduleReferences(source: string, fileName = "bundle.js"): ModuleReference[] {
  const file = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, false, ts.ScriptKind.JS);
  const found: ModuleReference[] = [];
  const add = (node: ts.Expression, kind: ModuleReference["kind"]) => {
    const literal = ts.isStringLiteralLike(node);
    found.push({ specifier: literal ? node.text : node.getText(file), kind, literal });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) add(node.moduleSpecifier, "import");
    else if (ts.isExportDeclaration(node) && node.moduleSpecifier) add(node.moduleSpecifier, "export");
    else if (ts.isCallExpression(node) && node.arguments.length > 0) {
      const [first] = node.arguments;
      if (node.expression.kind === ts.SyntaxKind.ImportKeyword) add(first!, "dynamic-import");
      else if (ts.isIdentifier(node.expression) && REQUIRE_NAMES.has(node.expression.text))
        add(first!, "require");
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

/** The references that are not Node built-ins (or cannot be proven to be). */
export function foreignReferences(source: string): ModuleReference[] {
  return moduleReferences(source).filter((r) => !r.literal || !isBuiltin(r.specifier));
}

/** The imports esbuild left external in `metafile` that are not Node built-ins. */
export function foreignExternals(metafile: Metafile): ModuleReference[] {
  return Object.values(metafile.outputs)
    .flatMap((o) => o.imports)
    .filter((i) => i.external && !isBuiltin(i.path))
    .map((i) => ({
      specifier: i.path,
      kind: i.kind === "require-call" ? "require" : i.kind === "dynamic-import" ? "dynamic-import" : "import",
      literal: true,
    }));
}

/** Fails the build when the bundle at `path` refers to anything but Node's built-in modules. */
export async function assertOnlyBuiltinImports(path: string, metafile: Metafile): Promise<void> {
  const foreign = [...foreignExternals(metafile), ...foreignReferences(await readFile(path, "utf8"))];
  if (foreign.length === 0) return;
  const list = [
    ...new Set(foreign.map((r) => `${r.kind} ${r.literal ? JSON.stringify(r.specifier) : r.specifier}`)),
  ];
  throw new BuildError(
    "BUILD_FOREIGN_IMPORT",
    `${path} must run with nothing beside it, but it still loads modules that are not Node built-ins: ` +
      `${list.join(", ")}. Bundle them (esbuild could not resolve them, or they are marked external) or, ` +
      "for an optional native addon, add it to OPTIONAL_NATIVE_ADDONS in build/bundles.ts.",
  );
}
