import test from 'ava';
import { routeTemplate } from '../../src/graph';

const CASES: Array<[string, string]> = [
  // basics
  ['', '/'],
  ['/', '/'],
  ['/orders', '/orders'],
  ['/orders/', '/orders'],
  ['//orders//items/', '/orders/items'],
  ['orders/42', '/orders/{id}'],
  // numbers
  ['/orders/42', '/orders/{id}'],
  ['/orders/42/items/7', '/orders/{id}/items/{id}'],
  ['/v1/users/0', '/v1/users/{id}'],
  ['/api/2024', '/api/{id}'],
  // UUIDs, either case
  ['/users/550e8400-e29b-41d4-a716-446655440000', '/users/{id}'],
  ['/users/550E8400-E29B-41D4-A716-446655440000/profile', '/users/{id}/profile'],
  ['/users/550e8400-e29b-41d4-a716-44665544000', '/users/{id}'], // 35 chars: not a UUID, but token-like
  // long hex (>= 16)
  ['/objects/507f1f77bcf86cd799439011', '/objects/{id}'],
  ['/commits/da39a3ee5e6b4b0d3255bfef95601890afd80709', '/commits/{id}'],
  ['/h/DEADBEEFDEADBEEF', '/h/{id}'],
  ['/h/deadbeefdeadbee', '/h/deadbeefdeadbee'], // 15 hex chars: kept
  ['/cafe', '/cafe'],
  // base64 / base64url-like tokens (>= 20 chars, letters AND digits)
  ['/tokens/dGhpcyBpcyBhIHRlc3QgdG9rZW4x', '/tokens/{id}'],
  ['/t/eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abc', '/t/{id}'],
  ['/s/aB3_dE6-gH9iJ2kL5mN8', '/s/{id}'],
  ['/c/cjld2cjxh0000qzrmn831i7rn', '/c/{id}'], // cuid
  ['/p/QUJDREVGR0hJSktMTU5PUFFSU1RVVldY==', '/p/{id}'],
  // long words without digits are kept (route names, not ids)
  ['/getUserPreferencesList', '/getUserPreferencesList'],
  ['/blog/how-to-write-a-route-template', '/blog/how-to-write-a-route-template'],
  ['/short1', '/short1'],
  // very long segments are ids whatever they contain
  [`/x/${'word'.repeat(20)}`, '/x/{id}'],
  // query string and fragment dropped
  ['/search?q=shoes&page=2', '/search'],
  ['/orders/42?expand=items#top', '/orders/{id}'],
  ['/a#frag/with/slashes', '/a'],
  ['?only=query', '/'],
  ['/path/with?/slash/in/query', '/path/with'],
  // absolute URLs keep the path
  ['http://example.com:8080/orders/42?x=1', '/orders/{id}'],
  ['https://example.com', '/'],
  ['HTTPS://example.com/A/b', '/A/b'],
  // at most 8 segments
  ['/a/b/c/d/e/f/g/h', '/a/b/c/d/e/f/g/h'],
  ['/a/b/c/d/e/f/g/h/i', '/a/b/c/d/e/f/g/h/...'],
  ['/1/2/3/4/5/6/7/8/9/10/11', '/{id}/{id}/{id}/{id}/{id}/{id}/{id}/{id}/...'],
  // other characters are kept as they are
  ['/files/report.pdf', '/files/report.pdf'],
  ['/a:b/c', '/a:b/c'],
];

for (const [input, expected] of CASES) {
  test(`routeTemplate(${JSON.stringify(input.length > 60 ? input.slice(0, 60) + '…' : input)})`, (t) => {
    t.is(routeTemplate(input), expected);
  });
}

test('huge input: bounded work and a bounded result', (t) => {
  const huge = '/' + 'a/'.repeat(5_000_000);
  const out = routeTemplate(huge);
  t.is(out, '/a/a/a/a/a/a/a/a/...');
  const oneSegment = '/' + 'x'.repeat(10_000_000);
  t.is(routeTemplate(oneSegment), '/{id}');
  const longWords = ('/' + 'abcdefghij'.repeat(6)).repeat(1000);
  t.true(routeTemplate(longWords).length < 8 * 64 + 16);
});

test('non-string input gives /', (t) => {
  t.is(routeTemplate(undefined as unknown as string), '/');
  t.is(routeTemplate(42 as unknown as string), '/');
});

test('result is a fixed point (templating a template changes nothing)', (t) => {
  for (const [input] of CASES) {
    const once = routeTemplate(input);
    t.is(routeTemplate(once), once, input);
  }
});
