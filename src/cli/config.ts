// The CLI's own settings from the environment. The service reads its settings in
// src/config.ts; the CLI is a separate program with two settings of its own.

export interface CliEnv {
  /** Default service URL when --url is absent (`HRL_URL`). */
  url?: string;
  /** Default bearer token when --token is absent (`HRL_TOKEN`). */
  token?: string;
}

/** Reads `HRL_URL` and `HRL_TOKEN`; an empty value counts as unset. */
export function cliEnv(env: NodeJS.ProcessEnv = process.env): CliEnv {
  return {
    ...(env.HRL_URL ? { url: env.HRL_URL } : {}),
    ...(env.HRL_TOKEN ? { token: env.HRL_TOKEN } : {})
  };
}
