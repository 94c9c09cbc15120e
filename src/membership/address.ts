import { isIP } from 'node:net';
import { InvalidAddressError } from './errors.js';
import { invalidOption } from './option-checks.js';
import type { ServerAddress } from './types.js';

/** A server address split into the parts `net.connect` takes. */
export interface HostPort {
  /** The host, without IPv6 brackets. */
  readonly host: string;
  /** The port, 1–65535. */
  readonly port: number;
}

/** Letters, digits and `_`, with `-` inside: 1–63 characters. */
const LABEL = '[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?';
/** Labels joined by dots, at most 253 characters; an optional final dot is not counted. */
const HOSTNAME = new RegExp(`^(?=.{1,253}$)${LABEL}(?:\\.${LABEL})*$`);
const DIGITS_AND_DOTS = /^(?=.*[0-9])[0-9.]+$/;
/**
 * The longest IPv6 zone id (§7): interface names are at most 15 characters
 * on Linux. Without a bound, one join could add a server too large for any
 * `members` page, or a leader address too large for a redirect.
 */
export const MAX_ZONE_LENGTH = 64;

/**
 * Splits `"host:port"` (`"[v6]:port"` for IPv6) and checks both parts
 * against the grammar of docs/wire-format.md §7: addresses come off the wire
 * and are dialed, so nothing odd gets through. Nothing is normalised: two
 * addresses are the same only when their strings are. Throws
 * {@link InvalidAddressError}, or `InvalidOptionError` for a value that is
 * not a string.
 */
export function parseAddress(address: ServerAddress): HostPort {
  if (typeof address !== 'string') throw invalidOption('address', 'a "host:port" string', address);
  const scheme = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.exec(address);
  if (scheme) throw new InvalidAddressError(address, `a server address is host:port, without a scheme: drop "${scheme[0]}"`);
  if (address.trim() !== address) throw new InvalidAddressError(address, 'has spaces around it');
  const colon = address.lastIndexOf(':');
  if (colon <= 0) throw new InvalidAddressError(address, 'expected host:port');
  let host = address.slice(0, colon);
  const portText = address.slice(colon + 1);
  if (!/^[0-9]{1,5}$/.test(portText)) throw new InvalidAddressError(address, 'port is not a number');
  // "07000" would be a second spelling of port 7000.
  if (portText.length > 1 && portText.startsWith('0')) throw new InvalidAddressError(address, 'port has a leading zero');
  const port = Number(portText);
  if (port < 1 || port > 65535) throw new InvalidAddressError(address, 'port out of range 1-65535');
  if (host.startsWith('[')) {
    if (!host.endsWith(']')) throw new InvalidAddressError(address, 'unclosed [ around IPv6 host');
    host = host.slice(1, -1);
    // Zone ids (`fe80::1%eth0`) are accepted, as net.connect takes them.
    const zone = host.indexOf('%');
    if (zone >= 0 && host.length - zone - 1 > MAX_ZONE_LENGTH) throw new InvalidAddressError(address, `zone id longer than ${MAX_ZONE_LENGTH} characters`);
    if (isIP(host) !== 6) throw new InvalidAddressError(address, 'not an IPv6 address inside [ ]');
  } else if (host.includes(':')) {
    throw new InvalidAddressError(address, 'IPv6 host must be written in brackets');
  } else if (DIGITS_AND_DOTS.test(host)) {
    // Not a host name: resolvers read "10.0.0.256", "010.0.0.1" or "123" as
    // numbers, each its own way, so only a plain dotted quad is allowed.
    if (isIP(host) !== 4) throw new InvalidAddressError(address, 'not an IPv4 address (four numbers 0-255, no leading zeros)');
  } else if (!HOSTNAME.test(host.endsWith('.') ? host.slice(0, -1) : host)) {
    throw new InvalidAddressError(address, 'not an IPv4 address or host name');
  }
  return { host, port };
}

/** Joins a host and port into a {@link ServerAddress}, bracketing IPv6. Throws `InvalidOptionError` for a host that is not a string or a port out of 1–65535. */
export function formatAddress(host: string, port: number): ServerAddress {
  if (typeof host !== 'string' || host === '') throw invalidOption('host', 'a non-empty string', host);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw invalidOption('port', 'an integer from 1 to 65535', port);
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}
