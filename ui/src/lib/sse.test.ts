import { describe, expect, it } from 'vitest';
import { SseParser } from './sse.js';

const msg = (data: string) => ({ event: 'message', data });

describe('SseParser', () => {
  it('yields each event once complete, across chunk boundaries', () => {
    const p = new SseParser();
    expect(p.push('data: {"a"')).toEqual([]);
    expect(p.push(':1}\n')).toEqual([]);
    expect(p.push('\ndata: two\n\n: heartbeat\n\n')).toEqual([msg('{"a":1}'), msg('two')]);
  });
  it('joins multi-line data, keeps the event type, accepts CRLF', () => {
    const p = new SseParser();
    expect(p.push('event: error\r\nid: 3\r\ndata: a\r\ndata:b\r')).toEqual([]);
    expect(p.push('\n\r\ndata: c\n\n')).toEqual([{ event: 'error', data: 'a\nb' }, msg('c')]);
  });
});
