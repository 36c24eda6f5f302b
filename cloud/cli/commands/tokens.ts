// `registrar tokens create --name NAME --scopes S1,S2 [--expires T] | list | revoke ID`.
import { EXIT, type ExitStatus, type Io, parseIsoDate, UsageError } from "../../../shared/cli/args.js";
import { createTokenAudited, revokeTokenAudited, tokenJson } from "../../admin/tokens.js";
import { listTokens, parseScopes, TokenError } from "../../store/tokens.js";
import { cliActor, DB_OPTIONS, withRegistrar } from "../database.js";
import { TOKENS_HELP } from "../help.js";
import { argsWith, isoTime, runSubcommand } from "../subcommands.js";

const OPTIONS = {
  ...DB_OPTIONS,
  json: { type: "boolean" },
  name: { type: "string" },
  scopes: { type: "string" },
  expires: { type: "string" },
} as const;
const args = (command: string, argv: readonly string[], count: number, what = "") =>
  argsWith(command, argv, OPTIONS, count, what);

export function tokensCommand(argv: readonly string[], io: Io): Promise<ExitStatus> {
  return runSubcommand("tokens", argv, io, TOKENS_HELP, {
    create: async (rest) => {
      const command = "tokens create";
      const { values } = args(command, rest, 0);
      if (!values.name) throw new UsageError("--name NAME is required (what the token is for)", command);
      if (!values.scopes) throw new UsageError("--scopes S1,S2 is required", command);
      let scopes: ReturnType<typeof parseScopes>;
      try {
        scopes = parseScopes(
          values.scopes
            .split(",")
            .map((s) => s.trim())
            .filter(Boolean),
        );
      } catch (e) {
        if (e instanceof TokenError) throw new UsageError(e.message, command);
        throw e;
      }
      const expires =
        values.expires === undefined
          ? null
          : Math.floor(parseIsoDate(values.expires, "--expires", command).getTime() / 1000);
      return withRegistrar(values.db, command, async (registrar) => {
        const { token, info } = await createTokenAudited(
          registrar,
          values.name!,
          scopes,
          expires,
          cliActor(),
        );
        if (values.json) io.out(`${JSON.stringify({ token, ...tokenJson(info) })}\n`);
        else {
          io.out(`${token}\n`);
          io.err(
            `token ${info.id} (${info.name}) with scopes ${info.scopes.join(", ")}${expires ? `, expires ${isoTime(expires)}` : ""}.\n` +
              "This is the only time it is shown: store it now. Use it as 'Authorization: Bearer <token>'.\n",
          );
        }
        return EXIT.ok;
      });
    },
    list: async (rest) => {
      const { values } = args("tokens list", rest, 0);
      return withRegistrar(values.db, "tokens list", async (registrar) => {
        const tokens = await listTokens(registrar.db);
        if (values.json) io.out(`${JSON.stringify(tokens.map(tokenJson))}\n`);
        else {
          for (const t of tokens)
            io.out(
              `${t.id}  ${t.revokedAt === null ? "live   " : "revoked"}  ${t.name.padEnd(20)} ${t.scopes.join(",")}  created ${isoTime(t.createdAt)}${t.expiresAt ? `  expires ${isoTime(t.expiresAt)}` : ""}\n`,
            );
          io.out(`${tokens.length} token(s)\n`);
        }
        return EXIT.ok;
      });
    },
    revoke: async (rest) => {
      const { values, positionals } = args("tokens revoke", rest, 1, "one token ID (from 'tokens list')");
      return withRegistrar(values.db, "tokens revoke", async (registrar) => {
        await revokeTokenAudited(registrar, positionals[0]!, cliActor());
        io.out(
          values.json
            ? `${JSON.stringify({ id: positionals[0], revoked: true })}\n`
            : `revoked token ${positionals[0]}\n`,
        );
        return EXIT.ok;
      });
    },
  });
}
