import 'reflect-metadata';
import { Server } from 'node:http';
import { injectable } from 'inversify';
import {
  ListenError,
  ListenerConfigError,
  OnText,
  ServiceConfigError,
  type ServiceClass,
  WebSocketService,
} from '@duet/websocket';
import { closeTestApps, createTestApp } from '@duet/testing';
import { cleanup, serviceWith, startError, startServices } from './helpers';

afterEach(cleanup);
afterEach(closeTestApps);

describe('configuration checked at start', () => {
  let listen: jest.SpyInstance;

  beforeEach(() => {
    listen = jest.spyOn(Server.prototype, 'listen');
  });

  afterEach(() => {
    listen.mockRestore();
  });

  const cases: [string, () => ServiceClass[], string, string][] = [
    ['a missing path', () => [serviceWith('NoPath', {})], 'NoPath', 'path'],
    ['a path without a leading slash', () => [serviceWith('Relative', { path: 'ws' })], 'Relative', 'path'],
    ['a malformed path', () => [serviceWith('Spaced', { path: '/a b' })], 'Spaced', 'path'],
    ['a path with an empty segment', () => [serviceWith('Empty', { path: '/a//b' })], 'Empty', 'path'],
    ['a negative idleTimeout', () => [serviceWith('Idle', { path: '/i', idleTimeout: -1 })], 'Idle', 'idleTimeout'],
    ['a negative maxFrameSize', () => [serviceWith('Frames', { path: '/f', maxFrameSize: -5 })], 'Frames', 'maxFrameSize'],
    ['a fractional maxFrameSize', () => [serviceWith('Half', { path: '/h', maxFrameSize: 1.5 })], 'Half', 'maxFrameSize'],
    ['a maxFragments of 0', () => [serviceWith('Pieces', { path: '/pc', maxFragments: 0 })], 'Pieces', 'maxFragments'],
    ['a drainTimeout of Infinity', () => [serviceWith('Drain', { path: '/d', drainTimeout: Infinity })], 'Drain', 'drainTimeout'],
    ['a drainTimeout past 2^31-1 ms', () => [serviceWith('Drain', { path: '/d', drainTimeout: 2147484 })], 'Drain', 'drainTimeout'],
    ['an invalid sub-protocol', () => [serviceWith('Proto', { path: '/p', subProtocols: ['a b'] })], 'Proto', 'subProtocols'],
    ['an unknown scope', () => [serviceWith('Scoped', { path: '/s', scope: 'request' })], 'Scoped', 'scope'],
    ['a resume that is not an object', () => [serviceWith('Resume', { path: '/r', resume: true })], 'Resume', 'resume'],
    ['a resume window of 0', () => [serviceWith('Window', { path: '/w', resume: { window: 0 } })], 'Window', 'resume.window'],
    ['a fractional resume.maxBufferedMessages', () => [serviceWith('Kept', { path: '/k', resume: { maxBufferedMessages: 2.5 } })], 'Kept', 'resume.maxBufferedMessages'],
    ['a resume.maxBufferedBytes of 0', () => [serviceWith('Bytes', { path: '/b', resume: { maxBufferedBytes: 0 } })], 'Bytes', 'resume.maxBufferedBytes'],
    ['an unknown resume option', () => [serviceWith('Typo', { path: '/t', resume: { windw: 30 } })], 'Typo', 'resume.windw'],
    ['a compression that is not true or an object', () => [serviceWith('Squeeze', { path: '/z', compression: 'gzip' })], 'Squeeze', 'compression'],
    ['a compression level of 10', () => [serviceWith('Level', { path: '/z', compression: { level: 10 } })], 'Level', 'compression.level'],
    ['a serverMaxWindowBits of 8 (zlib cannot keep it)', () => [serviceWith('Window8', { path: '/z', compression: { serverMaxWindowBits: 8 } })], 'Window8', 'compression.serverMaxWindowBits'],
    ['a negative compression threshold', () => [serviceWith('Threshold', { path: '/z', compression: { threshold: -1 } })], 'Threshold', 'compression.threshold'],
    ['an unknown compression setting', () => [serviceWith('Typo2', { path: '/z', compression: { windowBits: 10 } })], 'Typo2', 'compression.windowBits'],
    ['an undeclared listener', () => [serviceWith('Lost', { path: '/l', listener: 'admin' })], 'Lost', 'listener'],
    [
      'two services on the same path of one listener',
      () => [serviceWith('First', { path: '/same' }), serviceWith('Second', { path: '/same' })],
      'Second',
      'path',
    ],
    [
      'two parameterised paths of the same shape',
      () => [serviceWith('RoomA', { path: '/r/:a' }), serviceWith('RoomB', { path: '/r/:b' })],
      'RoomB',
      'path',
    ],
  ];

  it.each(cases)('rejects %s with a ServiceConfigError naming the class and field, before any port opens', async (_what, make, service, field) => {
    const error = await startError(make());
    expect(error).toBeInstanceOf(ServiceConfigError);
    const configError = error as ServiceConfigError;
    expect(configError.name).toBe('ServiceConfigError');
    expect(configError.code).toBe('DUET_ERR_SERVICE_CONFIG');
    expect(configError.service).toBe(service);
    expect(configError.field).toBe(field);
    expect(configError.message).toContain(service);
    expect(configError.message).toContain(field);
    expect(listen).not.toHaveBeenCalled();
  });

  it('rejects a decorated method that is not a function', async () => {
    const Broken = serviceWith('Broken', { path: '/broken' });
    (Broken.prototype as Record<string, unknown>).notAMethod = 42;
    (OnText() as (target: object, key: string, descriptor?: PropertyDescriptor) => void)(Broken.prototype, 'notAMethod');
    const error = (await startError([Broken])) as ServiceConfigError;
    expect(error).toBeInstanceOf(ServiceConfigError);
    expect(error.service).toBe('Broken');
    expect(error.field).toBe('notAMethod');
    expect(listen).not.toHaveBeenCalled();
  });

  it('rejects two methods for the same event', async () => {
    @WebSocketService({ path: '/twice' })
    class Twice {
      @OnText() a(): void {}
      @OnText() b(): void {}
    }
    const error = (await startError([Twice])) as ServiceConfigError;
    expect(error).toBeInstanceOf(ServiceConfigError);
    expect(error.field).toBe('b');
  });

  it('rejects a class without @WebSocketService', async () => {
    @injectable()
    class Plain {}
    const error = (await startError([Plain])) as ServiceConfigError;
    expect(error).toBeInstanceOf(ServiceConfigError);
    expect(error.service).toBe('Plain');
    expect(error.field).toBe('@WebSocketService');
  });

  it('rejects an invalid listener port with a ListenerConfigError', async () => {
    const error = (await startError([serviceWith('Fine', { path: '/fine' })], {
      default: { port: 70000 },
    })) as ListenerConfigError;
    expect(error).toBeInstanceOf(ListenerConfigError);
    expect(error.listener).toBe('default');
    expect(error.field).toBe('port');
    expect(listen).not.toHaveBeenCalled();
  });
});

describe('listening', () => {
  it('fails with a ListenError naming the port when it is already in use, leaving nothing open', async () => {
    const first = await startServices([serviceWith('Taken', { path: '/taken' })]);
    const port = first.app.port();
    const error = (await startError([serviceWith('Late', { path: '/late' })], {
      default: { port, host: '127.0.0.1' },
    })) as ListenError;
    expect(error).toBeInstanceOf(ListenError);
    expect(error.code).toBe('DUET_ERR_LISTEN');
    expect(error.port).toBe(port);
    expect(error.message).toContain(String(port));
  });

  it('serves services on named listeners, each on its own port', async () => {
    const Admin = serviceWith('AdminService', { path: '/admin', listener: 'admin' });
    const Public = serviceWith('PublicService', { path: '/public' });
    const app = await createTestApp({ services: [Admin, Public], listeners: { default: { port: 0 }, admin: { port: 0 } } });
    expect(app.port('admin')).not.toBe(app.port());
    expect(app.port('admin')).toBeGreaterThan(0);
  });
});
