/**
 * CKContextManager against upstream's AsyncLocalStorageContextManager: every semantic test runs
 * on both, so ours is held to what upstream does (docs/context-manager.md).
 */
import test, { type ExecutionContext } from 'ava';
import { EventEmitter } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { ROOT_CONTEXT, createContextKey, type Context, type ContextManager } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import express from 'express';
import { CKContextManager } from '../../src/trace/context-manager';

const key = createContextKey('ck.test.cm');
const ctxOf = (value: string): Context => ROOT_CONTEXT.setValue(key, value);

const managers: Array<[string, () => ContextManager]> = [
  ['ck', () => new CKContextManager().enable()],
  ['upstream', () => new AsyncLocalStorageContextManager().enable()],
];

function each(title: string, fn: (t: ExecutionContext, m: ContextManager) => Promise<void> | void): void {
  for (const [name, make] of managers) {
    test.serial(`${name}: ${title}`, async (t) => {
      const m = make();
      try {
        await fn(t, m);
      } finally {
        m.disable();
      }
    });
  }
}

const valueIn = (m: ContextManager): unknown => m.active().getValue(key);

each('active() is ROOT outside, with() nests and restores, passes this and args', (t, m) => {
  t.is(m.active(), ROOT_CONTEXT);
  const self = { n: 1 };
  const result = m.with(
    ctxOf('a'),
    function (this: typeof self, x: number, y: number) {
      t.is(valueIn(m), 'a');
      m.with(ctxOf('b'), () => t.is(valueIn(m), 'b'));
      t.is(valueIn(m), 'a');
      return this.n + x + y;
    },
    self,
    2,
    3
  );
  t.is(result, 6);
  t.is(
    m.with(ctxOf('c'), (a: number) => a * 2, undefined, 21),
    42
  );
  t.is(m.active(), ROOT_CONTEXT);
});

each('context follows await and timers inside with()', async (t, m) => {
  await m.with(ctxOf('async'), async () => {
    await new Promise<void>((resolve) => setImmediate(resolve));
    t.is(valueIn(m), 'async');
    await new Promise<void>((resolve) => setTimeout(() => (t.is(valueIn(m), 'async'), resolve()), 1));
  });
});

each('bind(function) runs in the bound context and keeps this, args, return value and length', (t, m) => {
  const fns = [
    () => 0,
    (a: number) => a,
    (a: number, b: number) => a + b,
    (a: number, b: number, c: number) => a + b + c,
    (a: number, b: number, c: number, d: number) => a + b + c + d,
    (a: number, b: number, c: number, d: number, e: number) => a + b + c + d + e,
  ];
  for (const fn of fns) t.is(m.bind(ctxOf('f'), fn).length, fn.length);
  const bound = m.bind(ctxOf('f'), function (this: { k: number }, a: number, b: number) {
    return `${String(valueIn(m))}:${this.k + a + b}`;
  });
  t.is(
    m.with(ctxOf('other'), () => bound.call({ k: 1 }, 2, 3)),
    'f:6'
  );
  t.is(m.bind(ctxOf('x'), 5), 5);
});

each('bind(emitter): on/addListener/prependListener/once run in the bound context', (t, m) => {
  const ee = m.with(ctxOf('bound'), () => m.bind(m.active(), new PassThrough()));
  const seen: string[] = [];
  const record = (name: string) => () => seen.push(`${name}:${String(valueIn(m))}`);
  m.with(ctxOf('adder'), () => {
    ee.on('x', record('on'));
    ee.addListener('x', record('add'));
    ee.prependListener('x', record('prepend'));
    ee.once('x', record('once'));
    ee.prependOnceListener('x', record('prependOnce'));
  });
  m.with(ctxOf('emitter'), () => ee.emit('x'));
  m.with(ctxOf('emitter'), () => ee.emit('x'));
  t.deepEqual(seen, [
    'prependOnce:bound',
    'prepend:bound',
    'on:bound',
    'add:bound',
    'once:bound',
    'prepend:bound',
    'on:bound',
    'add:bound',
  ]);
  t.is(ee.listenerCount('x'), 3);
});

