import test from 'ava';
import { headerString, isCapturableContentType } from '../../src/capture/content-type';

const DEFAULT = ['json', 'x-www-form-urlencoded', 'graphql'];

test('default list: substring match, case-insensitive', (t) => {
  t.true(isCapturableContentType('application/json', DEFAULT));
  t.true(isCapturableContentType('Application/JSON; charset=utf-8', DEFAULT));
  t.true(isCapturableContentType('application/vnd.api+json', DEFAULT));
  t.true(isCapturableContentType('application/x-www-form-urlencoded', DEFAULT));
  t.true(isCapturableContentType('application/graphql', DEFAULT));
  t.false(isCapturableContentType('text/plain', DEFAULT));
  t.false(isCapturableContentType('image/png', DEFAULT));
  t.false(isCapturableContentType('multipart/form-data; boundary=x', DEFAULT));
});

test('missing or odd content types are not captured', (t) => {
  t.false(isCapturableContentType(undefined, DEFAULT));
  t.false(isCapturableContentType('', DEFAULT));
  t.false(isCapturableContentType(42, DEFAULT));
  t.true(isCapturableContentType(['application/json'], DEFAULT));
  t.false(isCapturableContentType('x'.repeat(100_000) + 'json', DEFAULT));
});

test('a configured list replaces the default; empty list captures nothing', (t) => {
  t.true(isCapturableContentType('text/plain', ['TEXT/']));
  t.false(isCapturableContentType('application/json', ['text/']));
  t.false(isCapturableContentType('application/json', []));
});

test('headerString', (t) => {
  t.is(headerString('a'), 'a');
  t.is(headerString(['b', 'c']), 'b');
  t.is(headerString(3), '3');
  t.is(headerString(undefined), undefined);
});
