import { isIP } from 'node:net';
import { ConfigError } from '../config.js';

/**
 * The Host-header allow-list that stops DNS rebinding: a page on evil.example whose name
 * is re-pointed at 127.0.0.1 reaches the service with `Host: evil.example`, so only the
 * names the service is really reached by are accepted.
 */
export interface HostPolicy {
  allows(host: string | undefined): boolean;
  /** What is accepted, in words, for the refusal message. */
  readonly accepted: string;
}

interface HostPattern {
  hostname: string;
  /** null: any port. */
  port: number | null;
}

// Host names, IPv4 and bracketed IPv6 literals, an optional port. Anything else (userinfo,
// spaces, a path) is not a Host header a browser sends.
const HOST_SYNTAX = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+))(?::(\d{1,5}))?$/;

/** Splits `name`, `name:port`, `[v6]` or `[v6]:port`; null when it is not that. */
export function parseHost(value: string): HostPattern | null {
  const match = HOST_SYNTAX.exec(value.trim());
  if (!match) return null;
  const port = match[3] === undefined ? null : Number(match[3]);
  if (port !== null && (port < 1 || port > 65535)) return null;
  if (match[1] !== undefined) {
    if (isIP(match[1]) !== 6) return null;
    // The URL parser writes every IPv6 literal in one canonical form (::1, not 0:0:...:1).
    return { hostname: new URL(`http://[${match[1]}]`).hostname, port };
  }
  const hostname = match[2].toLowerCase().replace(/\.$/, '');
  return hostname === '' ? null : { hostname, port };
}

/** localhost, 127.0.0.0/8 and ::1: names only this machine answers to. */
export function isLoopback(hostname: string): boolean {
  const name = hostname.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (name === 'localhost') return true;
  if (isIP(name) === 4) return name.startsWith('127.');
  if (isIP(name) === 6) return new URL(`http://[${name}]`).hostname === '[::1]';
  return false;
}

const DEFAULT_PORTS = new Set([80, 443]);

/**
 * Builds the policy from HOST and HRL_ALLOWED_HOSTS. While HOST is loopback, loopback
 * names are accepted on any port (port forwarding changes the port, not the name);
 * otherwise HRL_ALLOWED_HOSTS is required, so a service reachable from the network never
 * answers to a name nobody chose.
 */
export function hostPolicy(config: { host: string; allowedHosts: string }): HostPolicy {
  const entries = config.allowedHosts.split(',').map((e) => e.trim()).filter(Boolean);
  const any = entries.includes('*');
  const patterns: HostPattern[] = [];
  for (const entry of entries) {
    if (entry === '*') continue;
    const pattern = parseHost(entry);
    if (!pattern) {
      throw new ConfigError(
        `Invalid configuration HRL_ALLOWED_HOSTS: ${JSON.stringify(entry)} is not a host or host:port (e.g. finance.example.com, 10.0.0.5:8000)`
      );
    }
    patterns.push(pattern);
  }
  const loopback = isLoopback(config.host);
  if (!loopback && entries.length === 0) {
    throw new ConfigError(
      `Invalid configuration HRL_ALLOWED_HOSTS: HOST=${config.host} accepts connections from the network, so HRL_ALLOWED_HOSTS must list the host names clients use (comma-separated host or host:port, or * to accept any Host)`
    );
  }
  const accepted = any
    ? 'any host'
    : [...(loopback ? ['localhost', '127.0.0.1', '[::1]'] : []), ...entries.filter((e) => e !== '*')].join(', ');
  return {
    accepted,
    allows(host) {
      // No Host at all is no browser's request (HTTP/1.1 requires it; Node refuses such
      // requests itself), so rebinding does not apply: HTTP/1.0 tools and injectWS.
      if (any || !host) return true;
      const parsed = parseHost(host);
      if (!parsed) return false;
      if (loopback && isLoopback(parsed.hostname)) return true;
      return patterns.some(
        (p) =>
          p.hostname === parsed.hostname &&
          (p.port === null || p.port === parsed.port || (parsed.port === null && DEFAULT_PORTS.has(p.port)))
      );
    }
  };
}