each('bind(emitter): removeListener/off with the original, removeAllListeners, once removed before firing', (t, m) => {
  for (const emitter of [new PassThrough(), new EventEmitter()]) {
    const ee = m.bind(ctxOf('bound'), emitter);
    let calls = 0;
    const a = (): void => void calls++;
    const b = (): void => void calls++;
    const c = (): void => void calls++;
    ee.on('x', a);
    ee.on('x', b);
    ee.once('x', c);
    t.is(ee.listenerCount('x'), 3);
    ee.removeListener('x', a);
    ee.off('x', b);
    ee.removeListener('x', c);
    t.is(ee.listenerCount('x'), 0);
    ee.emit('x');
    t.is(calls, 0);
    ee.on('x', a);
    ee.on('y', b);
    ee.removeAllListeners('x');
    t.is(ee.listenerCount('x'), 0);
    t.is(ee.listenerCount('y'), 1);
    ee.removeAllListeners();
    t.is(ee.listenerCount('y'), 0);
    ee.on('x', a);
    ee.emit('x');
    t.is(calls, 1);
  }
});

each('bind(emitter) twice keeps the first context; listeners added before bind are untouched', (t, m) => {
  const ee = new EventEmitter();
  let before: unknown;
  ee.on('x', () => (before = valueIn(m)));
  m.bind(ctxOf('first'), ee);
  m.bind(ctxOf('second'), ee);
  let after: unknown;
  ee.on('x', () => (after = valueIn(m)));
  m.with(ctxOf('emit'), () => ee.emit('x'));
  t.is(before, 'emit');
  t.is(after, 'first');
});

each('stream data/end handlers of a bound request run in its context', async (t, m) => {
  const server = http.createServer((req, res) => {
    m.with(ctxOf(String(req.headers['x-id'])), () => {
      m.bind(m.active(), req);
      m.bind(m.active(), res);
    });
    const seen = new Set<unknown>();
    req.on('data', () => seen.add(valueIn(m)));
    req.once('end', () => {
      seen.add(valueIn(m));
      res.end([...seen].join(','));
    });
  });
  const body = await roundTrip(server, 'POST', 'x'.repeat(200_000));
  t.deepEqual(body, ['r0', 'r1', 'r2']);
});

each('express.json() callbacks run in the request context', async (t, m) => {
  const app = express();
  app.use(express.json());
  app.post('/p', (req, res) => {
    res.end(`${String(valueIn(m))}|${(req.body as { n?: number }).n ?? '-'}`);
  });
  const server = http.createServer((req, res) => {
    m.with(ctxOf(String(req.headers['x-id'])), () => {
      m.bind(m.active(), req);
      m.bind(m.active(), res);
      app(req, res);
    });
  });
  const bodies = await roundTrip(server, 'POST', JSON.stringify({ n: 7, pad: 'y'.repeat(50_000) }), 'application/json');
  t.deepEqual(bodies, ['r0|7', 'r1|7', 'r2|7']);
});

test.serial('without bind, data/end handlers lose the context (the stream test is meaningful)', async (t) => {
  // express.json() is no control: raw-body binds its own callback with an AsyncResource.
  const m = new CKContextManager();
  t.teardown(() => m.disable());
  const server = http.createServer((req, res) => {
    const seen = new Set<unknown>();
    m.with(ctxOf(String(req.headers['x-id'])), () => {
      req.on('data', () => seen.add(valueIn(m)));
      req.once('end', () => res.end([...seen, valueIn(m)].map(String).join(',')));
    });
  });
  const bodies = await roundTrip(server, 'POST', 'x'.repeat(200_000));
  t.deepEqual(bodies, ['undefined,undefined', 'undefined,undefined', 'undefined,undefined']);
});

