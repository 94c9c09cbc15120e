import { isIP } from 'node:net';
import { InvalidAddressError } from './errors.js';
import type { ServerAddress } from './types.js';

/** A server address split into the parts `net.connect` takes. */
export interface HostPort {
  /** The host, without IPv6 brackets. */
  readonly host: string;
  /** The port, 1–65535. */
  readonly port: number;
}

const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62})(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62}))*\.?$/;

/**
 * Splits `"host:port"` (`"[v6]:port"` for IPv6) and checks both parts:
 * addresses come off the wire and are dialed, so nothing odd gets through.
 * Throws {@link InvalidAddressError}.
 */
export function parseAddress(address: ServerAddress): HostPort {
  const colon = address.lastIndexOf(':');
  if (colon <= 0) throw new InvalidAddressError(address, 'expected host:port');
  let host = address.slice(0, colon);
  const portText = address.slice(colon + 1);
  if (!/^[0-9]{1,5}$/.test(portText)) throw new InvalidAddressError(address, 'port is not a number');
  const port = Number(portText);
  if (port < 1 || port > 65535) throw new InvalidAddressError(address, 'port out of range 1-65535');
  if (host.startsWith('[')) {
    if (!host.endsWith(']')) throw new InvalidAddressError(address, 'unclosed [ around IPv6 host');
    host = host.slice(1, -1);
    if (isIP(host) !== 6) throw new InvalidAddressError(address, 'not an IPv6 address inside [ ]');
  } else if (host.includes(':')) {
    throw new InvalidAddressError(address, 'IPv6 host must be written in brackets');
  } else if (isIP(host) !== 4 && !HOSTNAME.test(host)) {
    throw new InvalidAddressError(address, 'not an IPv4 address or host name');
  }
  return { host, port };
}

/** Joins a host and port into a {@link ServerAddress}, bracketing IPv6. */
export function formatAddress(host: string, port: number): ServerAddress {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}
