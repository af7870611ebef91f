import test from 'ava';
import { DEFAULT_STATEMENT_MAX_LENGTH, statementMaxLength } from '../../src/capture/context';

test('statementMaxLength follows the attribute limit, capped', (t) => {
  t.is(statementMaxLength(Infinity), DEFAULT_STATEMENT_MAX_LENGTH);
  t.is(statementMaxLength(100), 100);
  t.is(statementMaxLength(10 ** 9), DEFAULT_STATEMENT_MAX_LENGTH);
});