test.serial('ck: request/response emitters get no own listener methods; disable() puts the prototypes back', async (t) => {
  const m = new CKContextManager();
  const before = Object.getOwnPropertyNames(http.IncomingMessage.prototype).sort();
  let own: string[] = [];
  const server = http.createServer((req, res) => {
    m.bind(ctxOf('x'), req);
    m.bind(ctxOf('x'), res);
    const methods = ['on', 'addListener', 'prependListener', 'once', 'prependOnceListener', 'removeListener', 'off', 'removeAllListeners'];
    own = [...Object.getOwnPropertyNames(req), ...Object.getOwnPropertyNames(res)].filter((n) => methods.includes(n));
    res.end('ok');
  });
  await roundTrip(server, 'GET');
  t.deepEqual(own, []);
  m.disable();
  t.deepEqual(Object.getOwnPropertyNames(http.IncomingMessage.prototype).sort(), before);
});

test.serial('ck: an emitter whose own removeListener ignores .listener still removes by the original', (t) => {
  class Custom extends EventEmitter {
    override removeListener(event: string | symbol, fn: (...args: unknown[]) => void): this {
      const raw = this.rawListeners(event);
      this.removeAllListeners(event);
      for (const l of raw) if (l !== fn) super.on(event, l as (...args: unknown[]) => void);
      return this;
    }
  }
  Custom.prototype.off = Custom.prototype.removeListener;
  const m = new CKContextManager();
  t.teardown(() => m.disable());
  const ee = m.bind(ctxOf('c'), new Custom());
  let seen: unknown;
  const fn = (): void => void (seen = valueIn(m));
  ee.on('x', fn);
  ee.emit('x');
  t.is(seen, 'c');
  ee.removeListener('x', fn);
  t.is(ee.listenerCount('x'), 0);
});

test.serial('ck: a frozen prototype is bound per instance; a frozen emitter is left unbound without throwing', (t) => {
  class Frozen extends PassThrough {}
  Object.freeze(Frozen.prototype);
  const m = new CKContextManager();
  t.teardown(() => m.disable());
  const ee = m.bind(ctxOf('fp'), new Frozen());
  let seen: unknown;
  const fn = (): void => void (seen = valueIn(m));
  ee.on('x', fn);
  ee.emit('x');
  t.is(seen, 'fp');
  ee.removeListener('x', fn);
  t.is(ee.listenerCount('x'), 0);
  const frozen = Object.freeze(new EventEmitter());
  t.notThrows(() => m.bind(ctxOf('ff'), frozen));
});

test.serial('ck: two managers bind independently', (t) => {
  const m1 = new CKContextManager();
  const m2 = new CKContextManager();
  t.teardown(() => (m2.disable(), m1.disable()));
  const ee = new PassThrough();
  m1.bind(ctxOf('one'), ee);
  m2.bind(ctxOf('two'), ee);
  let seen: unknown[] = [];
  ee.on('x', () => (seen = [m1.active().getValue(key), m2.active().getValue(key)]));
  ee.emit('x');
  t.deepEqual(seen, ['one', 'two']);
});

/** Three requests (x-id r0..r2) one after the other; the response bodies. */
async function roundTrip(server: http.Server, method: string, body?: string, type = 'text/plain'): Promise<string[]> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const agent = new http.Agent({ keepAlive: true });
  try {
    const out: string[] = [];
    for (let i = 0; i < 3; i++) {
      out.push(
        await new Promise<string>((resolve, reject) => {
          const req = http.request(
            {
              port,
              host: '127.0.0.1',
              method,
              path: '/p',
              agent,
              headers: { 'x-id': `r${i}`, 'content-type': type, ...(body === undefined ? {} : { expect: '100-continue' }) },
            },
            (res) => {
              let text = '';
              res.setEncoding('utf8');
              res.on('data', (d: string) => (text += d));
              res.on('end', () => resolve(text));
            }
          );
          req.on('error', reject);
          // With a body, the server's handler runs before the body is sent (100-continue), so
          // its data/end events come from the socket, not from the handler's own context.
          if (body === undefined) req.end();
          else req.on('continue', () => req.end(body));
        })
      );
    }
    return out;
  } finally {
    agent.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
