import { PathMatcher } from './path-matcher';

describe('PathMatcher', () => {
  it('matches a static path exactly and ignores the query string', () => {
    const matcher = new PathMatcher<string>();
    matcher.add('/ws', 'ws');
    expect(matcher.match('/ws')?.value).toBe('ws');
    expect(matcher.match('/ws?a=1')?.value).toBe('ws');
    expect(matcher.match('/ws/')).toBeUndefined();
    expect(matcher.match('/w')).toBeUndefined();
  });

  it('extracts decoded :param segments', () => {
    const matcher = new PathMatcher<string>();
    matcher.add('/chat/:room/:user', 'chat');
    const match = matcher.match('/chat/lobby/ann%C3%A9e?x=1');
    expect(match?.value).toBe('chat');
    expect(match?.params).toEqual({ room: 'lobby', user: 'année' });
    expect(matcher.match('/chat/lobby')).toBeUndefined();
    expect(matcher.match('/chat//x')).toBeUndefined();
    expect(matcher.match('/chat/%E0%A4%A/x')).toBeUndefined();
  });

  it('prefers a static path over a parameterised one', () => {
    const matcher = new PathMatcher<string>();
    matcher.add('/chat/:room', 'room');
    matcher.add('/chat/admin', 'admin');
    expect(matcher.match('/chat/admin')?.value).toBe('admin');
    expect(matcher.match('/chat/other')?.value).toBe('room');
  });

  it('reports the existing value for an equivalent pattern', () => {
    const matcher = new PathMatcher<string>();
    expect(matcher.add('/a/:x', 'first')).toBeUndefined();
    expect(matcher.add('/a/:y', 'second')).toBe('first');
    expect(matcher.add('/s', 'one')).toBeUndefined();
    expect(matcher.add('/s', 'two')).toBe('one');
  });
});

describe('a path matcher mapped to other values', () => {
  it('matches the same paths, static and with parameters, to the converted values', () => {
    const matcher = new PathMatcher<string>();
    matcher.add('/echo', 'echo');
    matcher.add('/chat/:room', 'chat');
    const mapped = matcher.map((value) => value.toUpperCase());
    expect(mapped.match('/echo?x=1')).toEqual({ value: 'ECHO', params: {} });
    expect(mapped.match('/chat/lobby')).toEqual({ value: 'CHAT', params: { room: 'lobby' } });
    expect(mapped.match('/other')).toBeUndefined();
    expect(matcher.match('/echo')?.value).toBe('echo');
  });
});
