// The URL a client connects to: a full ws(s):// URL as given, or a base URL (or, in a page, a bare
// path) completed with the contract's path and its :params.
import { ClientOptionsError } from './errors';

export function resolveUrl(given: unknown, path: string | undefined, params: Record<string, string>): string {
  if (typeof given !== 'string') throw new ClientOptionsError('url', `must be a string (got ${typeof given}).`);
  const page = (globalThis as { location?: { href: string } }).location?.href;
  let url: URL;
  try {
    url = new URL(given.replace(/^http(s?):/i, 'ws$1:'), page);
  } catch {
    throw new ClientOptionsError('url', `'${given}' is not a URL.`);
  }
  if (url.protocol === 'http:' || url.protocol === 'https:') url = new URL(url.href.replace(/^http/, 'ws'));
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
    throw new ClientOptionsError('url', `must be a ws://, wss://, http:// or https:// URL (got '${given}').`);
  }
  if (path !== undefined && url.pathname === '/' && path !== '/') url.pathname = fillPath(path, params);
  return url.href;
}

function fillPath(path: string, params: Record<string, string>): string {
  return path
    .split('/')
    .map((segment) => {
      if (!segment.startsWith(':')) return segment;
      const name = segment.slice(1);
      const value = params[name];
      if (typeof value !== 'string' || value === '') {
        throw new ClientOptionsError(`params.${name}`, `the contract's path ${path} needs a non-empty string for :${name}.`);
      }
      return encodeURIComponent(value);
    })
    .join('/');
}
