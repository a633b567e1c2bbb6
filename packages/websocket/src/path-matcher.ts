// Matches an upgrade request's path to a service: static paths by one Map lookup, `:param`
// paths segment by segment. Static paths win; the query string is cut off before matching.

export type PathParams = Readonly<Record<string, string>>;

export interface PathMatch<T> {
  readonly value: T;
  readonly params: PathParams;
}

interface ParamRoute<T> {
  readonly pattern: string;
  readonly segments: readonly string[];
  readonly value: T;
}

/** The parameters of a path without any (shared by every request to it). */
export const NO_PARAMS: PathParams = Object.freeze({});

export class PathMatcher<T> {
  private readonly staticRoutes = new Map<string, PathMatch<T>>();
  private readonly paramRoutes: ParamRoute<T>[] = [];

  /**
   * Adds `pattern`. Returns the value already registered for an equivalent pattern (same
   * static path, or the same shape of parameters), which is a conflict for the caller to report.
   */
  add(pattern: string, value: T): T | undefined {
    if (!pattern.includes('/:')) {
      const existing = this.staticRoutes.get(pattern);
      if (existing !== undefined) return existing.value;
      this.staticRoutes.set(pattern, { value, params: NO_PARAMS });
      return undefined;
    }
    const shape = shapeOf(pattern);
    const clash = this.paramRoutes.find((route) => shapeOf(route.pattern) === shape);
    if (clash !== undefined) return clash.value;
    this.paramRoutes.push({ pattern, segments: pattern.split('/'), value });
    return undefined;
  }

  /** The same routes with each value converted (the listener's endpoints for the compiled services). */
  map<U>(convert: (value: T) => U): PathMatcher<U> {
    const mapped = new PathMatcher<U>();
    for (const [path, route] of this.staticRoutes) mapped.staticRoutes.set(path, { value: convert(route.value), params: route.params });
    for (const route of this.paramRoutes) mapped.paramRoutes.push({ ...route, value: convert(route.value) });
    return mapped;
  }

  /** Finds the service for a request URL (`/chat/lobby?x=1`), or `undefined`. */
  match(url: string): PathMatch<T> | undefined {
    const queryAt = url.indexOf('?');
    const path = queryAt === -1 ? url : url.slice(0, queryAt);
    const found = this.staticRoutes.get(path);
    if (found !== undefined || this.paramRoutes.length === 0) return found;
    const segments = path.split('/');
    for (const route of this.paramRoutes) {
      const params = matchSegments(route.segments, segments);
      if (params !== undefined) return { value: route.value, params };
    }
    return undefined;
  }
}

function matchSegments(pattern: readonly string[], actual: readonly string[]): PathParams | undefined {
  if (pattern.length !== actual.length) return undefined;
  let params: Record<string, string> | undefined;
  for (let i = 0; i < pattern.length; i++) {
    const expected = pattern[i];
    const segment = actual[i];
    if (expected.charCodeAt(0) === 58 /* ':' */) {
      if (segment === '') return undefined;
      const decoded = decodeSegment(segment);
      if (decoded === undefined) return undefined;
      (params ??= {})[expected.slice(1)] = decoded;
    } else if (expected !== segment) {
      return undefined;
    }
  }
  return params === undefined ? NO_PARAMS : Object.freeze(params);
}

function decodeSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined; // malformed percent-encoding never matches
  }
}

function shapeOf(pattern: string): string {
  return pattern.replace(/\/:[^/]+/g, '/:');
}
