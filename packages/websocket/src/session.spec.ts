import { HandlerEvent } from './metadata';
import { Session, type SessionHost } from './session';
import { MemoryTransport } from './transport/memory-transport';

const CONFIG = { window: 0.05, maxBufferedMessages: 3, maxBufferedBytes: 1000 };

/** A session on a memory transport, with a host that records what it is told. */
function open(config = CONFIG) {
  const socket = new MemoryTransport();
  const ended: (string | undefined)[] = [];
  const owner = { sessionDropped() {}, sessionResumed() {}, sessionEnded: (_s: Session, outcome: string | undefined) => void ended.push(outcome) };
  const session = new Session(owner, 'T'.repeat(32), undefined, config, 'type', socket, undefined);
  const events: [number, unknown, unknown][] = [];
  const messages: string[] = [];
  const closes: [number, string][] = [];
  const host: SessionHost & { events: typeof events; messages: typeof messages; closes: typeof closes } = {
    awaitingPong: false,
    info: undefined,
    token: undefined,
    events,
    messages,
    closes,
    dispatch: (event: HandlerEvent, first?: unknown, second?: unknown) => void events.push([event, first, second]),
    transportMessage: (data: Buffer) => void messages.push(data.toString()),
    transportText: (text: string) => void messages.push(text),
    transportPing() {},
    transportPong() {},
    transportActivity() {},
    transportError() {},
    transportClose: (code: number, reason: string) => void closes.push([code, reason]),
  };
  session.attach(host, false);
  return { socket, session, host, ended };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('Session', () => {
  it('tells the client its token first, then holds writes past the bound until they are acknowledged', () => {
    const { socket, session } = open();
    for (let n = 1; n <= 5; n++) session.send(`m${n}`);
    expect(socket.texts).toEqual([`{"type":"$session","token":"${'T'.repeat(32)}","resumed":false,"ackEvery":1}`, 'm1', 'm2', 'm3']);
    expect(session.backlog(0)).toBe(4); // m4 and m5 held
    socket.receiveText('{"type":"$ack","n":2}');
    expect(socket.texts.slice(1)).toEqual(['m1', 'm2', 'm3', 'm4', 'm5']);
  });

  it('keeps reading while frames wait for an acknowledgement, which only a read can bring', () => {
    const { socket, session } = open();
    for (let n = 1; n <= 5; n++) session.send(`m${n}`);
    session.pauseReading();
    expect(socket.paused).toBe(false);
    socket.receiveText('{"type":"$ack","n":3}');
    expect(socket.texts.slice(-2)).toEqual(['m4', 'm5']);
    session.pauseReading(); // nothing held: the socket itself is paced
    expect(socket.paused).toBe(true);
    session.send('m6');
    session.send('m7'); // held behind m4-m6 while reading is paused: reading starts again for the ack
    expect(socket.paused).toBe(false);
    socket.receiveText('{"type":"$ack","n":6}');
    expect(socket.texts.at(-1)).toBe('m7');
    expect(socket.paused).toBe(true);
  });

  it('counts and acknowledges what the client sends, and hands it on; acknowledgements are not handed on', () => {
    const { socket, session, host } = open();
    socket.receiveText('{"type":"hello"}');
    expect(host.messages).toEqual(['{"type":"hello"}']);
    expect(socket.texts.at(-1)).toBe('{"type":"$ack","n":1}'); // ackEvery is 1 for a bound of 3
    session.send('m1');
    socket.receiveText('{"type":"$ack","n":1}');
    expect(host.messages).toHaveLength(1);
  });

  it('closes with 1002 on an acknowledgement it cannot honour', () => {
    const { socket } = open();
    socket.receiveText('{"type":"$ack","n":9}');
    expect(socket.sent.at(-1)).toMatchObject({ kind: 'close', code: 1002, data: 'invalid acknowledgement' });
    const garbled = open().socket;
    garbled.receiveText('{"type":"$ack",');
    expect(garbled.sent.at(-1)).toMatchObject({ kind: 'close', code: 1002 });
  });

  it('survives a drop: @OnDisconnect, writes kept, and a resume replays after what the client has', () => {
    const { socket, session, host } = open();
    session.send('m1');
    session.send('m2');
    socket.peerCloses(1006, '');
    expect(host.events).toEqual([[HandlerEvent.Disconnect, 1006, '']]);
    expect(session.isOpen).toBe(true);
    session.send('m3');
    const next = new MemoryTransport();
    session.resume(next, 1);
    expect(next.texts).toEqual([`{"type":"$session","token":"${'T'.repeat(32)}","resumed":true,"ack":0}`, 'm2', 'm3']);
    expect(host.events.at(-1)).toEqual([HandlerEvent.Resume, undefined, undefined]);
    expect(host.closes).toEqual([]);
  });

  it('ends at a clean close with its code, and forgets the session', () => {
    const { socket, host, ended } = open();
    socket.peerCloses(1000, 'bye');
    expect(host.closes).toEqual([[1000, 'bye']]);
    expect(ended).toEqual([undefined]);
  });

  it('ends with 1006 session expired when the window passes', async () => {
    const { socket, host, ended } = open();
    socket.peerCloses(1006, '');
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(host.closes).toEqual([[1006, 'session expired']]);
    expect(ended).toEqual(['expired']);
  });

  it('ends with 1013 resume buffer full on the turn after a write past the bound while down', async () => {
    const { socket, session, host, ended } = open();
    socket.peerCloses(1006, '');
    for (let n = 1; n <= 4; n++) session.send(`m${n}`);
    expect(session.isOpen).toBe(false);
    expect(host.closes).toEqual([]); // not inside the write
    await tick();
    expect(host.closes).toEqual([[1013, 'resume buffer full']]);
    expect(ended).toEqual(['overflowed']);
  });

  it('ends at once when the server closes it while down, and a heartbeat terminate only drops the socket', async () => {
    const { socket, session, host } = open();
    session.terminate(); // no close asked: the peer is taken for dead
    expect(socket.isClosed).toBe(true);
    expect(host.events).toEqual([[HandlerEvent.Disconnect, 1006, '']]);
    session.close(1001, 'stopping');
    await tick();
    expect(host.closes).toEqual([[1001, 'stopping']]);
  });

  it('takes a resume over a socket still open, dropping the old one without ending', () => {
    const { socket, session, host } = open();
    const next = new MemoryTransport();
    session.resume(next, 0);
    expect(socket.isClosed).toBe(true);
    socket.receiveText('{"type":"late"}'); // from the old socket: ignored
    expect(host.messages).toEqual([]);
    expect(host.events.map(([event]) => event)).toEqual([HandlerEvent.Disconnect, HandlerEvent.Resume]);
    expect(host.closes).toEqual([]);
  });
});
