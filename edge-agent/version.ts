// The agent's version, printed by --version. Kept in step with package.json's "version".
export const AGENT_VERSION = "0.1.0";
